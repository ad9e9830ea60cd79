// gguf::Writer: serialises metadata and tensors as GGUF v3 (ggml-compatible layout:
// every tensor's data padded to the alignment).
#include "engine/gguf/gguf.h"

#include "common/error.h"
#include "engine/gguf/parser.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <system_error>

namespace ys::gguf {
namespace {

class Out {
 public:
  explicit Out(std::vector<uint8_t>& b) : b_(b) {}
  template <typename T>
  void put(T x) {
    const size_t at = b_.size();
    b_.resize(at + sizeof(T));
    std::memcpy(b_.data() + at, &x, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    b_.insert(b_.end(), s.begin(), s.end());
  }
  void pad_to(uint64_t alignment) {
    while (b_.size() % alignment != 0) b_.push_back(0);
  }

 private:
  std::vector<uint8_t>& b_;
};

[[noreturn]] void bad_value(const std::string& key, const std::string& what) {
  fail(ErrorKind::invalid_input, "GGUF writer: metadata '{}': {}", key, what);
}

// The integer in `v`, range-checked for its declared type.
template <typename T>
T checked_int(const Value& v, const std::string& key) {
  if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(*u);
    bad_value(key, fmt::format("{} does not fit in {}", *u, to_string(v.type)));
  }
  if (const auto* i = std::get_if<int64_t>(&v.v)) {
    if (*i >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
        (*i < 0 || static_cast<uint64_t>(*i) <= static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
      return static_cast<T>(*i);
    }
    bad_value(key, fmt::format("{} does not fit in {}", *i, to_string(v.type)));
  }
  bad_value(key, fmt::format("type {} holds a non-integer", to_string(v.type)));
}

void put_value(Out& out, const Value& v, const std::string& key, int depth) {
  auto need = [&](bool ok) {
    if (!ok) bad_value(key, fmt::format("type {} does not match the stored alternative", to_string(v.type)));
  };
  switch (v.type) {
    case ValueType::u8: out.put(checked_int<uint8_t>(v, key)); return;
    case ValueType::i8: out.put(checked_int<int8_t>(v, key)); return;
    case ValueType::u16: out.put(checked_int<uint16_t>(v, key)); return;
    case ValueType::i16: out.put(checked_int<int16_t>(v, key)); return;
    case ValueType::u32: out.put(checked_int<uint32_t>(v, key)); return;
    case ValueType::i32: out.put(checked_int<int32_t>(v, key)); return;
    case ValueType::u64: out.put(checked_int<uint64_t>(v, key)); return;
    case ValueType::i64: out.put(checked_int<int64_t>(v, key)); return;
    case ValueType::f32: need(std::holds_alternative<double>(v.v)); out.put(static_cast<float>(std::get<double>(v.v))); return;
    case ValueType::f64: need(std::holds_alternative<double>(v.v)); out.put(std::get<double>(v.v)); return;
    case ValueType::boolean: need(std::holds_alternative<bool>(v.v)); out.put<uint8_t>(std::get<bool>(v.v) ? 1 : 0); return;
    case ValueType::string: need(std::holds_alternative<std::string>(v.v)); out.put_string(std::get<std::string>(v.v)); return;
    case ValueType::array: {
      need(std::holds_alternative<Array>(v.v));
      if (depth >= kMaxNesting) bad_value(key, fmt::format("arrays nested deeper than {}", kMaxNesting));
      const Array& a = std::get<Array>(v.v);
      out.put(static_cast<uint32_t>(a.elem_type));
      out.put<uint64_t>(a.items.size());
      for (const Value& item : a.items) {
        if (item.type != a.elem_type) {
          bad_value(key, fmt::format("array of {} holds a {}", to_string(a.elem_type), to_string(item.type)));
        }
        put_value(out, item, key, depth + 1);
      }
      return;
    }
  }
  bad_value(key, fmt::format("unknown value type {}", static_cast<uint32_t>(v.type)));
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

Writer::Writer(uint64_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > kMaxAlignment) {
    fail(ErrorKind::invalid_input, "GGUF writer: alignment {} is not a power of two in [1, {}]", alignment,
         kMaxAlignment);
  }
  if (alignment != kDefaultAlignment) set("general.alignment", Value::make_u32(static_cast<uint32_t>(alignment)));
}

void Writer::set(const std::string& key, Value value) {
  if (key.empty()) fail(ErrorKind::invalid_input, "GGUF writer: empty metadata key");
  for (auto& [k, v] : kv_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  kv_.emplace_back(key, std::move(value));
}

void Writer::add_tensor(const std::string& name, std::vector<uint64_t> dims, quant::Type type,
                        std::vector<uint8_t> data) {
  if (name.empty()) fail(ErrorKind::invalid_input, "GGUF writer: empty tensor name");
  for (const auto& t : tensors_) {
    if (t.name == name) fail(ErrorKind::invalid_input, "GGUF writer: duplicate tensor '{}'", name);
  }
  if (dims.size() > kMaxDims) {
    fail(ErrorKind::invalid_input, "GGUF writer: tensor '{}' has {} dims (at most {})", name, dims.size(), kMaxDims);
  }
  const quant::TypeTraits& tr = quant::traits(type);
  const uint64_t row = dims.empty() ? 1 : dims[0];
  if (row % tr.block_size != 0) {
    fail(ErrorKind::invalid_input, "GGUF writer: tensor '{}': row length {} is not a multiple of {}'s block size {}",
         name, row, tr.name, tr.block_size);
  }
  TensorInfo info{name, dims, type, 0};
  if (data.size() != info.n_bytes()) {
    fail(ErrorKind::invalid_input, "GGUF writer: tensor '{}' has {} bytes of data, expected {}", name, data.size(),
         info.n_bytes());
  }
  tensors_.push_back({name, std::move(dims), type, std::move(data)});
}

std::vector<uint8_t> Writer::to_bytes() const {
  for (const auto& [k, v] : kv_) {
    if (k == "general.alignment" && (v.type != ValueType::u32 || std::get_if<uint64_t>(&v.v) == nullptr ||
                                     std::get<uint64_t>(v.v) != alignment_)) {
      fail(ErrorKind::invalid_input, "GGUF writer: metadata 'general.alignment' must be u32 {}", alignment_);
    }
  }
  std::vector<uint8_t> bytes;
  Out out(bytes);
  out.put(kMagic);
  out.put<uint32_t>(3);
  out.put<uint64_t>(tensors_.size());
  out.put<uint64_t>(kv_.size());
  for (const auto& [k, v] : kv_) {
    out.put_string(k);
    out.put(static_cast<uint32_t>(v.type));
    put_value(out, v, k, 0);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    out.put_string(t.name);
    out.put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) out.put(d);
    out.put(static_cast<uint32_t>(t.type));
    out.put(offset);
    offset += align_up(t.data.size(), alignment_);
  }
  out.pad_to(alignment_);
  for (const auto& t : tensors_) {
    bytes.insert(bytes.end(), t.data.begin(), t.data.end());
    out.pad_to(alignment_);
  }
  return bytes;
}

void Writer::write(const std::filesystem::path& path) const {
  const std::vector<uint8_t> bytes = to_bytes();
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp.{}", ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail(ErrorKind::io, "{}: cannot create", tmp.string());
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      fail(ErrorKind::io, "{}: write failed", tmp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(tmp, ec);
    fail(ErrorKind::io, "{}: cannot rename {} into place: {}", path.string(), tmp.string(), why);
  }
}

}  // namespace ys::gguf
