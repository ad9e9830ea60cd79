// A bounded store of key/value blocks of recently evaluated token prefixes.
//
// Keys/values of positions [b*B, (b+1)*B) depend only on tokens [0, (b+1)*B) (causal
// attention, batch-invariant ops), so a block is keyed by a hash of ALL tokens up to its
// end and stores those tokens to verify a hit exactly (a hash collision is never a hit).
// Restoring a block gives the same bits as recomputing it. Blocks are evicted least
// recently used first so that the store stays within a byte budget; after each sequence
// its blocks are re-ranked so that its FIRST block is the most recent (a prefix is only
// usable from block 0 on, so deeper blocks go first), and saving never evicts a block of
// the sequence being saved.
#pragma once

#include "engine/runtime/kv_cache.h"

#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

namespace ys::runtime {

class PrefixCache {
 public:
  PrefixCache() = default;
  PrefixCache(int n_layer, int64_t row_dim, int64_t block_tokens);

  int64_t block_tokens() const { return block_; }
  int64_t bytes() const { return bytes_; }      // keys, values and verification tokens held
  int64_t n_blocks() const { return int64_t(lru_.size()); }

  // `kv` holds positions [0, from) of `tokens`. Copies in the stored blocks that continue
  // that prefix, up to position `limit`; returns the positions kv now holds (>= from).
  int64_t restore(const int32_t* tokens, int64_t from, int64_t limit, KvCache& kv);
  // Stores every full block of tokens[0, n) (kv must hold them), evicting least recently
  // used blocks to stay within `budget` bytes; a block that cannot fit is not stored.
  void save(const int32_t* tokens, int64_t n, const KvCache& kv, int64_t budget);
  // Evicts least recently used blocks until bytes() <= budget.
  void shrink(int64_t budget);
  void clear();

  struct Stats {
    int64_t restored_blocks = 0, saved_blocks = 0, evicted_blocks = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Block {
    uint64_t key = 0;
    std::vector<int32_t> prefix;  // tokens [0, end)
    std::vector<float> k, v;      // [n_layer][block][row_dim]
    uint64_t epoch = 0;           // the restore/save round that last used it
  };
  using Lru = std::list<Block>;
  Lru::iterator find(uint64_t key, const int32_t* tokens, int64_t end);
  int64_t block_bytes(int64_t end) const;

  int n_layer_ = 0;
  int64_t row_dim_ = 0, block_ = 64, bytes_ = 0;
  uint64_t epoch_ = 0;
  Lru lru_;  // most recently used first
  std::unordered_map<uint64_t, Lru::iterator> index_;
  Stats stats_;
};

}  // namespace ys::runtime
