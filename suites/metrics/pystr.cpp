#include "suites/metrics/pystr.h"

#include <cstdint>

namespace ys::metrics {

size_t py_space_len(std::string_view s, size_t i) {
  const auto b = [&](size_t k) -> unsigned { return i + k < s.size() ? static_cast<uint8_t>(s[i + k]) : 0x100u; };
  const unsigned c0 = b(0);
  if (c0 == ' ' || (c0 >= 0x09 && c0 <= 0x0d) || (c0 >= 0x1c && c0 <= 0x1f)) return 1;
  if (c0 == 0xc2) return (b(1) == 0x85 || b(1) == 0xa0) ? 2 : 0;  // U+0085, U+00A0
  if (c0 == 0xe1) return (b(1) == 0x9a && b(2) == 0x80) ? 3 : 0;  // U+1680
  if (c0 == 0xe2) {
    const unsigned c1 = b(1), c2 = b(2);
    if (c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf)) return 3;
    if (c1 == 0x81 && c2 == 0x9f) return 3;  // U+205F
    return 0;
  }
  if (c0 == 0xe3) return (b(1) == 0x80 && b(2) == 0x80) ? 3 : 0;  // U+3000
  return 0;
}

std::vector<std::string_view> py_split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0, start = 0;
  bool in_word = false;
  while (i < s.size()) {
    const size_t w = py_space_len(s, i);
    if (w > 0) {
      if (in_word) out.push_back(s.substr(start, i - start));
      in_word = false;
      i += w;
    } else {
      if (!in_word) start = i;
      in_word = true;
      ++i;
    }
  }
  if (in_word) out.push_back(s.substr(start));
  return out;
}

std::string_view py_rstrip(std::string_view s) {
  size_t end = 0, i = 0;  // end = one past the last non-whitespace byte
  while (i < s.size()) {
    const size_t w = py_space_len(s, i);
    if (w > 0) {
      i += w;
    } else {
      end = ++i;
    }
  }
  return s.substr(0, end);
}

std::string_view py_strip(std::string_view s) {
  s = py_rstrip(s);
  size_t i = 0;
  while (i < s.size()) {
    const size_t w = py_space_len(s, i);
    if (w == 0) break;
    i += w;
  }
  return s.substr(i);
}

std::string py_join_split(std::string_view s, std::string_view sep) {
  std::string out;
  out.reserve(s.size());
  bool first = true;
  for (std::string_view piece : py_split(s)) {
    if (!first) out.append(sep);
    out.append(piece);
    first = false;
  }
  return out;
}

namespace {

// Length and value of a valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no
// surrogates, <= U+10FFFF), or 0 if invalid.
size_t utf8_valid_len(std::string_view s, size_t i, char32_t& cp) {
  const auto u = [&](size_t k) -> unsigned { return static_cast<uint8_t>(s[i + k]); };
  const unsigned c0 = u(0);
  if (c0 < 0x80) { cp = c0; return 1; }
  size_t len;
  char32_t min;
  if ((c0 & 0xe0) == 0xc0) { len = 2; cp = c0 & 0x1f; min = 0x80; }
  else if ((c0 & 0xf0) == 0xe0) { len = 3; cp = c0 & 0x0f; min = 0x800; }
  else if ((c0 & 0xf8) == 0xf0) { len = 4; cp = c0 & 0x07; min = 0x10000; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((u(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (u(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

std::u32string utf8_decode_surrogateescape(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    const size_t len = utf8_valid_len(s, i, cp);
    if (len == 0) {
      out.push_back(0xdc00 + static_cast<uint8_t>(s[i]));
      ++i;
    } else {
      out.push_back(cp);
      i += len;
    }
  }
  return out;
}

}  // namespace ys::metrics
