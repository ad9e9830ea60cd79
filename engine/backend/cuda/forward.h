// The Llama-family forward pass on the GPU (the same steps as engine/model/llama.cpp):
// weights uploaded once, a device KV cache, all activations on the device.
//
// Precision: weights stay in their file type (F32/F16/BF16 as is, Q8_0/Q4_0/Q4_1/Q4_K/
// Q5_K/Q6_K as blocks); norms and biases f32; activations and the KV cache f32.
// Decode-sized batches (n_tok <= 8) use the GEMV kernels with f32 activations; larger
// batches dequantize the weight to f16 and run one cuBLAS GEMM with f16 inputs and f32
// accumulation. Everything runs on one stream; forward() does not synchronize inside the
// step. The decode step (one token, one output row) is captured once as a CUDA graph and
// replayed (positions and token ids live in device memory); YS_CUDA_GRAPHS=0 turns it off.
//
// Deterministic mode (LoadOptions::deterministic): a token's logits do not depend on n_tok.
// Every matmul is matmul_deterministic (one GEMV kernel for all n_tok, fixed per-row order)
// and attention always runs version 1 (one warp per query and head, online softmax over
// the cache rows in order; no split-K for small n_tok). The other kernels are per row
// already: embed (block per token), rmsnorm (block per row, fixed 256-thread tree), RoPE,
// bias/add/SwiGLU/kv_store (elementwise), MoE top-k (thread per token), combine
// (elementwise, rank order), expert GEMV v1 (warp per row and token), row_stats (block per
// row). See NOTES.md.
#pragma once

#include "engine/backend/cuda/device.h"
#include "engine/backend/cuda/kernels.h"
#include "engine/model/hparams.h"
#include "engine/model/weights.h"

#include <memory>
#include <vector>

namespace ys::cuda {

struct DevLayer {
  const float* attn_norm = nullptr;   // [n_embd]
  DevMat wq, wk, wv, wo;              // as engine::LayerWeights
  const float *bq = nullptr, *bk = nullptr, *bv = nullptr;
  const float* ffn_norm = nullptr;    // [n_embd]
  DevMat gate, up, down;              // dense
  DevMat router;                      // MoE [n_expert, n_embd]
  DevMat gate_exps, up_exps, down_exps;  // MoE: n_mat = n_expert stacked matrices
};

struct DevWeights {
  DevMat tok_embd, output;
  const float* output_norm = nullptr;
  const float* rope_freqs = nullptr;  // [n_rot/2] or null
  std::vector<DevLayer> layers;
  std::vector<Buffer> store;
  uint64_t bytes = 0;                 // device bytes of weights
  int64_t max_mat_elems = 0;          // largest rows*cols (f16 scratch for GEMMs)
  int64_t max_cols = 0;
};

// Uploads every tensor once (shared host storage, e.g. tied embeddings, once).
// Throws ys::Error(unsupported) for a type without a CUDA kernel.
std::unique_ptr<DevWeights> upload_weights(const engine::Weights& w, const engine::HParams& h);

class CudaForward {
 public:
  CudaForward(const engine::HParams& h, const DevWeights& w, int64_t n_ctx, int64_t max_batch,
              bool deterministic = false);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t max_batch() const { return max_batch_; }
  int64_t n_pos() const { return n_pos_; }
  bool deterministic() const { return deterministic_; }
  // Keeps cached positions [0, n) (n <= n_pos()).
  void truncate(int64_t n);

  // Runs tokens[0..n_tok) (host ids, n_tok <= max_batch) at positions n_pos().., appends
  // their keys/values, and leaves the logits of batch rows [out_begin, out_begin+n_out)
  // in logits() ([n_out, n_vocab], device). Asynchronous.
  void forward(const int32_t* tokens, int64_t n_tok, int64_t out_begin, int64_t n_out);
  const float* logits() const { return logits_.as<float>(); }

 private:
  void reserve_kv(int64_t n);
  void body(int64_t n_tok, int64_t out_begin, int64_t n_out);  // the kernels of one step
  void matmul(const DevMat& w, const float* x, int64_t n_tok, float* y);
  void attention_block(const DevLayer& L, int il, int64_t n_tok);
  void dense_ffn(const DevLayer& L, int64_t n_tok);
  void moe_ffn(const DevLayer& L, int64_t n_tok);

  const engine::HParams& h_;
  const DevWeights& w_;
  RopeDev rope_;
  int64_t n_ctx_, max_batch_, n_pos_ = 0, kv_cap_ = 0;
  bool deterministic_;
  std::vector<Buffer> k_cache_, v_cache_;  // per layer [kv_cap, n_kv_head*head_dim] f32
  Graph graph_;                 // the decode step (n_tok = 1, one output row)
  int64_t graph_kv_cap_ = -1;   // kv_cap_ when graph_ was captured
  bool graphs_failed_ = false;  // capture failed once: run without graphs
  Buffer attn_part_, pos_, tokens_, bad_, x_, xn_, q_, k_, v_, att_, tmp_, gate_, up_, moe_out_, router_, sel_, wsel_, logits_;
  Buffer scratch_w_, scratch_x_;
};

}  // namespace ys::cuda
