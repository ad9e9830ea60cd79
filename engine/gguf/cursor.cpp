#include "engine/gguf/cursor.h"

namespace ys::gguf {

std::string printable(std::string_view s, size_t max_len) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

std::string Cursor::read_string(const char* field) {
  const uint64_t at = pos_;
  const auto len = read<uint64_t>(field);
  if (len > remaining()) {
    fail_at(at, field, "string length {} exceeds the {} bytes left in the file", len, remaining());
  }
  std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
  pos_ += len;
  return s;
}

void Cursor::seek(uint64_t offset, const char* field) {
  if (offset > bytes_.size()) {
    fail_at(pos_, field, "offset {} is beyond the end of the file (size {})", offset, bytes_.size());
  }
  pos_ = offset;
}

void Cursor::throw_at(uint64_t offset, const char* field, const std::string& what) const {
  std::string where = context_.empty() ? std::string(field) : context_ + " " + field;
  throw Error(ErrorKind::format, fmt::format("{}: {} at byte {}: {}", file_, where, offset, what));
}

}  // namespace ys::gguf
