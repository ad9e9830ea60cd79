// Dataset manifest look-ups, per-file verification (with a per-process hash cache),
// and whole-directory verify/import. The table itself is datasets/manifest_table.cpp.
#include "datasets/manifest.h"

#include "common/error.h"
#include "common/hash.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <tuple>

namespace fs = std::filesystem;

namespace ys::datasets {

namespace {

constexpr const char* kFixHint = "run `yardstick data import /path/to/datasets` (see README)";

struct CacheKey {
  std::string path;
  int64_t mtime;
  int64_t size;
  bool operator<(const CacheKey& o) const {
    return std::tie(path, mtime, size) < std::tie(o.path, o.mtime, o.size);
  }
};

std::mutex& cache_mutex() {
  static std::mutex m;
  return m;
}
std::map<CacheKey, std::string>& hash_cache() {
  static std::map<CacheKey, std::string> c;
  return c;
}

// sha256 of a file, reusing a hash computed earlier for the same path, mtime and size.
std::string cached_sha256(const fs::path& file, int64_t size, bool use_cache) {
  std::error_code ec;
  auto mtime = fs::last_write_time(file, ec);
  CacheKey key{fs::absolute(file).lexically_normal().string(),
               ec ? 0 : static_cast<int64_t>(mtime.time_since_epoch().count()), size};
  if (use_cache && !ec) {
    std::lock_guard<std::mutex> lock(cache_mutex());
    auto it = hash_cache().find(key);
    if (it != hash_cache().end()) return it->second;
  }
  std::string h = sha256_file(file);
  if (!ec) {
    std::lock_guard<std::mutex> lock(cache_mutex());
    hash_cache()[key] = h;
  }
  return h;
}

std::vector<BenchmarkSummary> summarize(const fs::path& dir, bool use_cache) {
  std::map<std::string, BenchmarkSummary> by_name;
  for (const ManifestEntry& e : manifest()) {
    BenchmarkSummary& s = by_name[e.benchmark];
    s.benchmark = e.benchmark;
    s.files_expected++;
    if (check_file(dir, e, use_cache).status == FileStatus::ok) {
      s.files_ok++;
      s.rows_ok += e.rows;
    }
  }
  std::vector<BenchmarkSummary> out;
  for (auto& [name, s] : by_name) out.push_back(s);
  return out;
}

// Regular files under dir (relative, '/'-separated) that are not in the manifest.
std::vector<std::string> extra_files(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (ec || rel.ends_with(".md")) continue;
    if (!find_entry(rel)) out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Links (or copies) src to dst, replacing dst. Throws ys::Error(io) when both fail.
void place_file(const fs::path& src, const fs::path& dst, bool copy) {
  std::error_code ec;
  fs::create_directories(dst.parent_path(), ec);
  if (ec) fail(ErrorKind::io, "cannot create directory {}: {}", dst.parent_path().string(), ec.message());
  fs::remove(dst, ec);
  if (!copy) {
    fs::create_hard_link(src, dst, ec);
    if (!ec) return;
  }
  ec.clear();
  fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
  if (ec) fail(ErrorKind::io, "cannot copy {} to {}: {}", src.string(), dst.string(), ec.message());
  // A copy of a read-only source is read-only too; make it writable by its owner.
  fs::permissions(dst, fs::perms::owner_write, fs::perm_options::add, ec);
}

}  // namespace

const ManifestEntry* find_entry(const std::string& rel_path) {
  const auto& m = manifest();
  auto it = std::lower_bound(m.begin(), m.end(), rel_path,
                             [](const ManifestEntry& e, const std::string& p) { return e.path < p; });
  return (it != m.end() && it->path == rel_path) ? &*it : nullptr;
}

fs::path default_data_dir() {
  const char* v = std::getenv("YARDSTICK_DATA");
  return (v && *v) ? fs::path(v) : fs::path("data");
}

FileCheck check_file(const fs::path& dir, const ManifestEntry& entry, bool use_cache) {
  FileCheck r;
  fs::path file = dir / entry.path;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return r;
  auto size = fs::file_size(file, ec);
  if (ec) return r;
  r.bytes = static_cast<int64_t>(size);
  r.status = FileStatus::altered;
  if (r.bytes != entry.bytes) {
    r.detail = fmt::format("size {} bytes, expected {}", r.bytes, entry.bytes);
    return r;
  }
  r.sha256 = cached_sha256(file, r.bytes, use_cache);
  if (r.sha256 != entry.sha256) {
    r.detail = fmt::format("sha256 {}, expected {}", r.sha256, entry.sha256);
    return r;
  }
  r.status = FileStatus::ok;
  return r;
}

std::string require_file(const fs::path& data_dir, const std::string& rel_path) {
  const ManifestEntry* e = find_entry(rel_path);
  if (!e) fail(ErrorKind::internal, "dataset file '{}' is not in the manifest (datasets/manifest.json)", rel_path);
  FileCheck c = check_file(data_dir, *e, true);
  std::string file = (data_dir / rel_path).string();
  if (c.status == FileStatus::missing)
    fail(ErrorKind::io, "dataset file {} is missing (data dir {}; set --data-dir or YARDSTICK_DATA): {}", file,
         data_dir.string(), kFixHint);
  if (c.status == FileStatus::altered)
    fail(ErrorKind::format, "dataset file {} does not match the manifest ({}): {}", file, c.detail, kFixHint);
  return c.sha256;
}

DirReport verify_dir(const fs::path& data_dir) {
  DirReport r;
  for (const ManifestEntry& e : manifest()) {
    FileCheck c = check_file(data_dir, e, false);
    if (c.status == FileStatus::ok) r.ok.push_back(e.path);
    if (c.status == FileStatus::missing) r.missing.push_back(e.path);
    if (c.status == FileStatus::altered) r.altered.push_back(e.path + ": " + c.detail);
  }
  r.extra = extra_files(data_dir);
  r.benchmarks = summarize(data_dir, true);
  return r;
}

DirReport import_dir(const fs::path& src_dir, const fs::path& data_dir, bool copy) {
  std::error_code ec;
  if (!fs::is_directory(src_dir, ec))
    fail(ErrorKind::io, "cannot import from {}: not a directory (expected the datasets folder, e.g. ../shared/datasets)",
         src_dir.string());
  if (fs::exists(src_dir, ec) && fs::exists(data_dir, ec) && fs::equivalent(src_dir, data_dir, ec))
    fail(ErrorKind::invalid_input, "cannot import {} into itself (--data-dir {})", src_dir.string(), data_dir.string());
  DirReport r;
  for (const ManifestEntry& e : manifest()) {
    FileCheck src = check_file(src_dir, e, true);
    if (src.status == FileStatus::missing) {
      r.missing.push_back(e.path);
      continue;
    }
    if (src.status == FileStatus::altered) {
      r.altered.push_back(e.path + ": " + src.detail);
      continue;
    }
    if (check_file(data_dir, e, true).status == FileStatus::ok) {
      r.ok.push_back(e.path);
      continue;
    }
    place_file(src_dir / e.path, data_dir / e.path, copy);
    FileCheck dst = check_file(data_dir, e, false);
    if (dst.status != FileStatus::ok)
      fail(ErrorKind::io, "imported {} but the copy does not verify ({})", (data_dir / e.path).string(), dst.detail);
    r.placed.push_back(e.path);
    r.ok.push_back(e.path);
  }
  r.extra = extra_files(src_dir);
  r.benchmarks = summarize(data_dir, true);
  return r;
}

}  // namespace ys::datasets
