// CpuBackend::moe: sparse MoE (engine/model/backend.h) on the CPU.
#include "common/error.h"
#include "engine/backend/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ys::cpu {

// Router logits -> top-k experts per row (ties to the lower id) -> their weights (cfg.gating)
// -> per expert, its rows gathered (scaled by the weight with cfg.weight_before) and run as
// one batch through its SwiGLU FFN -> the sum of each row's experts in rank order, weighted
// (or not, with weight_before).
void CpuBackend::moe(const engine::MoeWeights& w, const engine::MoeConfig& cfg, engine::Act x, engine::Act out) {
  const int64_t n_tok = x.rows, e = x.cols, ne = cfg.n_expert, k = cfg.k, ff = w.gate.rows;
  if (k < 1 || k > ne || w.gate.n_mat != ne)
    fail(ErrorKind::internal, "moe: top-{} of {} experts with {} expert matrices", k, ne, w.gate.n_mat);
  std::vector<float> router(size_t(n_tok * ne));
  cpu::matmul(view(w.router), x.p, n_tok, router.data(), pool_);  // [n_tok, n_expert]
  std::vector<int32_t> sel(size_t(n_tok * k));
  std::vector<float> wsel(size_t(n_tok * k));
  std::vector<int32_t> ids(static_cast<size_t>(ne));
  std::vector<float> all;
  for (int64_t t = 0; t < n_tok; ++t) {
    const float* r = &router[size_t(t * ne)];
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                      [&](int32_t a, int32_t b) { return r[a] > r[b] || (r[a] == r[b] && a < b); });
    std::copy_n(ids.begin(), k, &sel[size_t(t * k)]);
    float* w = &wsel[size_t(t * k)];
    switch (cfg.gating) {
      case engine::MoeGating::softmax_topk:
        for (int64_t j = 0; j < k; ++j) w[j] = r[ids[size_t(j)]];
        softmax(w, k);
        break;
      case engine::MoeGating::softmax_all:
        all.assign(r, r + ne);
        softmax(all.data(), ne);
        for (int64_t j = 0; j < k; ++j) w[j] = all[size_t(ids[size_t(j)])];
        break;
      case engine::MoeGating::sigmoid:
        for (int64_t j = 0; j < k; ++j) w[j] = 1.0f / (1.0f + std::exp(-r[ids[size_t(j)]]));
        break;
    }
  }
  // Per expert: gather its rows, run the SwiGLU FFN on them as one batch.
  std::vector<float> moe_out(size_t(n_tok * k * e)), xin, outb, gate, up;
  for (int32_t ex = 0; ex < ne; ++ex) {
    std::vector<int64_t> slots;  // t*k + j
    for (int64_t s = 0; s < n_tok * k; ++s)
      if (sel[size_t(s)] == ex) slots.push_back(s);
    if (slots.empty()) continue;
    const int64_t m = int64_t(slots.size());
    xin.resize(size_t(m * e));
    outb.resize(size_t(m * e));
    gate.resize(size_t(m * ff));
    up.resize(size_t(m * ff));
    for (int64_t i = 0; i < m; ++i) std::copy_n(x.p + slots[size_t(i)] / k * e, e, &xin[size_t(i * e)]);
    if (cfg.weight_before)
      for (int64_t i = 0; i < m; ++i) scale_inplace(&xin[size_t(i * e)], e, wsel[size_t(slots[size_t(i)])]);
    cpu::matmul(view(w.gate, ex), xin.data(), m, gate.data(), pool_);  // [m, n_ff]
    cpu::matmul(view(w.up, ex), xin.data(), m, up.data(), pool_);      // [m, n_ff]
    silu_mul(gate.data(), up.data(), gate.data(), m * ff);
    cpu::matmul(view(w.down, ex), gate.data(), m, outb.data(), pool_);  // [m, n_embd]
    for (int64_t i = 0; i < m; ++i) std::copy_n(&outb[size_t(i * e)], e, &moe_out[size_t(slots[size_t(i)] * e)]);
  }
  for (int64_t t = 0; t < n_tok; ++t) {
    float* o = out.p + t * e;
    std::fill_n(o, e, 0.0f);
    for (int64_t j = 0; j < k; ++j) {
      const float* src = &moe_out[size_t((t * k + j) * e)];
      if (cfg.weight_before) {
        for (int64_t i = 0; i < e; ++i) o[i] += src[i];
        continue;
      }
      const float wj = wsel[size_t(t * k + j)];
      for (int64_t i = 0; i < e; ++i) o[i] += wj * src[i];
    }
  }
}

}  // namespace ys::cpu
