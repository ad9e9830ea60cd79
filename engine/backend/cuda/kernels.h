// Launchers of the CUDA backend's kernels, callable from plain C++ (device pointers as
// plain pointers; everything runs on cuda::stream(), asynchronously, no host sync).
// Layouts follow engine/backend/cpu: activations are row-major [n_tok, dim] f32.
// Each kernel is validated against a CPU reference in tests/cuda/kernels_test.cpp.
#pragma once

#include "engine/quant/types.h"

#include <cstdint>

namespace ys::cuda {

// A weight matrix (or a stack of n_mat expert matrices) in device memory, in its GGUF
// block layout: row r of matrix e starts at data + e*mat_bytes + r*row_bytes(type, cols).
struct DevMat {
  quant::Type type = quant::Type::f32;
  const void* data = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t n_mat = 1;
  uint64_t mat_bytes = 0;
};

// Types with a device kernel: f32 f16 bf16 q8_0 q4_0 q4_1 q4_k q5_k q6_k.
bool supports(quant::Type t);

// GEMV (decode): y[b*rows + r] = W_{ids ? ids[b] : 0}[r,:] . x[(b / x_div)*cols ...],
// b in [0, n_b). One warp per row, lanes over 32-element units, f32 accumulation.
void gemv(const DevMat& w, const float* x, int64_t x_div, int64_t n_b, const int32_t* ids, float* y);

// The device's decoding of unit u (elements [32u, 32u+32)) of a row, run on the host:
// the same code as the kernels use, testable without a GPU. False for an unsupported type.
bool host_dequant_unit(quant::Type t, const void* row, int64_t u, float out[32]);

// Dequantizes matrix `mat` of w to IEEE half [rows, cols] (out: rows*cols uint16_t).
void dequant_f16(const DevMat& w, int64_t mat, uint16_t* out);
// Row gather + dequantize to f32: x[t,:] = W[tokens[t], :] (the token embedding).
// Token ids outside [0, rows) set *bad (device int) to 1 and leave the row zero.
void embed(const DevMat& w, const int32_t* tokens, int64_t n_tok, float* x, int32_t* bad);
// f32 -> IEEE half, round to nearest even.
void to_f16(const float* x, uint16_t* y, int64_t n);

// matmul: GEMV for n_tok <= gemv_max_tokens(), else W dequantized to f16 in `scratch_w`
// and X converted to f16 in `scratch_x`, one cublasGemmEx with f32 accumulation and f32 output.
// Scratch sizes: rows*cols and n_tok*cols halves (the caller sizes them).
void matmul(const DevMat& w, const float* x, int64_t n_tok, float* y, uint16_t* scratch_w, uint16_t* scratch_x);
int64_t gemv_max_tokens();
// The batch-invariant matmul of --deterministic (LoadOptions::deterministic): every token
// row, whatever n_tok, goes through one GEMV kernel (f32 activations and accumulation) in
// groups of gemv_max_tokens() rows, with explicitly rounded multiply-adds in one fixed order
// per row. Row t of y is the same bits whatever n_tok is and whichever rows share the call.
void matmul_deterministic(const DevMat& w, const float* x, int64_t n_tok, float* y);

// Elementwise ops (semantics of engine/backend/cpu/ops.h).
void rmsnorm(const float* x, const float* w, int64_t n_tok, int64_t dim, float eps, float* y);
void add_bias(float* x, const float* b, int64_t n_tok, int64_t dim);
void add_inplace(float* y, const float* x, int64_t n);
void silu_mul(const float* gate, const float* up, float* out, int64_t n);
void gelu_mul(const float* gate, const float* up, float* out, int64_t n);  // tanh gelu (cpu::gelu_mul)
void scale(float* x, int64_t n, float s);                                   // x *= s
void softcap(float* x, int64_t n, float cap);                               // x = cap tanh(x / cap)
// Row t of x [n_rows, cols] times cpu::position_scale(pos[t], ...) (pos: device memory).
void scale_by_position(float* x, int64_t n_rows, int64_t cols, const int32_t* pos, float floor_scale, float scale,
                       float offset);

struct RopeDev {
  int n_rot = 0;
  bool neox = false;
  float freq_base = 10000.0f, freq_scale = 1.0f;
  const float* freq_factors = nullptr;  // device [n_rot/2] or null
  float ext_factor = 0.0f, attn_factor = 1.0f, beta_fast = 32.0f, beta_slow = 1.0f;
  int n_ctx_orig = 0;
};
// Positions are read from device memory (pos[t], one int32 per row) so that a captured CUDA
// graph replays for any positions.
// x: [n_tok, n_head*head_dim]; row t at position pos[t]. Angles in double as on the CPU.
void rope(float* x, int64_t n_tok, int n_head, int head_dim, const int32_t* pos, const RopeDev& p);

// Paged key/value storage of ONE layer: blocks of 2^block_shift rows of row_dim elements
// (f32, or IEEE half when f16), block b's row i at k + ((b << block_shift) + i) * row_dim.
// Sequence s's block ids: tables[s * table_stride + j] for its positions
// [j << block_shift, (j + 1) << block_shift). All pointers are device memory.
struct PagedKv {
  void* k = nullptr;
  void* v = nullptr;
  bool f16 = false;
  int64_t row_dim = 0;
  int block_shift = 4;
  const int32_t* tables = nullptr;
  int64_t table_stride = 0;
};
// Writes rows k[t], v[t] ([n_rows, row_dim] f32) at position pos[t] of sequence row_seq[t].
void kv_store(const float* k, const float* v, int64_t n_rows, const int32_t* row_seq, const int32_t* pos,
              const PagedKv& kv);

// Causal GQA attention of n_rows queries: row t (sequence row_seq[t], position pos[t])
// attends to its sequence's cache rows [0, pos[t]]. Online softmax, one warp per (row,
// head); head_dim <= 256. With `scratch` (at least attention_scratch_floats(n_rows, ...)
// floats) and n_rows <= kAttentionSplitMaxTokens (decode steps of up to 32 sequences), the
// decode version: split-K over the cache (32 splits, one warp each), then a combine.
inline constexpr int64_t kAttentionSplitMaxTokens = 32;
int64_t attention_scratch_floats(int64_t n_rows, int n_head, int head_dim);
// Masks beyond causal (cpu::AttnOptions): row t attends to [first, pos[t]] with first =
// max(0, pos - window + 1) (window > 0) or pos - pos % chunk (chunk > 0); softcap > 0 caps
// each scaled score s to float(softcap * tanh(double(s) / softcap)).
struct AttnMask {
  int64_t window = 0, chunk = 0;
  float softcap = 0.0f;
};
void attention(const float* q, int64_t n_rows, const int32_t* row_seq, const int32_t* pos, const PagedKv& kv,
               int n_head, int n_kv_head, int head_dim, float scale, float* out, float* scratch = nullptr,
               const AttnMask& mask = {});

// y[i] = x[rows[i]] for i < n (rows of `cols` floats; rows is device memory).
void gather_rows(const float* x, int64_t cols, const int32_t* rows, int64_t n, float* y);

// Per query i (row rows[i] of logits [., n_vocab], or row i when rows is null):
// logprob[i] = log softmax(row)[targets[i]] (double, as cpu row_stats; 0 when targets is
// null or targets[i] < 0) and argmax[i] (lowest id wins ties).
void row_stats(const float* logits, int64_t n_rows, int64_t n_vocab, const int32_t* targets, double* logprob,
               int32_t* argmax, const int32_t* rows = nullptr);

// MoE routing: per token, top-k of router [n_tok, n_expert] (ties to the lower id), their
// weights per `gating` (engine::MoeGating as an int: 0 softmax over the k selected, 1 softmax
// over all experts, 2 sigmoid of each selected logit). sel/wsel: [n_tok, k].
void moe_topk(const float* router, int64_t n_tok, int n_expert, int k, int32_t* sel, float* wsel, int gating = 0);
// out[t,:] = sum_j wsel[t,j] * src[(t*k + j), :], summed in rank order j = 0..k-1 (weights of
// 1 when wsel is null).
void moe_combine(const float* src, const float* wsel, int64_t n_tok, int k, int64_t dim, float* out);
// y[b, :] = wsel[b] * x[b / k, :] for b < n_tok * k (an expert's input scaled by its weight).
void moe_scale_inputs(const float* x, const float* wsel, int64_t n_tok, int k, int64_t dim, float* y);

// Measured ceilings (tools): time `reps` device-to-device copies of `bytes`, and `reps`
// m*n*k GEMMs (bf16 if `bf16`, else f16; f32 accumulation) on random data. Seconds, median.
double time_copy(uint64_t bytes, int reps);
double time_gemm(int m, int n, int k, bool bf16, int reps);

}  // namespace ys::cuda
