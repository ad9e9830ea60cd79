#include "engine/runtime/prefix_cache.h"

#include "common/error.h"

#include <algorithm>
#include <string_view>

namespace ys::runtime {

namespace {

// Chains the hash of tokens [0, start) with tokens [start, end).
uint64_t chain(uint64_t prev, const int32_t* tokens, int64_t start, int64_t end) {
  uint64_t h = prev ^ 0x9E3779B97F4A7C15ull;
  for (int64_t i = start; i < end; ++i) {
    h ^= uint32_t(tokens[i]);
    h *= 0x100000001B3ull;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace

PrefixCache::PrefixCache(int n_layer, int64_t row_dim, int64_t block_tokens)
    : n_layer_(n_layer), row_dim_(row_dim), block_(block_tokens) {
  if (block_tokens <= 0) fail(ErrorKind::internal, "prefix cache: block size {} must be > 0", block_tokens);
}

int64_t PrefixCache::block_bytes(int64_t end) const {
  return 2 * int64_t(n_layer_) * block_ * row_dim_ * int64_t(sizeof(float)) + end * int64_t(sizeof(int32_t));
}

PrefixCache::Lru::iterator PrefixCache::find(uint64_t key, const int32_t* tokens, int64_t end) {
  const auto it = index_.find(key);
  if (it == index_.end()) return lru_.end();
  const Block& b = *it->second;
  if (int64_t(b.prefix.size()) != end || !std::equal(b.prefix.begin(), b.prefix.end(), tokens)) return lru_.end();
  it->second->epoch = epoch_;
  lru_.splice(lru_.begin(), lru_, it->second);  // in use: never the next to go
  return it->second;
}

int64_t PrefixCache::restore(const int32_t* tokens, int64_t from, int64_t limit, KvCache& kv) {
  ++epoch_;
  int64_t have = from;
  uint64_t h = 0;
  for (int64_t b = 0; (b + 1) * block_ <= limit; ++b) {
    const int64_t start = b * block_, end = start + block_;
    h = chain(h, tokens, start, end);
    if (end <= have) continue;
    const auto it = find(h, tokens, end);
    if (it == lru_.end()) break;
    kv.reserve(end);
    const size_t n = size_t(block_ * row_dim_);
    for (int il = 0; il < n_layer_; ++il) {
      std::copy_n(&it->k[size_t(il) * n], n, kv.k(il) + start * row_dim_);
      std::copy_n(&it->v[size_t(il) * n], n, kv.v(il) + start * row_dim_);
    }
    kv.set_n_pos(end);
    have = end;
    ++stats_.restored_blocks;
  }
  return have;
}

void PrefixCache::save(const int32_t* tokens, int64_t n, const KvCache& kv, int64_t budget) {
  if (n > kv.n_pos()) fail(ErrorKind::internal, "prefix cache: saving {} positions, the cache holds {}", n, kv.n_pos());
  std::vector<Lru::iterator> used;  // this sequence's blocks, in order
  uint64_t h = 0;
  for (int64_t b = 0; (b + 1) * block_ <= n; ++b) {
    const int64_t start = b * block_, end = start + block_;
    h = chain(h, tokens, start, end);
    const auto held = find(h, tokens, end);
    if (held != lru_.end()) {
      used.push_back(held);
      continue;
    }
    if (index_.count(h)) break;  // a colliding key: the chain cannot continue
    const int64_t need = block_bytes(end);
    while (bytes_ + need > budget && !lru_.empty() && lru_.back().epoch != epoch_) {
      bytes_ -= block_bytes(int64_t(lru_.back().prefix.size()));
      index_.erase(lru_.back().key);
      lru_.pop_back();
      ++stats_.evicted_blocks;
    }
    if (bytes_ + need > budget) break;
    Block blk;
    blk.key = h;
    blk.epoch = epoch_;
    blk.prefix.assign(tokens, tokens + end);
    const size_t m = size_t(block_ * row_dim_);
    blk.k.resize(m * size_t(n_layer_));
    blk.v.resize(m * size_t(n_layer_));
    for (int il = 0; il < n_layer_; ++il) {
      std::copy_n(kv.k(il) + start * row_dim_, m, &blk.k[size_t(il) * m]);
      std::copy_n(kv.v(il) + start * row_dim_, m, &blk.v[size_t(il) * m]);
    }
    lru_.push_front(std::move(blk));
    index_[h] = lru_.begin();
    used.push_back(lru_.begin());
    bytes_ += need;
    ++stats_.saved_blocks;
  }
  // Rank: block 0 most recent, the deepest block least recent among them.
  for (auto it = used.rbegin(); it != used.rend(); ++it) lru_.splice(lru_.begin(), lru_, *it);
}

void PrefixCache::shrink(int64_t budget) {
  while (bytes_ > budget && !lru_.empty()) {
    bytes_ -= block_bytes(int64_t(lru_.back().prefix.size()));
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evicted_blocks;
  }
}

void PrefixCache::clear() {
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

}  // namespace ys::runtime
