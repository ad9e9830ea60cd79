// Byte-level BPE merging of one pre-tokenized word.
//
// The word's bytes start as one symbol each (the token of the byte's mapped code
// point); adjacent pairs are merged lowest merge rank first, leftmost first on a tie,
// until no adjacent pair has a merge (the algorithm of GPT-2, HF tokenizers and
// llama.cpp). Merges are looked up by the (left id, right id) pair.
#pragma once

#include "engine/tokenizer/token_index.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ys::tok {

class BpeMerger {
 public:
  // merges: "left right" strings in rank order. Merges naming unknown tokens are
  // ignored. Throws ys::Error(format) on a merge without a separating space.
  BpeMerger(const std::vector<std::string>& tokens, const std::vector<std::string>& merges, const TokenIndex& index,
            bool ignore_merges, int32_t unk);

  // Appends the ids of raw (not yet byte-mapped) word bytes to `out`.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  // The token for a single raw byte (-1 if the vocabulary lacks it).
  int32_t byte_token(unsigned char b) const { return byte_token_[b]; }
  size_t n_merges() const { return pairs_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t id;
  };
  static uint64_t key(int32_t l, int32_t r) { return (uint64_t(uint32_t(l)) << 32) | uint32_t(r); }
  const Merge* find(int32_t l, int32_t r) const {
    const auto it = pairs_.find(key(l, r));
    return it == pairs_.end() ? nullptr : &it->second;
  }

  const TokenIndex& index_;
  std::unordered_map<uint64_t, Merge> pairs_;
  std::array<int32_t, 256> byte_token_{};
  bool ignore_merges_ = false;
  int32_t unk_ = -1;
};

}  // namespace ys::tok
