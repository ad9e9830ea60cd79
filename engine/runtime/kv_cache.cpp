#include "engine/runtime/kv_cache.h"

#include "common/error.h"

#include <algorithm>

namespace ys::runtime {

KvCache::KvCache(int n_layer, int64_t row_dim, int64_t n_ctx)
    : row_dim_(row_dim), n_ctx_(n_ctx), k_(size_t(n_layer)), v_(size_t(n_layer)) {}

void KvCache::reserve(int64_t n) {
  if (n > n_ctx_) fail(ErrorKind::invalid_input, "KV cache: {} positions requested, context length is {}", n, n_ctx_);
  if (n <= capacity_) return;
  int64_t grown = std::max(n, capacity_ * 2);
  if (growth_limit_ > 0) grown = std::max(n, std::min(grown, growth_limit_));
  const int64_t cap = std::min(n_ctx_, grown);
  for (auto& b : k_) b.resize(size_t(cap * row_dim_));
  for (auto& b : v_) b.resize(size_t(cap * row_dim_));
  capacity_ = cap;
}

void KvCache::set_n_pos(int64_t n) {
  if (n < 0 || n > capacity_) fail(ErrorKind::internal, "KV cache: n_pos {} outside capacity {}", n, capacity_);
  n_pos_ = n;
}

}  // namespace ys::runtime
