// The operations of CudaBackend (engine/model/backend.h): launches on the backend's stream.
#include "common/error.h"
#include "engine/backend/cuda/cuda_backend.h"

#include <algorithm>
#include <cmath>

namespace ys::cuda {

// moe_topk's gating codes (kernels.h).
static_assert(int(engine::MoeGating::softmax_topk) == 0 && int(engine::MoeGating::softmax_all) == 1 &&
              int(engine::MoeGating::sigmoid) == 2);

void CudaBackend::embed(const engine::Mat& table, engine::Act x) {
  cuda::embed(mat(table), d_tokens_, x.rows, x.p, bad_.as<int32_t>());
}

void CudaBackend::rmsnorm(engine::Act x, const engine::Vec& w, float eps, engine::Act y) {
  cuda::rmsnorm(x.p, w.p, x.rows, x.cols, eps, y.p);
}

void CudaBackend::matmul_one(const DevMat& w, const float* x, int64_t n_tok, float* y) {
  if (det_) return matmul_deterministic(w, x, n_tok, y);
  if (n_tok > gemv_max_tokens() && n_tok <= kGemvGroupMaxRows) {
    // Decode steps of several sequences: GEMV in groups of 8 rows (each reads the weights
    // once) beat dequantizing the whole matrix to f16 for one GEMM.
    for (int64_t g = 0; g < n_tok; g += gemv_max_tokens())
      gemv(w, x + g * w.cols, 1, std::min(gemv_max_tokens(), n_tok - g), nullptr, y + g * w.rows);
    return;
  }
  if (n_tok > gemv_max_tokens()) {  // the f16 GEMM path: scratch for the weight and the input
    grow(scratch_w_, size_t(w.rows * w.cols) * 2);
    grow(scratch_x_, size_t(n_tok * w.cols) * 2);
  }
  cuda::matmul(w, x, n_tok, y, scratch_w_.as<uint16_t>(), scratch_x_.as<uint16_t>());
}

void CudaBackend::matmul(const MatOut* outs, int n, engine::Act x) {
  for (int i = 0; i < n; ++i) matmul_one(mat(*outs[i].w), x.p, x.rows, outs[i].y.p);
}

void CudaBackend::add_bias(engine::Act x, const engine::Vec& b) { cuda::add_bias(x.p, b.p, x.rows, x.cols); }

void CudaBackend::add(engine::Act y, engine::Act x) { add_inplace(y.p, x.p, x.rows * x.cols); }

void CudaBackend::rope(engine::Act x, int n_head, int head_dim, const engine::RopeConfig& c) {
  RopeDev d;
  d.n_rot = c.n_rot;
  d.neox = c.neox;
  d.freq_base = c.freq_base;
  d.freq_scale = c.freq_scale;
  d.freq_factors = c.freq_factors.p;
  d.ext_factor = c.ext_factor;
  d.attn_factor = c.attn_factor;
  d.beta_fast = c.beta_fast;
  d.beta_slow = c.beta_slow;
  d.n_ctx_orig = c.n_ctx_orig;
  cuda::rope(x.p, x.rows, n_head, head_dim, d_pos_, d);
}

void CudaBackend::swiglu(engine::Act gate, engine::Act up, engine::Act out) {
  silu_mul(gate.p, up.p, out.p, gate.rows * gate.cols);
}

void CudaBackend::attention(int layer, engine::Act q, engine::Act k, engine::Act v, engine::Act out,
                            const engine::AttnConfig& cfg) {
  if (cfg.window < 0 || cfg.chunk < 0 || cfg.softcap < 0.0f || (cfg.window > 0 && cfg.chunk > 0))
    fail(ErrorKind::internal,
         "attention: window {} / chunk {} / softcap {}: expected >= 0, at most one of window and "
         "chunk",
         cfg.window, cfg.chunk, cfg.softcap);
  const PagedKv kv = layer_kv(layer);
  if (k.cols != kv.row_dim)
    fail(ErrorKind::internal, "attention: key rows of {} floats, the cache holds {}", k.cols, kv.row_dim);
  cuda::kv_store(k.p, v.p, k.rows, d_row_seq_, d_pos_, kv);
  const float scale = cfg.scale != 0.0f ? cfg.scale : float(1.0 / std::sqrt(double(cfg.head_dim)));
  float* scratch = nullptr;
  if (!det_ && q.rows <= kAttentionSplitMaxTokens) {  // split-K (decode) only outside deterministic mode
    grow(attn_part_, size_t(attention_scratch_floats(q.rows, cfg.n_head, cfg.head_dim)) * sizeof(float));
    scratch = attn_part_.as<float>();
  }
  AttnMask mask;
  mask.window = cfg.window;
  mask.chunk = cfg.chunk;
  mask.softcap = cfg.softcap;
  cuda::attention(q.p, q.rows, d_row_seq_, d_pos_, kv, cfg.n_head, cfg.n_kv_head, cfg.head_dim, scale, out.p, scratch,
                  mask);
}

// Router -> top-k and weights on the device -> expert GEMVs indexed by the selected ids (no
// host round trip) -> weighted sum in rank order (weight_before: the inputs scaled by the
// weights first, then an unweighted sum).
void CudaBackend::moe(const engine::MoeWeights& w, const engine::MoeConfig& cfg, engine::Act x, engine::Act out) {
  const int64_t n = x.rows, k = cfg.k, nb = n * k, ff = w.gate.rows;
  if (nb > 65535) fail(ErrorKind::invalid_input, "CUDA MoE: {} rows x {} experts exceed the GEMV grid", n, k);
  grow(moe_router_, size_t(n * cfg.n_expert) * 4);
  grow(moe_sel_, size_t(nb) * 4);
  grow(moe_wsel_, size_t(nb) * 4);
  grow(moe_gate_, size_t(nb * ff) * 4);
  grow(moe_up_, size_t(nb * ff) * 4);
  grow(moe_out_, size_t(nb * x.cols) * 4);
  matmul_one(mat(w.router), x.p, n, moe_router_.as<float>());
  moe_topk(moe_router_.as<float>(), n, cfg.n_expert, cfg.k, moe_sel_.as<int32_t>(), moe_wsel_.as<float>(),
           int(cfg.gating));
  const float* xin = x.p;
  int64_t x_div = k;
  if (cfg.weight_before) {
    grow(moe_in_, size_t(nb * x.cols) * 4);
    moe_scale_inputs(x.p, moe_wsel_.as<float>(), n, cfg.k, x.cols, moe_in_.as<float>());
    xin = moe_in_.as<float>();
    x_div = 1;
  }
  gemv(mat(w.gate), xin, x_div, nb, moe_sel_.as<int32_t>(), moe_gate_.as<float>());
  gemv(mat(w.up), xin, x_div, nb, moe_sel_.as<int32_t>(), moe_up_.as<float>());
  silu_mul(moe_gate_.as<float>(), moe_up_.as<float>(), moe_gate_.as<float>(), nb * ff);
  gemv(mat(w.down), moe_gate_.as<const float>(), 1, nb, moe_sel_.as<int32_t>(), moe_out_.as<float>());
  moe_combine(moe_out_.as<float>(), cfg.weight_before ? nullptr : moe_wsel_.as<float>(), n, cfg.k, x.cols, out.p);
}

void CudaBackend::gather_out_rows(engine::Act x, engine::Act y) { gather_rows(x.p, x.cols, d_out_, step_.n_out, y.p); }

void CudaBackend::scale(engine::Act x, float s) { cuda::scale(x.p, x.rows * x.cols, s); }

void CudaBackend::geglu(engine::Act gate, engine::Act up, engine::Act out) {
  gelu_mul(gate.p, up.p, out.p, gate.rows * gate.cols);
}

void CudaBackend::softcap(engine::Act x, float cap) {
  if (!(cap > 0.0f)) fail(ErrorKind::internal, "softcap: cap {} must be > 0", cap);
  cuda::softcap(x.p, x.rows * x.cols, cap);
}

void CudaBackend::scale_by_position(engine::Act x, const engine::PosScale& p) {
  if (x.rows != step_.n_rows)
    fail(ErrorKind::internal, "scale_by_position: {} rows, the step has {}", x.rows, step_.n_rows);
  cuda::scale_by_position(x.p, x.rows, x.cols, d_pos_, p.floor_scale, p.scale, p.offset);
}

}  // namespace ys::cuda
