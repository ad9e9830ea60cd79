// The one interface between the engine's shared code and a device (CPU, CUDA, ...).
//
// Two sides, one class:
//  * the operations an architecture's forward pass is written with (engine/model/llama.cpp):
//    coarse enough for speed (a matmul over all rows of a step, attention over the paged
//    keys/values of every sequence of the step, MoE routing with its expert matmuls), in
//    the backend's memory, never read by the architecture;
//  * what the runtime (engine/runtime/engine.h) needs to run a step: paged key/value
//    storage (fixed-size blocks addressed by id; the runtime decides which sequence owns
//    which block), one forward step for a set of sequences, and the logits rows it asked for.
// A backend may fuse neighbouring operations and may replay a recorded step (CUDA graphs)
// as long as each operation keeps the semantics written here. Layouts: activations are
// row-major [rows, cols] f32; row r of a step belongs to the sequence whose rows contain it.
// An Act may be viewed with another shape of the same size ({p, rows * k, cols / k}: one
// row per head) by the elementwise and norm operations (per-head QK norms).
#pragma once

#include "engine/quant/types.h"

#include <cstdint>
#include <functional>
#include <string>

namespace ys::engine {

struct WeightMat;  // engine/model/weights.h: a host view of one weight matrix

// Handles to backend memory (what `h`/`p` point at is the backend's business).
struct Mat {  // a weight matrix [rows, cols], or n_mat stacked ones (MoE experts)
  const void* h = nullptr;
  quant::Type type = quant::Type::f32;
  int64_t rows = 0, cols = 0, n_mat = 1;
  explicit operator bool() const { return h != nullptr; }
};
struct Vec {  // f32 weights: a norm, a bias, rope frequency factors
  const float* p = nullptr;
  int64_t n = 0;
  explicit operator bool() const { return p != nullptr; }
};
struct Act {  // activations [rows, cols] f32
  float* p = nullptr;
  int64_t rows = 0, cols = 0;
};

// Rotary position embedding (ggml semantics; engine/backend/cpu/ops.h spells out the math).
struct RopeConfig {
  int n_rot = 0;      // rotated dims per head, even, <= head_dim
  bool neox = false;  // false: pairs (2i, 2i+1) (llama); true: pairs (i, i + n_rot/2) (qwen2)
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;  // 1/factor for linear and YaRN scaling
  Vec freq_factors;         // [n_rot/2] llama3 per-dimension divisors, or none
  float ext_factor = 0.0f;  // YaRN (0 = off)
  float attn_factor = 1.0f, beta_fast = 32.0f, beta_slow = 1.0f;
  int n_ctx_orig = 0;
};

// Causal GQA attention of a layer. Fields past head_dim are for the architectures that
// need them; a backend that lacks one throws ys::Error(unsupported) naming it.
struct AttnConfig {
  int n_head = 0, n_kv_head = 0, head_dim = 0;
  float scale = 0.0f;    // 0 = 1/sqrt(head_dim)
  int64_t window = 0;    // > 0: query at p sees keys (p - window, p] (sliding window)
  int64_t chunk = 0;     // > 0: query at p sees keys in [p - p % chunk, p] (chunked local)
  float softcap = 0.0f;  // > 0: scores = softcap * tanh(scores / softcap)
};

// Sparse mixture of experts (llama/Mixtral layout): router logits = x W_router^T; top-k per
// row (ties to the lower expert id); weights per `gating`; output = sum over the k experts,
// in rank order, of weight * down(silu(gate x) * up x) (weight_before: down(silu(gate x') *
// up x') with x' = weight * x, summed unweighted; Llama 4).
struct MoeWeights {
  Mat router;          // [n_expert, n_embd]
  Mat gate, up, down;  // n_expert stacked matrices each
};
enum class MoeGating : uint8_t {
  softmax_topk,  // softmax over the k selected logits (Mixtral; = softmax over all, renormalised: Qwen3-MoE)
  softmax_all,   // softmax over all n_expert logits, the k selected kept as they are
  sigmoid,       // 1 / (1 + exp(-logit)) of each selected logit (Llama 4)
};
struct MoeConfig {
  int n_expert = 0, k = 0;
  MoeGating gating = MoeGating::softmax_topk;
  bool weight_before = false;  // scale the expert's input by its weight instead of its output
};

// Attention temperature tuning (Llama 4's NoPE layers): row t of x is multiplied by
// 1 + scale * log(floor((pos[t] + offset) / floor_scale) + 1): the floor in float, the rest
// in double, rounded once to float.
struct PosScale {
  float floor_scale = 8192.0f;
  float scale = 0.1f;
  float offset = 1.0f;
};

// Key/value storage: for each layer, keys and values of `row_dim` floats per position, in
// blocks of `block_tokens` positions. Block ids are dense from 0.
enum class KvType : uint8_t { f32 = 0, f16 = 1 };
struct KvLayout {
  int n_layer = 0;
  int64_t row_dim = 0;        // n_kv_head * head_dim (the same for every layer)
  int64_t block_tokens = 16;  // a power of two, >= 16
  KvType type = KvType::f32;
  int64_t max_blocks_per_seq = 0;  // blocks one sequence can hold (the context window)
};
const char* kv_type_name(KvType t);
// "f32" | "f16" -> KvType; throws ys::Error(invalid_input) naming `flag`.
KvType parse_kv_type(const std::string& name, const std::string& flag);

// One forward step, as the runtime hands it over (host memory, valid during run()).
struct StepSeq {
  int64_t row0 = 0, n_tok = 0;      // the step's rows [row0, row0 + n_tok), in order
  int64_t pos0 = 0;                 // position of its first row; keys/values of [0, pos0) are cached
  const int32_t* blocks = nullptr;  // block ids of positions [0, pos0 + n_tok), block_tokens each
  int64_t n_blocks = 0;
};
struct Step {
  const int32_t* tokens = nullptr;  // [n_rows]
  const int32_t* pos = nullptr;     // [n_rows]
  int64_t n_rows = 0;
  const StepSeq* seqs = nullptr;  // by row0, contiguous, covering every row
  int64_t n_seq = 0;
  const int64_t* out_rows = nullptr;  // rows whose logits are wanted, in the order of Backend::logits
  int64_t n_out = 0;
};

// A question about one logits row of the last step: log p(target) and the argmax.
struct RowQuery {
  int64_t row = 0;      // index among the step's output rows
  int32_t target = -1;  // < 0: argmax only
};
struct RowAnswer {
  double logprob = 0.0;  // log softmax(row)[target] computed in double; 0 without a target
  int32_t argmax = 0;    // the largest logit, lowest id on ties
};

// log softmax(logits)[target] in double and the argmax (lowest id on ties) of one row of
// n logits; target < 0: the argmax alone. The CPU's answer to a RowQuery.
RowAnswer row_stats(const float* logits, int64_t n, int32_t target);
using RowStats = RowAnswer;
// The parts of row_stats shared by every target of one row: the argmax, its logit and
// log(sum exp(logit - max)) (in double, in index order; only when with_sum). row_stats is
// log_softmax_at(summary, target): the same bits for one target or many.
struct RowSummary {
  int32_t argmax = 0;
  double max = 0.0, log_sum = 0.0;
};
RowSummary row_summary(const float* logits, int64_t n, bool with_sum);
inline double log_softmax_at(const float* logits, const RowSummary& s, int32_t target) {
  return double(logits[target]) - s.max - s.log_sum;
}

class Backend {
 public:
  virtual ~Backend() = default;
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // --- facts for ModelInfo and the scheduler
  virtual std::string device() const = 0;  // "cpu" or e.g. "cuda:0 NVIDIA H200"
  virtual std::string isa() const = 0;     // kernel variant, e.g. "avx512-vnni"
  virtual int threads() const = 0;
  virtual std::string activations() const = 0;  // "f32" or "int8"
  virtual int64_t step_rows() const = 0;        // rows per forward step the scheduler aims for

