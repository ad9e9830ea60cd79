#include "engine/runtime/kv_pool.h"

#include "common/error.h"

#include <algorithm>

namespace ys::runtime {

KvPool::KvPool(engine::Backend* be, int64_t block_tokens, int64_t max_blocks)
    : be_(be), block_(block_tokens), max_(max_blocks) {
  if (block_tokens <= 0) fail(ErrorKind::internal, "KV pool: block size {} must be > 0", block_tokens);
}

int32_t KvPool::alloc() {
  if (free_.empty()) {
    if (capacity_ >= max_)
      fail(ErrorKind::internal, "KV pool: all {} blocks are in use (a sequence was not reserved)", max_);
    // Storage grows by doubling (fewer backend reallocations), never past the budget.
    const int64_t grown = std::min(max_, std::max<int64_t>(capacity_ + 1, capacity_ * 2));
    be_->kv_reserve(grown);
    refs_.resize(size_t(grown), 0);
    for (int64_t b = grown - 1; b >= capacity_; --b) free_.push_back(int32_t(b));
    capacity_ = grown;
  }
  const int32_t b = free_.back();
  free_.pop_back();
  refs_[size_t(b)] = 1;
  ++in_use_;
  ++stats_.allocs;
  stats_.peak_in_use = std::max(stats_.peak_in_use, in_use_);
  return b;
}

void KvPool::retain(int32_t b) {
  if (b < 0 || b >= capacity_ || refs_[size_t(b)] <= 0)
    fail(ErrorKind::internal, "KV pool: retain of block {} that is not in use", b);
  ++refs_[size_t(b)];
}

void KvPool::release(int32_t b) {
  if (b < 0 || b >= capacity_ || refs_[size_t(b)] <= 0)
    fail(ErrorKind::internal, "KV pool: release of block {} that is not in use", b);
  if (--refs_[size_t(b)] == 0) {
    free_.push_back(b);
    --in_use_;
    ++stats_.frees;
  }
}

void KvPool::share(const std::vector<int32_t>& from, int64_t n, std::vector<int32_t>& to) {
  const size_t nb = size_t(blocks_for(n));
  if (nb > from.size()) fail(ErrorKind::internal, "KV pool: sharing {} positions of {} blocks", n, from.size());
  release_all(to);
  to.assign(from.begin(), from.begin() + std::ptrdiff_t(nb));
  for (int32_t b : to) retain(b);
}

void KvPool::truncate(std::vector<int32_t>& blocks, int64_t n) {
  const size_t keep = size_t(blocks_for(n));
  while (blocks.size() > keep) {
    release(blocks.back());
    blocks.pop_back();
  }
}

int64_t KvPool::prepare_write(std::vector<int32_t>& blocks, int64_t valid, int64_t end) {
  int64_t allocated = 0;
  const size_t first = size_t(valid / block_);
  if (valid < end && first < blocks.size() && refs_[size_t(blocks[first])] > 1) {
    const int32_t old = blocks[first], fresh = alloc();
    ++allocated;
    if (valid % block_ != 0) {
      be_->kv_copy(old, fresh, valid % block_);
      ++stats_.cow_copies;
    }
    blocks[first] = fresh;
    release(old);
  }
  while (int64_t(blocks.size()) < blocks_for(end)) {
    blocks.push_back(alloc());
    ++allocated;
  }
  return allocated;
}

}  // namespace ys::runtime
