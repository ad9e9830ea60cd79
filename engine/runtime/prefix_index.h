// The prefix cache: an index of full KV blocks by the tokens they hold.
//
// Keys/values of positions [b*B, (b+1)*B) depend only on tokens [0, (b+1)*B) (causal
// attention, batch-invariant operations), so a block is found by its own B tokens and the
// entry of the block before it (a chain from the first block); both are compared exactly,
// so a hash collision is never a hit. Sharing a block gives the same bits as recomputing it.
// The index holds one reference on each block it lists. Entries go least recently used
// first, and only when the index is a block's last holder; a sequence's entries are
// re-ranked after each lookup or insert so that its FIRST block is the most recent (a
// prefix is only usable from block 0 on, so deeper blocks go first).
#pragma once

#include "engine/runtime/kv_pool.h"

#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

namespace ys::runtime {

class PrefixIndex {
 public:
  explicit PrefixIndex(int64_t block_tokens = 16) : block_(block_tokens) {}

  // The blocks holding the longest indexed prefix of tokens[0, limit), whole blocks only
  // (no reference taken). count_restored: the caller uses them (Stats::restored_blocks).
  std::vector<int32_t> lookup(const int32_t* tokens, int64_t limit);
  void count_restored(int64_t n) { stats_.restored_blocks += n; }
  // Indexes the full blocks of a sequence whose positions [0, n) are computed in `blocks`
  // (a block already listed for the same tokens keeps its entry). The index retains the
  // blocks it adds.
  void insert(const int32_t* tokens, int64_t n, const std::vector<int32_t>& blocks, KvPool& pool);
  // Drops the least recently used entry whose block the index alone holds; false if none.
  bool evict_one(KvPool& pool);
  void clear(KvPool& pool);
  int64_t size() const { return int64_t(lru_.size()); }

  struct Stats {
    int64_t restored_blocks = 0;  // blocks found by lookup
    int64_t saved_blocks = 0;     // entries added
    int64_t evicted_blocks = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    uint64_t id = 0, parent = 0, key = 0;
    int32_t block = -1;
    std::vector<int32_t> tokens;  // the block's B tokens
  };
  using Lru = std::list<Entry>;
  Lru::iterator find(uint64_t parent, const int32_t* tokens);
  void rank(const std::vector<Lru::iterator>& chain);

  int64_t block_;
  uint64_t next_id_ = 1;  // 0 = the empty prefix
  Lru lru_;               // most recently used first
  std::unordered_map<uint64_t, Lru::iterator> map_;
  Stats stats_;
};

}  // namespace ys::runtime
