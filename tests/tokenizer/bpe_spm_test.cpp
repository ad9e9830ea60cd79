// BPE and SentencePiece merging on small hand-built vocabularies (expected ids derived by hand).
#include "common/error.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

using namespace ys::tok;
using Ids = std::vector<int32_t>;

namespace {

// Byte-level vocab: ids 0..255 are the bytes' code points; 256.. are extra tokens.
Vocab toy_bpe(std::vector<std::string> merges) {
  Vocab v;
  v.model = "gpt2";
  v.pre = "gpt2";
  for (int b = 0; b < 256; ++b) v.tokens.push_back(bytes_to_unicode(std::string(1, static_cast<char>(b))));
  for (const char* t : {"ab", "bc", "abc", "aa", "<|end|>"}) v.tokens.push_back(t);   // 256..260
  v.types.assign(v.tokens.size(), kTokenNormal);
  v.types[260] = kTokenControl;
  v.eos = 260;
  v.merges = std::move(merges);
  return v;
}

}  // namespace

TEST_CASE("byte-level BPE merges by rank, leftmost first on a tie") {
  const Tokenizer lo_bc(toy_bpe({"b c", "a b", "ab c", "a a"}));
  CHECK(lo_bc.encode("abc", false) == Ids{'a', 257});           // "b c" has the lower rank
  const Tokenizer lo_ab(toy_bpe({"a b", "b c", "ab c", "a a"}));
  CHECK(lo_ab.encode("abc", false) == Ids{258});                 // ab, then ab+c
  CHECK(lo_ab.encode("aaa", false) == Ids{259, 'a'});            // leftmost "a a" first
  CHECK(lo_ab.encode("aaaa", false) == Ids{259, 259});
  CHECK(lo_ab.encode(" abc", false) == Ids{32, 258});   // ' ' is its own byte token
  CHECK(lo_ab.encode("abc<|end|>ab", false) == Ids{258, 260, 256});
  CHECK(lo_ab.encode("abc<|end|>", false, false).size() == 1 + 7);
  CHECK(lo_ab.decode({258, 260, 256}) == "abc<|end|>ab");
  CHECK(lo_ab.piece(32) == " ");
  CHECK(lo_ab.is_eog(260));
  CHECK_THROWS_AS(lo_ab.decode({999}), ys::Error);
  CHECK_THROWS_AS(Tokenizer(toy_bpe({"nospace"})), ys::Error);
}

TEST_CASE("Llama 4's <|eot|> and <|eom|> control tokens end generation; the same text as a normal token does not") {
  Vocab v = toy_bpe({"a b"});
  for (const char* t : {"<|eot|>", "<|eom|>", "<|eot|>x"}) v.tokens.push_back(t);  // 261..263
  v.types.assign(v.tokens.size(), kTokenNormal);
  v.types[260] = v.types[261] = v.types[262] = v.types[263] = kTokenControl;
  Vocab plain = v;
  plain.types[261] = kTokenNormal;
  const Tokenizer tok(v), tok_plain(plain);
  CHECK(tok.is_eog(261));
  CHECK(tok.is_eog(262));
  CHECK_FALSE(tok.is_eog(263));
  CHECK_FALSE(tok_plain.is_eog(261));
}

namespace {

// SentencePiece toy: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then normal pieces.
Vocab toy_spm(bool with_bytes = true) {
  Vocab v;
  v.model = "llama";
  auto add = [&](std::string t, float s, int32_t ty) {
    v.tokens.push_back(std::move(t));
    v.scores.push_back(s);
    v.types.push_back(ty);
  };
  add("<unk>", 0, kTokenUnknown);
  add("<s>", 0, kTokenControl);
  add("</s>", 0, kTokenControl);
  for (int b = 0; b < 256; ++b) add(with_bytes ? fmt::format("<0x{:02X}>", b) : fmt::format("<unused{}>", b), 0, with_bytes ? kTokenByte : kTokenUnused);
  add("\xE2\x96\x81", -10, kTokenNormal);   // 259 "▁"
  for (const char* c : {"h", "e", "l", "o", "w", "r", "d"}) add(c, -10, kTokenNormal);   // 260..266
  add("ll", -1, kTokenNormal);                   // 267
  add("he", -2, kTokenNormal);                   // 268
  add("\xE2\x96\x81he", -3, kTokenNormal);       // 269 "▁he"
  add("llo", -1.5f, kTokenNormal);               // 270
  v.bos = 1, v.eos = 2, v.unk = 0;
  v.add_bos = true;
  v.add_space_prefix = true;
  return v;
}

}  // namespace

TEST_CASE("SentencePiece merges by score with a space prefix and byte fallback") {
  const Tokenizer tok(toy_spm());
  // "▁hello": ll(-1) > llo(-1.5) > he(-2) > ▁he(-3); "▁hello" is not a token.
  CHECK(tok.encode("hello", false) == Ids{269, 270});
  CHECK(tok.encode("hello", true) == Ids{1, 269, 270});          // add_bos
  CHECK(tok.encode("lll", false) == Ids{259, 267, 262});         // tie: leftmost "ll"
  CHECK(tok.encode("hé", false) == Ids{259, 260, 3 + 0xC3, 3 + 0xA9});   // é as <0xC3><0xA9>
  CHECK(tok.encode("hello world", false) == Ids{269, 270, 259, 264, 263, 265, 262, 266});
  CHECK(tok.encode("<s>hello</s>", false) == Ids{1, 269, 270, 2});   // space prefix after a special token
  CHECK(tok.encode("", false).empty());
  CHECK(tok.encode("", true) == Ids{1});
  CHECK(tok.decode({269, 270}) == "hello");                      // the prefix space is removed
  CHECK(tok.decode({1, 269, 270, 259, 264}) == "<s>hello w");
  CHECK(tok.decode({259, 260, 3 + 0xC3, 3 + 0xA9}) == "hé");
  CHECK(tok.piece(269) == " he");
  for (const char* s : {"hello world", "hé  lo", " x", "héllo\n"}) CHECK(tok.decode(tok.encode(s, false)) == s);

  Vocab no_prefix = toy_spm();
  no_prefix.add_space_prefix = false;
  no_prefix.add_eos = true;
  const Tokenizer np(no_prefix);
  CHECK(np.encode("hello", false) == Ids{268, 270});
  CHECK(np.encode("hello", true) == Ids{1, 268, 270, 2});

  const Tokenizer nobytes(toy_spm(false));
  CHECK(nobytes.encode("hé", false) == Ids{259, 260, 0, 0});     // no byte tokens: <unk> per byte
}
