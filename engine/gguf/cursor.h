// A bounds-checked little-endian reader over an untrusted byte image.
//
// Every read checks the bytes left before touching memory; a failed check raises
// ys::Error(format) "<file>: <context> <field> at byte <offset>: <what>" on one line.
// `context` is set by the parser (e.g. "metadata key 'general.name'") so the message
// names the field being parsed.
#pragma once

#include "common/error.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace ys::gguf {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

// Printable, length-limited form of an untrusted name for error messages (one line).
std::string printable(std::string_view s, size_t max_len = 64);

class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

  uint64_t pos() const { return pos_; }
  uint64_t size() const { return bytes_.size(); }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  void set_context(std::string context) { context_ = std::move(context); }
  const std::string& file() const { return file_; }

  template <typename T>
  T read(const char* field) {
    need(sizeof(T), field);
    T x;
    std::memcpy(&x, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return x;
  }

  // u64 length + bytes; the length must fit in the bytes left.
  std::string read_string(const char* field);
  // Skips forward to `offset` (must be <= size()).
  void seek(uint64_t offset, const char* field);

  // Throws format error for the field that starts at `offset`.
  template <typename... Args>
  [[noreturn]] void fail_at(uint64_t offset, const char* field, fmt::format_string<Args...> f,
                            Args&&... args) const {
    throw_at(offset, field, fmt::format(f, std::forward<Args>(args)...));
  }

 private:
  void need(uint64_t n, const char* field) const {
    if (n > remaining()) {
      fail_at(pos_, field, "needs {} bytes but only {} are left (file size {})", n, remaining(),
              bytes_.size());
    }
  }
  [[noreturn]] void throw_at(uint64_t offset, const char* field, const std::string& what) const;

  std::span<const uint8_t> bytes_;
  const std::string& file_;
  std::string context_;
  uint64_t pos_ = 0;
};

}  // namespace ys::gguf
