// The f32 key/value cache of one sequence: per layer, rows [n_pos, n_kv_head * head_dim].
// Storage grows on demand up to the context length. Truncating keeps a shared prefix,
// which is how requests with a common prompt prefix reuse their keys and values.
#pragma once

#include <cstdint>
#include <vector>

namespace ys::runtime {

class KvCache {
 public:
  KvCache() = default;
  KvCache(int n_layer, int64_t row_dim, int64_t n_ctx);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t n_pos() const { return n_pos_; }   // positions holding valid keys/values
  // Makes room for positions [0, n) (n <= n_ctx; throws ys::Error(invalid_input) otherwise).
  void reserve(int64_t n);
  // Marks positions [0, n) valid (after a forward pass wrote them) / keeps only [0, n).
  void set_n_pos(int64_t n);
  float* k(int layer) { return k_[layer].data(); }
  float* v(int layer) { return v_[layer].data(); }
  const float* k(int layer) const { return k_[layer].data(); }
  const float* v(int layer) const { return v_[layer].data(); }
  int64_t row_dim() const { return row_dim_; }
  int n_layer() const { return int(k_.size()); }
  int64_t capacity() const { return capacity_; }
  // Bytes of keys + values per position (all layers).
  int64_t bytes_per_pos() const { return 2 * int64_t(k_.size()) * row_dim_ * int64_t(sizeof(float)); }
  // Growth by doubling stops at max(n, limit) positions (a memory budget); 0 = no limit.
  void set_growth_limit(int64_t limit) { growth_limit_ = limit; }

 private:
  int64_t row_dim_ = 0, n_ctx_ = 0, n_pos_ = 0, capacity_ = 0, growth_limit_ = 0;
  std::vector<std::vector<float>> k_, v_;
};

}  // namespace ys::runtime
