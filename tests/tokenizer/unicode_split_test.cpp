// Byte <-> unicode table, UTF-8 helpers and the PCRE2 pre-tokenizer splits (hand-derived).
#include "common/error.h"
#include "engine/tokenizer/pre_split.h"
#include "engine/tokenizer/utf8.h"

#include <catch2/catch.hpp>

#include <set>

using namespace ys::tok;

TEST_CASE("byte-to-unicode table is the GPT-2 bijection") {
  const auto& t = byte_to_codepoint();
  std::set<uint32_t> seen(t.begin(), t.end());
  CHECK(seen.size() == 256);
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    if (printable) CHECK(t[b] == static_cast<uint32_t>(b));
    else CHECK(t[b] >= 256);
    CHECK(codepoint_to_byte(t[b]) == b);
  }
  CHECK(t[' '] == 0x120);    // "Ġ"
  CHECK(t['\n'] == 0x10A);   // "Ċ"
  CHECK(t[0] == 0x100);
  CHECK(t[0x7F] == 0x121);
  CHECK(t[0xAD] == 0x143);
  CHECK(*std::max_element(t.begin(), t.end()) == 0x143);
  CHECK(codepoint_to_byte(0x144) == -1);
  CHECK(codepoint_to_byte(' ') == -1);   // a raw space is not an image
  CHECK(bytes_to_unicode(" a\n") == "\xC4\xA0" "a" "\xC4\x8A");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  CHECK(unicode_to_bytes(bytes_to_unicode(all)) == all);
}

TEST_CASE("UTF-8 decode and sanitize") {
  uint32_t cp = 0;
  CHECK(utf8_decode("\xE2\x82\xAC", 0, cp) == 3);
  CHECK(cp == 0x20AC);
  CHECK(utf8_decode("\xF0\x9F\x98\x80", 0, cp) == 4);
  CHECK(cp == 0x1F600);
  CHECK(utf8_decode("\xC0\x80", 0, cp) == 0);       // overlong
  CHECK(utf8_decode("\xED\xA0\x80", 0, cp) == 0);   // surrogate
  CHECK(utf8_decode("\xE2\x82", 0, cp) == 0);       // truncated
  CHECK(utf8_decode("\x80", 0, cp) == 0);           // lone continuation
  std::string out;
  CHECK_FALSE(utf8_sanitize("plain é", out));
  CHECK(out == "plain é");
  CHECK(utf8_sanitize("a\xFF" "b\xE2\x82", out));
  CHECK(out == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
  std::string enc;
  utf8_append(enc, 0x10FFFF);
  CHECK(enc == "\xF4\x8F\xBF\xBF");
}

namespace {
std::vector<std::string> split(const std::string& pre, std::string_view text) {
  PreSplitter s(pre_split_regexes(pre));
  std::vector<std::string_view> v;
  s.split(text, v);
  return {v.begin(), v.end()};
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("pre-tokenizer splits per tokenizer.ggml.pre") {
  CHECK(split("smollm", "Hello world 123!") == V{"Hello", " world", " ", "1", "2", "3", "!"});
  CHECK(split("gpt2", "Hello world 123!") == V{"Hello", " world", " 123", "!"});
  CHECK(split("gpt2", "a   b") == V{"a", "  ", " b"});
  CHECK(split("gpt2", "it's   ") == V{"it", "'s", "   "});
  CHECK(split("gpt2", "IT'S") == V{"IT", "'", "S"});   // GPT-2 contractions are lower case only
  CHECK(split("llama-bpe", "I'm 12345 ok\n\n") == V{"I", "'m", " ", "123", "45", " ok", "\n\n"});
  CHECK(split("llama-bpe", "IT'S") == V{"IT", "'S"});
  CHECK(split("qwen2", "I'm 12345 ok\n\n") == V{"I", "'m", " ", "1", "2", "3", "4", "5", " ok", "\n\n"});
  // Llama 4 (gpt-4o rule): case runs split words, numbers in threes, contractions either case.
  CHECK(split("llama4", "HelloWorld's 1234567") == V{"Hello", "World's", " ", "123", "456", "7"});
  CHECK(split("llama4", "CamelCASEWord IT'S") == V{"Camel", "CASEWord", " IT'S"});
  CHECK(split("llama4", "a/b\n") == V{"a", "/b", "\n"});
  CHECK(split("smollm", "café 你好") == V{"café", " 你好"});   // \p{L} is Unicode-aware
  CHECK(split("smollm", "x١٢") == V{"x", "١", "٢"});          // Arabic-Indic digits are \p{N}
  CHECK(split("smollm", "").empty());
  CHECK_THROWS_AS(pre_split_regexes("no-such-pre"), ys::Error);
  CHECK(pre_split_ignores_merges("llama-bpe"));
  CHECK_FALSE(pre_split_ignores_merges("smollm"));
}

TEST_CASE("pre-tokenizer pieces always concatenate back to the input") {
  const std::string text = "  Mixed: ÀÉ 42\t\tx\r\n\n  👨‍👩‍👧 ... 'll 'LL\u3000end  ";
  for (const char* pre : {"smollm", "gpt2", "llama-bpe", "qwen2", "default", "llama4"}) {
    std::string joined;
    for (const auto& p : split(pre, text)) {
      CHECK_FALSE(p.empty());
      joined += p;
    }
    CHECK(joined == text);
  }
}
