// Python `str` semantics on UTF-8 bytes, as sacrebleu relies on them.
//
// Whitespace is exactly what CPython's str.split()/str.rstrip() treat as whitespace
// (Py_UNICODE_ISSPACE): \t \n \v \f \r, \x1c-\x1f, space, U+0085, U+00A0, U+1680,
// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
//
// Invalid UTF-8: handled like Python's `errors="surrogateescape"`: each byte that is not
// part of a valid sequence becomes its own code point U+DC80..U+DCFF (never whitespace).
// The byte-level functions below give the same result, because a valid whitespace
// sequence can never start inside another sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ys::metrics {

// Bytes of the whitespace code point starting at s[i], or 0 if s[i] does not start one.
size_t py_space_len(std::string_view s, size_t i);

// str.split() with no arguments: runs of whitespace separate, no empty pieces.
std::vector<std::string_view> py_split(std::string_view s);

// str.rstrip() / str.strip() with no arguments.
std::string_view py_rstrip(std::string_view s);
std::string_view py_strip(std::string_view s);

// ' '.join(s.split()) and ''.join(s.split()).
std::string py_join_split(std::string_view s, std::string_view sep);

// UTF-8 -> code points; invalid bytes -> U+DC80+byte-0x80 (surrogateescape).
std::u32string utf8_decode_surrogateescape(std::string_view s);

}  // namespace ys::metrics