  // --- weights (once, at load; handles stay valid for the backend's lifetime)
  // `mats` point at n_mat matrices of one type and shape; `name` names the tensor in errors.
  virtual Mat upload(const WeightMat* mats, int64_t n_mat, const std::string& name) = 0;
  virtual Vec upload(const float* host, int64_t n) = 0;

  // --- key/value storage
  virtual void kv_init(const KvLayout& layout) = 0;
  virtual int64_t kv_block_bytes() const = 0;
  // Storage for block ids [0, n_blocks) (grows; existing blocks keep their contents).
  virtual void kv_reserve(int64_t n_blocks) = 0;
  // Copies positions [0, n_rows) of block src to block dst in every layer (copy-on-write).
  virtual void kv_copy(int32_t src, int32_t dst, int64_t n_rows) = 0;

  // --- one step: makes `s` the current step, then calls body() (the architecture's forward
  // pass, which issues the operations below); may be asynchronous until read_logits/score.
  virtual void run(const Step& s, const std::function<void()>& body) = 0;
  // Host copy of the step's logits rows [n_out, n_vocab].
  virtual void read_logits(float* dst) = 0;
  virtual void score(const RowQuery* q, int64_t n, RowAnswer* out) = 0;

  // --- operations (inside run)
  // A scratch buffer [rows, cols] that stays the same memory for the same slot and size.
  virtual Act buffer(int slot, int64_t rows, int64_t cols) = 0;
  // The logits of the step's output rows [n_out, n_vocab] (what read_logits returns).
  virtual Act logits(int64_t n_vocab) = 0;
  // x[t] = row tokens[t] of the token embedding table.
  virtual void embed(const Mat& table, Act x) = 0;
  // y[t] = x[t] / sqrt(mean(x[t]^2) + eps) * w (y may be x).
  virtual void rmsnorm(Act x, const Vec& w, float eps, Act y) = 0;
  // y = x W^T for each (W, y): all share the input x.
  struct MatOut {
    const Mat* w;
    Act y;
  };
  virtual void matmul(const MatOut* outs, int n, Act x) = 0;
  void matmul(const Mat& w, Act x, Act y) {
    const MatOut o{&w, y};
    matmul(&o, 1, x);
  }
  virtual void add_bias(Act x, const Vec& b) = 0;  // x[t] += b
  virtual void add(Act y, Act x) = 0;              // y += x
  // Rotates each head of x ([rows, n_head * head_dim]) by its row's position. `cfg` must
  // outlive the step (a backend may compute each config's angles once per step).
  virtual void rope(Act x, int n_head, int head_dim, const RopeConfig& cfg) = 0;
  virtual void swiglu(Act gate, Act up, Act out) = 0;  // out = silu(gate) * up, silu(g) = g / (1 + exp(-g))
  // Writes k, v ([rows, n_kv_head * head_dim]) into layer `layer` of the step's sequences'
  // blocks at their positions, then out[t] = attention of q[t] over its sequence's keys
  // 0..pos[t] (causal; scale, window, chunk and softcap as in cfg).
  virtual void attention(int layer, Act q, Act k, Act v, Act out, const AttnConfig& cfg) = 0;
  virtual void moe(const MoeWeights& w, const MoeConfig& cfg, Act x, Act out) = 0;
  // y[i] = x[out_rows[i]] for the step's output rows.
  virtual void gather_out_rows(Act x, Act y) = 0;

  // --- operations of the Gemma 3 and Llama 4 families. A backend without one throws
  // ys::Error(unsupported) naming it (these defaults).
  // x *= s (Gemma's embedding scale sqrt(n_embd)).
  virtual void scale(Act x, float s);
  // out = gelu(gate) * up with the tanh form gelu(g) = 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3))).
  virtual void geglu(Act gate, Act up, Act out);
  // x = cap * tanh(x / cap) (final logit soft-capping).
  virtual void softcap(Act x, float cap);
  // Row t of x (one row per step row) scaled by its position (PosScale).
  virtual void scale_by_position(Act x, const PosScale& p);
};

}  // namespace ys::engine
