// gguf::File: maps (or reads) a file and keeps the validated parse next to the bytes.
#include "engine/gguf/gguf.h"

#include "common/error.h"
#include "engine/gguf/parser.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

namespace ys::gguf {

struct File::Impl {
  std::string path;
  void* map = nullptr;            // mmap'ed region, or
  size_t map_size = 0;
  std::vector<uint8_t> buffer;    // the file read into memory when mmap failed
  std::span<const uint8_t> bytes;
  Parsed parsed;
  std::unordered_map<std::string, size_t> key_index;
  std::unordered_map<std::string, size_t> tensor_index;

  ~Impl() {
    if (map != nullptr) munmap(map, map_size);
  }
  void index() {
    for (size_t i = 0; i < parsed.metadata.size(); ++i) key_index.emplace(parsed.metadata[i].first, i);
    for (size_t i = 0; i < parsed.tensors.size(); ++i) tensor_index.emplace(parsed.tensors[i].name, i);
  }
};

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void read_all(int fd, const std::string& path, std::vector<uint8_t>& out, size_t size) {
  out.resize(size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(ErrorKind::io, "{}: read failed: {}", path, std::strerror(errno));
    if (n == 0) fail(ErrorKind::io, "{}: file shrank while reading ({} of {} bytes)", path, done, size);
    done += static_cast<size_t>(n);
  }
}

}  // namespace

File::File(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

File File::open(const std::filesystem::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path.string();
  Fd f{::open(impl->path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail(ErrorKind::io, "{}: cannot open: {}", impl->path, std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail(ErrorKind::io, "{}: cannot stat: {}", impl->path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(ErrorKind::io, "{}: not a regular file", impl->path);
  const auto size = static_cast<size_t>(st.st_size);
  void* m = size > 0 ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, f.fd, 0) : MAP_FAILED;
  if (m != MAP_FAILED) {
    impl->map = m;
    impl->map_size = size;
    impl->bytes = {static_cast<const uint8_t*>(m), size};
  } else {
    read_all(f.fd, impl->path, impl->buffer, size);
    impl->bytes = impl->buffer;
  }
  impl->parsed = parse_gguf(impl->bytes, impl->path);
  impl->index();
  return File(std::move(impl));
}

File File::from_memory(std::span<const uint8_t> bytes, std::string name) {
  auto impl = std::make_unique<Impl>();
  impl->path = std::move(name);
  impl->bytes = bytes;
  impl->parsed = parse_gguf(impl->bytes, impl->path);
  impl->index();
  return File(std::move(impl));
}

const std::string& File::path() const { return impl_->path; }
uint32_t File::version() const { return impl_->parsed.version; }
uint64_t File::alignment() const { return impl_->parsed.alignment; }
uint64_t File::file_size() const { return impl_->bytes.size(); }
uint64_t File::data_offset() const { return impl_->parsed.data_offset; }

const std::vector<std::pair<std::string, Value>>& File::metadata() const { return impl_->parsed.metadata; }

const Value* File::find(const std::string& key) const {
  auto it = impl_->key_index.find(key);
  return it == impl_->key_index.end() ? nullptr : &impl_->parsed.metadata[it->second].second;
}

const Value& File::get(const std::string& key) const {
  const Value* v = find(key);
  if (v == nullptr) fail(ErrorKind::format, "{}: missing metadata key '{}'", impl_->path, key);
  return *v;
}

uint64_t File::get_uint(const std::string& key, uint64_t fallback) const {
  const Value* v = find(key);
  return v == nullptr ? fallback : v->as_uint(fmt::format("{}: metadata '{}'", impl_->path, key));
}

double File::get_float(const std::string& key, double fallback) const {
  const Value* v = find(key);
  return v == nullptr ? fallback : v->as_float(fmt::format("{}: metadata '{}'", impl_->path, key));
}

bool File::get_bool(const std::string& key, bool fallback) const {
  const Value* v = find(key);
  return v == nullptr ? fallback : v->as_bool(fmt::format("{}: metadata '{}'", impl_->path, key));
}

std::string File::get_string(const std::string& key, const std::string& fallback) const {
  const Value* v = find(key);
  return v == nullptr ? fallback : v->as_string(fmt::format("{}: metadata '{}'", impl_->path, key));
}

const std::vector<TensorInfo>& File::tensors() const { return impl_->parsed.tensors; }

const TensorInfo* File::find_tensor(const std::string& name) const {
  auto it = impl_->tensor_index.find(name);
  return it == impl_->tensor_index.end() ? nullptr : &impl_->parsed.tensors[it->second];
}

std::span<const uint8_t> File::tensor_data(const TensorInfo& t) const {
  const uint64_t start = impl_->parsed.data_offset + t.offset;
  const uint64_t n = t.n_bytes();
  if (t.offset > impl_->bytes.size() || start > impl_->bytes.size() || n > impl_->bytes.size() - start) {
    fail(ErrorKind::internal, "{}: tensor '{}' is not inside this file", impl_->path, t.name);
  }
  return impl_->bytes.subspan(start, n);
}

uint64_t TensorInfo::n_elements() const {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n;
}

uint64_t TensorInfo::rows() const {
  uint64_t n = 1;
  for (size_t i = 1; i < dims.size(); ++i) n *= dims[i];
  return n;
}

uint64_t TensorInfo::n_bytes() const {
  const quant::TypeTraits& tr = quant::traits(type);
  return n_elements() / tr.block_size * tr.type_size;
}

}  // namespace ys::gguf
