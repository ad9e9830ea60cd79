// SentencePiece-style BPE (tokenizer.ggml.model = "llama"), as llama.cpp runs it.
//
// The text (spaces already replaced by U+2581) starts as one symbol per UTF-8
// character; the adjacent pair whose concatenation is a vocabulary token with the
// highest score is merged first (leftmost on a tie) until no pair forms a token. A
// final symbol that is not a token is emitted as its bytes' <0xXX> tokens (byte
// fallback), else the unknown token.
#pragma once

#include "engine/tokenizer/token_index.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ys::tok {

class SpmEncoder {
 public:
  SpmEncoder(const std::vector<std::string>& tokens, const std::vector<float>& scores, const TokenIndex& index,
             int32_t unk);

  // Appends the ids of `text` (already escaped) to `out`. Throws ys::Error(unsupported)
  // when a byte has neither a <0xXX> token nor an unknown token to fall back to.
  void encode(std::string_view text, std::vector<int32_t>& out) const;

  int32_t byte_token(unsigned char b) const { return byte_token_[b]; }

 private:
  const std::vector<float>& scores_;
  const TokenIndex& index_;
  std::array<int32_t, 256> byte_token_{};
  int32_t unk_ = -1;
};

}  // namespace ys::tok
