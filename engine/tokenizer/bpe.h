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
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ys::tok {

class BpeMerger {
 public:
  // merges: "left right" strings in rank order. Merges naming unknown tokens are
  // ignored. Throws ys::Error(format) on a merge without a separating space.
  // A byte whose code point has no token is dropped, as llama.cpp does (SmolLM2 lacks
  // the tokens of bytes 0x04, 0x06, 0x13, 0x14, 0x16, 0x1D and of bytes never valid in UTF-8).
  BpeMerger(const std::vector<std::string>& tokens, const std::vector<std::string>& merges, const TokenIndex& index,
            bool ignore_merges);

  // Appends the ids of raw (not yet byte-mapped) word bytes to `out`. Results for
  // short words are cached (thread-safe, bounded); the cache never changes the ids.
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

  void merge_word(std::string_view word, std::vector<int32_t>& out) const;

  struct SvHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct CacheShard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>, SvHash, std::equal_to<>> map;
  };
  static constexpr size_t kShards = 16, kShardCapacity = 16384, kMaxCachedWord = 64;

  const TokenIndex& index_;
  std::unique_ptr<std::array<CacheShard, kShards>> cache_ = std::make_unique<std::array<CacheShard, kShards>>();
  std::unordered_map<uint64_t, Merge> pairs_;
  std::array<int32_t, 256> byte_token_{};
  bool ignore_merges_ = false;
};

}  // namespace ys::tok
