#include "engine/runtime/prefix_index.h"

#include <algorithm>

namespace ys::runtime {

namespace {

uint64_t key_of(uint64_t parent, const int32_t* tokens, int64_t n) {
  uint64_t h = parent * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  for (int64_t i = 0; i < n; ++i) {
    h ^= uint32_t(tokens[i]);
    h *= 0x100000001B3ull;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace

PrefixIndex::Lru::iterator PrefixIndex::find(uint64_t parent, const int32_t* tokens) {
  const auto it = map_.find(key_of(parent, tokens, block_));
  if (it == map_.end()) return lru_.end();
  const Entry& e = *it->second;
  if (e.parent != parent || !std::equal(e.tokens.begin(), e.tokens.end(), tokens)) return lru_.end();
  return it->second;
}

void PrefixIndex::rank(const std::vector<Lru::iterator>& chain) {
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) lru_.splice(lru_.begin(), lru_, *it);
}

std::vector<int32_t> PrefixIndex::lookup(const int32_t* tokens, int64_t limit) {
  std::vector<int32_t> out;
  std::vector<Lru::iterator> chain;
  uint64_t parent = 0;
  for (int64_t start = 0; start + block_ <= limit; start += block_) {
    const auto it = find(parent, tokens + start);
    if (it == lru_.end()) break;
    chain.push_back(it);
    out.push_back(it->block);
    parent = it->id;
  }
  rank(chain);
  return out;
}

void PrefixIndex::insert(const int32_t* tokens, int64_t n, const std::vector<int32_t>& blocks, KvPool& pool) {
  std::vector<Lru::iterator> chain;
  uint64_t parent = 0;
  for (int64_t b = 0; (b + 1) * block_ <= n && b < int64_t(blocks.size()); ++b) {
    const int32_t* t = tokens + b * block_;
    auto it = find(parent, t);
    if (it == lru_.end()) {
      const uint64_t key = key_of(parent, t, block_);
      if (map_.count(key)) break;  // a colliding key: this chain cannot continue
      Entry e;
      e.id = next_id_++;
      e.parent = parent;
      e.key = key;
      e.block = blocks[size_t(b)];
      e.tokens.assign(t, t + block_);
      pool.retain(e.block);
      lru_.push_front(std::move(e));
      it = lru_.begin();
      map_[key] = it;
      ++stats_.saved_blocks;
    }
    chain.push_back(it);
    parent = it->id;
  }
  rank(chain);
}

bool PrefixIndex::evict_one(KvPool& pool) {
  for (auto it = lru_.end(); it != lru_.begin();) {
    --it;
    if (pool.refs(it->block) != 1) continue;
    pool.release(it->block);
    map_.erase(it->key);
    lru_.erase(it);
    ++stats_.evicted_blocks;
    return true;
  }
  return false;
}

void PrefixIndex::clear(KvPool& pool) {
  for (const Entry& e : lru_) pool.release(e.block);
  lru_.clear();
  map_.clear();
}

}  // namespace ys::runtime
