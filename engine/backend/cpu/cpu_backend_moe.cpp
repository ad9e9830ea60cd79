// CpuBackend::moe: sparse MoE (engine/model/backend.h) on the CPU.
#include "common/error.h"
#include "engine/backend/cpu/cpu_backend.h"

#include <algorithm>
#include <numeric>

namespace ys::cpu {

// Router logits -> top-k experts per row (ties to the lower id) -> softmax over the selected
// logits -> per expert, its rows gathered and run as one batch through its SwiGLU FFN ->
// the weighted sum of each row's experts, in rank order.
void CpuBackend::moe(const engine::MoeWeights& w, const engine::MoeConfig& cfg, engine::Act x, engine::Act out) {
  const int64_t n_tok = x.rows, e = x.cols, ne = cfg.n_expert, k = cfg.k, ff = w.gate.rows;
  if (k < 1 || k > ne || w.gate.n_mat != ne)
    fail(ErrorKind::internal, "moe: top-{} of {} experts with {} expert matrices", k, ne, w.gate.n_mat);
  std::vector<float> router(size_t(n_tok * ne));
  cpu::matmul(view(w.router), x.p, n_tok, router.data(), pool_);  // [n_tok, n_expert]
  std::vector<int32_t> sel(size_t(n_tok * k));
  std::vector<float> wsel(size_t(n_tok * k));
  std::vector<int32_t> ids(static_cast<size_t>(ne));
  for (int64_t t = 0; t < n_tok; ++t) {
    const float* r = &router[size_t(t * ne)];
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                      [&](int32_t a, int32_t b) { return r[a] > r[b] || (r[a] == r[b] && a < b); });
    std::copy_n(ids.begin(), k, &sel[size_t(t * k)]);
    for (int64_t j = 0; j < k; ++j) wsel[size_t(t * k + j)] = r[ids[size_t(j)]];
    softmax(&wsel[size_t(t * k)], k);
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
      const float wj = wsel[size_t(t * k + j)];
      const float* src = &moe_out[size_t((t * k + j) * e)];
      for (int64_t i = 0; i < e; ++i) o[i] += wj * src[i];
    }
  }
}

}  // namespace ys::cpu
