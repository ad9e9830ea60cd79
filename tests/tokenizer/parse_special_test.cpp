// Special-token text inside prompts, both ways (--parse-special on|off), and the prompt
// BOS rule (no second BOS when the text already starts with the BOS token's text), on the
// SmolLM2 vocabulary. Expected ids: "<|im_start|>" is control token 1 of SmolLM2; as text it
// is the byte-level BPE pieces of "<", "|", "im", "_", "start", "|", ">".
#include "engine/tokenizer/tokenizer.h"
#include "tests/tokenizer/test_env.h"

#include <catch2/catch.hpp>

#include <algorithm>

using ys::tok::Tokenizer;

TEST_CASE("parse_special on (the default): control-token text becomes the control token") {
  const Tokenizer* tok = ys::tok::test::smollm2();
  if (tok == nullptr) return;
  CHECK(tok->parse_special());
  const auto ids = tok->encode("<|im_start|>user\nHi</s>", false);
  REQUIRE(!ids.empty());
  CHECK(ids.front() == 1);
  CHECK(std::count(ids.begin(), ids.end(), 1) == 1);
  CHECK(tok->decode(ids) == "<|im_start|>user\nHi</s>");
}

TEST_CASE("parse_special off: control-token text is tokenized as text, and decodes back") {
  const Tokenizer* base = ys::tok::test::smollm2();
  if (base == nullptr) return;
  Tokenizer tok = *base;  // a copy keeps the setting of its source
  tok.set_parse_special(false);
  CHECK_FALSE(tok.parse_special());
  const std::string text = "<|im_start|>user\nHi";
  const auto off = tok.encode(text, false);
  const auto on = tok.encode(text, false, true);  // an explicit argument wins over the setting
  CHECK(std::count(off.begin(), off.end(), 1) == 0);
  CHECK(off.size() > on.size());
  CHECK(tok.decode(off) == text);
  // Text after the special-looking part tokenizes the same either way.
  const auto tail_on = tok.encode("user\nHi", false, true), tail_off = tok.encode("user\nHi", false);
  CHECK(tail_on == tail_off);
  const Tokenizer copy = tok;
  CHECK_FALSE(copy.parse_special());
}

TEST_CASE("encode_prompt: BOS per policy, never twice") {
  const Tokenizer* base = ys::tok::test::smollm2();
  if (base == nullptr) return;
  ys::tok::Vocab v = base->vocab();
  REQUIRE(v.bos == 1);  // SmolLM2: <|im_start|>, add_bos false
  const Tokenizer no_bos(v);
  const auto plain = no_bos.encode("Hello", false);
  CHECK(ys::tok::encode_prompt(no_bos, "Hello", "auto") == plain);
  CHECK(ys::tok::encode_prompt(no_bos, "Hello", "off") == plain);
  auto with = plain;
  with.insert(with.begin(), 1);
  CHECK(ys::tok::encode_prompt(no_bos, "Hello", "on") == with);
  // The text already starts with the BOS token's text: not added again (lm-eval tok_encode).
  CHECK(ys::tok::encode_prompt(no_bos, "<|im_start|>Hello", "on") == no_bos.encode("<|im_start|>Hello", false));
  v.add_bos = true;
  const Tokenizer add_bos(v);
  CHECK(ys::tok::encode_prompt(add_bos, "Hello", "auto") == with);
  CHECK(ys::tok::encode_prompt(add_bos, "Hello", "off") == plain);
  const auto chat = ys::tok::encode_prompt(add_bos, "<|im_start|>user", "auto");
  CHECK(std::count(chat.begin(), chat.end(), 1) == 1);
  CHECK_THROWS_AS(ys::tok::encode_prompt(add_bos, "x", "yes"), ys::Error);
}
