// Paged key/value memory: fixed-size blocks in the backend's storage (Backend::kv_*),
// reference-counted so that sequences sharing a prefix share its blocks, and the block
// table operations of one sequence (share a prefix, truncate, make room for new positions
// with copy-on-write of a shared block).
//
// A block holds positions [b*B, (b+1)*B) of one sequence for every layer. A sequence writes
// only into blocks it holds alone: prepare_write copies a shared block first (only the
// positions it shares are copied). Blocks are never larger than the budget (max_blocks).
#pragma once

#include "engine/model/backend.h"

#include <cstdint>
#include <vector>

namespace ys::runtime {

class KvPool {
 public:
  KvPool() = default;
  KvPool(engine::Backend* be, int64_t block_tokens, int64_t max_blocks);

  int64_t block_tokens() const { return block_; }
  int64_t max_blocks() const { return max_; }
  int64_t in_use() const { return in_use_; }      // blocks with at least one reference
  int64_t capacity() const { return capacity_; }  // blocks with backend storage
  int64_t blocks_for(int64_t n_pos) const { return (n_pos + block_ - 1) / block_; }

  // A block with one reference. Throws ys::Error(internal) when all max_blocks are in use
  // (callers reserve first).
  int32_t alloc();
  void retain(int32_t b);
  void release(int32_t b);
  int32_t refs(int32_t b) const { return refs_[size_t(b)]; }

  struct Stats {
    int64_t allocs = 0;      // blocks handed out
    int64_t frees = 0;       // blocks whose last reference went
    int64_t cow_copies = 0;  // shared blocks copied before a write
    int64_t peak_in_use = 0;
  };
  const Stats& stats() const { return stats_; }

  // Block table operations. `blocks` covers positions [0, n) of a sequence.
  // to = the blocks of from's positions [0, n) (shared, one more reference each).
  void share(const std::vector<int32_t>& from, int64_t n, std::vector<int32_t>& to);
  // Keeps positions [0, n): releases the blocks past them.
  void truncate(std::vector<int32_t>& blocks, int64_t n);
  void release_all(std::vector<int32_t>& blocks) { truncate(blocks, 0); }
  // Before writing positions [valid, end) (valid = positions already held): a shared block
  // that would be written is replaced by a private copy of its first valid % B positions,
  // and new blocks are appended up to end. Returns the blocks allocated.
  int64_t prepare_write(std::vector<int32_t>& blocks, int64_t valid, int64_t end);

 private:
  engine::Backend* be_ = nullptr;
  int64_t block_ = 16, max_ = 0, in_use_ = 0, capacity_ = 0;
  std::vector<int32_t> refs_;  // per block id < capacity_
  std::vector<int32_t> free_;  // ids with storage and no reference (most recently freed last)
  Stats stats_;
};

}  // namespace ys::runtime
