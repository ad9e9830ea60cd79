// Uploads engine::Weights (views into the mapped GGUF or converted copies) to the device.
#include "common/error.h"
#include "engine/backend/cuda/forward.h"
#include "engine/quant/quant.h"

#include <algorithm>
#include <map>

namespace ys::cuda {

namespace {

class Uploader {
 public:
  explicit Uploader(DevWeights& d) : d_(d) {}

  // One matrix, or n stacked matrices of the same shape and type (MoE experts).
  DevMat mats(const std::vector<cpu::WeightView>& views, const char* what) {
    if (views.empty()) return {};
    const cpu::WeightView& v0 = views[0];
    if (!supports(v0.type))
      fail(ErrorKind::unsupported, "CUDA backend: tensor {} has type {}, which has no CUDA kernel", what,
           quant::name(v0.type));
    if (v0.cols % 32 != 0)
      fail(ErrorKind::unsupported, "CUDA backend: tensor {} has rows of {} elements; expected a multiple of 32", what,
           v0.cols);
    const uint64_t mat_bytes = quant::row_bytes(v0.type, uint64_t(v0.cols)) * uint64_t(v0.rows);
    DevMat m{v0.type, nullptr, v0.rows, v0.cols, int64_t(views.size()), mat_bytes};
    d_.max_mat_elems = std::max(d_.max_mat_elems, v0.rows * v0.cols);
    d_.max_cols = std::max(d_.max_cols, v0.cols);
    const auto it = seen_.find(v0.data);
    if (it != seen_.end() && views.size() == 1) {
      m.data = it->second;
      return m;
    }
    Buffer b(mat_bytes * views.size());
    for (size_t e = 0; e < views.size(); ++e)
      to_device(b.as<uint8_t>() + e * mat_bytes, views[e].data, mat_bytes);
    m.data = b.data();
    if (views.size() == 1) seen_[v0.data] = b.data();
    d_.bytes += b.size();
    d_.store.push_back(std::move(b));
    return m;
  }
  DevMat mat(const cpu::WeightView& v, const char* what) { return mats({v}, what); }

  const float* vec(const float* host, int64_t n) {
    if (!host) return nullptr;
    Buffer b(size_t(n) * sizeof(float));
    to_device(b.data(), host, size_t(n) * sizeof(float));
    const float* p = b.as<float>();
    d_.bytes += b.size();
    d_.store.push_back(std::move(b));
    return p;
  }

 private:
  DevWeights& d_;
  std::map<const void*, const void*> seen_;
};

}  // namespace

std::unique_ptr<DevWeights> upload_weights(const engine::Weights& w, const engine::HParams& h) {
  auto d = std::make_unique<DevWeights>();
  Uploader up(*d);
  const int64_t e = h.n_embd, qd = int64_t(h.n_head) * h.head_dim, kvd = int64_t(h.n_kv_head) * h.head_dim;
  d->tok_embd = up.mat(w.tok_embd, "token_embd.weight");
  d->output = up.mat(w.output, "output.weight");
  d->output_norm = up.vec(w.output_norm, e);
  d->rope_freqs = up.vec(w.rope_freqs, h.n_rot / 2);
  d->layers.resize(w.layers.size());
  for (size_t il = 0; il < w.layers.size(); ++il) {
    const engine::LayerWeights& L = w.layers[il];
    DevLayer& D = d->layers[il];
    D.attn_norm = up.vec(L.attn_norm, e);
    D.wq = up.mat(L.wq, "attn_q.weight");
    D.wk = up.mat(L.wk, "attn_k.weight");
    D.wv = up.mat(L.wv, "attn_v.weight");
    D.wo = up.mat(L.wo, "attn_output.weight");
    D.bq = up.vec(L.bq, qd);
    D.bk = up.vec(L.bk, kvd);
    D.bv = up.vec(L.bv, kvd);
    D.ffn_norm = up.vec(L.ffn_norm, e);
    if (h.n_expert == 0) {
      D.gate = up.mat(L.w_gate, "ffn_gate.weight");
      D.up = up.mat(L.w_up, "ffn_up.weight");
      D.down = up.mat(L.w_down, "ffn_down.weight");
    } else {
      D.router = up.mat(L.router, "ffn_gate_inp.weight");
      D.gate_exps = up.mats(L.gate_exps, "ffn_gate_exps.weight");
      D.up_exps = up.mats(L.up_exps, "ffn_up_exps.weight");
      D.down_exps = up.mats(L.down_exps, "ffn_down_exps.weight");
    }
  }
  return d;
}

}  // namespace ys::cuda
