// UTF-8 helpers and the GPT-2 byte <-> unicode mapping used by byte-level BPE.
//
// Byte-level BPE vocabularies store every byte as a printable code point: bytes
// 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF map to themselves, the remaining 68 bytes map to
// U+0100, U+0101, ... in increasing byte order (so ' ' = U+0120 "Ġ", '\n' = U+010A "Ċ").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ys::tok {

// Appends the UTF-8 encoding of `cp` (must be <= 0x10FFFF).
void utf8_append(std::string& out, uint32_t cp);

// Decodes one strictly valid UTF-8 character at s[i] (no overlongs, no surrogates,
// <= U+10FFFF). Returns its length (1-4) and sets cp, or 0 if invalid.
size_t utf8_decode(std::string_view s, size_t i, uint32_t& cp);

// Length of the UTF-8 sequence announced by a lead byte (1 for continuation/invalid bytes).
size_t utf8_lead_len(unsigned char c);

// Replaces every byte that does not start a valid UTF-8 character with U+FFFD
// (one replacement per bad byte). Returns true if anything was replaced.
bool utf8_sanitize(std::string_view in, std::string& out);

// The GPT-2 byte -> code point table and its inverse.
const std::array<uint32_t, 256>& byte_to_codepoint();
// -1 if `cp` is not the image of a byte.
int codepoint_to_byte(uint32_t cp);

// Byte-level encoding: every byte of `raw` replaced by its mapped code point (UTF-8).
std::string bytes_to_unicode(std::string_view raw);
// Inverse: code points that are images of bytes become those bytes; any other
// character (or invalid UTF-8) is copied through unchanged.
std::string unicode_to_bytes(std::string_view text);

}  // namespace ys::tok
