// The CUDA implementation of engine::Backend (engine/model/backend.h): weights uploaded once,
// paged key/value pools on the device, every activation on the device, one stream.
//
// Precision: weights stay in their file type (F32/F16/BF16 as is, Q8_0/Q4_0/Q4_1/Q4_K/
// Q5_K/Q6_K as blocks); norms and biases f32; activations f32; keys/values f32 or f16
// (--kv-type). Steps of up to 32 rows use the GEMV kernels with f32 activations (8 rows
// per weight read); larger steps dequantize each weight to f16 and run one cuBLAS GEMM with
// f16 inputs and f32 accumulation. The step's per-row data (tokens, positions, sequence of each row, block
// tables, output rows) is uploaded once per step into fixed device buffers, which the
// kernels read, so a decode step (every sequence one row, every row an output) of a given
// size (up to kGemvGroupMaxRows) is recorded once as a CUDA graph and replayed
// (YS_CUDA_GRAPHS=0 turns it off).
//
// Deterministic mode (LoadOptions::deterministic): a row's logits do not depend on how
// many rows share the step. Every matmul is matmul_deterministic (one GEMV kernel for all
// sizes, fixed per-row order) and attention always runs version 1 (one warp per row and
// head, online softmax over the cache rows in order); the other kernels are per row
// already (NOTES.md).
#pragma once

#include "engine/backend/cuda/device.h"
#include "engine/backend/cuda/kernels.h"
#include "engine/model/backend.h"

#include <deque>
#include <map>
#include <memory>
#include <vector>

namespace ys::cuda {

// Steps of at most this many rows multiply by GEMV (groups of 8 rows), and decode steps of
// at most this many sequences are recorded as CUDA graphs.
inline constexpr int64_t kGemvGroupMaxRows = 32;

class CudaBackend final : public engine::Backend {
 public:
  CudaBackend(int device_index, bool deterministic);
  ~CudaBackend() override;

  std::string device() const override { return device_; }
  std::string isa() const override { return device_ + (det_ ? " deterministic" : ""); }
  int threads() const override { return 1; }
  std::string activations() const override { return "f32"; }
  int64_t step_rows() const override { return 512; }
  bool deterministic() const { return det_; }
  uint64_t weight_bytes() const { return weight_bytes_; }

  engine::Mat upload(const engine::WeightMat* mats, int64_t n_mat, const std::string& name) override;
  engine::Vec upload(const float* host, int64_t n) override;

  void kv_init(const engine::KvLayout& layout) override;
  int64_t kv_block_bytes() const override;
  void kv_reserve(int64_t n_blocks) override;
  void kv_copy(int32_t src, int32_t dst, int64_t n_rows) override;

  void run(const engine::Step& s, const std::function<void()>& body) override;
  void read_logits(float* dst) override;
  void score(const engine::RowQuery* q, int64_t n, engine::RowAnswer* out) override;

  engine::Act buffer(int slot, int64_t rows, int64_t cols) override;
  engine::Act logits(int64_t n_vocab) override;
  void embed(const engine::Mat& table, engine::Act x) override;
  void rmsnorm(engine::Act x, const engine::Vec& w, float eps, engine::Act y) override;
  void matmul(const MatOut* outs, int n, engine::Act x) override;
  void add_bias(engine::Act x, const engine::Vec& b) override;
  void add(engine::Act y, engine::Act x) override;
  void rope(engine::Act x, int n_head, int head_dim, const engine::RopeConfig& cfg) override;
  void swiglu(engine::Act gate, engine::Act up, engine::Act out) override;
  void attention(int layer, engine::Act q, engine::Act k, engine::Act v, engine::Act out,
                 const engine::AttnConfig& cfg) override;
  void moe(const engine::MoeWeights& w, const engine::MoeConfig& cfg, engine::Act x, engine::Act out) override;
  void gather_out_rows(engine::Act x, engine::Act y) override;
  void scale(engine::Act x, float s) override;
  void geglu(engine::Act gate, engine::Act up, engine::Act out) override;
  void softcap(engine::Act x, float cap) override;
  void scale_by_position(engine::Act x, const engine::PosScale& p) override;

 private:
  const DevMat& mat(const engine::Mat& m) const { return *static_cast<const DevMat*>(m.h); }
  // Grows a device buffer; a reallocation invalidates the recorded graphs.
  void grow(Buffer& b, size_t bytes);
  void matmul_one(const DevMat& w, const float* x, int64_t n_tok, float* y);
  void upload_step(const engine::Step& s);
  PagedKv layer_kv(int layer) const;

  std::string device_;
  bool det_;
  uint64_t weight_bytes_ = 0;
  std::deque<DevMat> mats_;
  std::vector<Buffer> store_;                // weight storage
  std::map<const void*, const void*> seen_;  // host data -> device copy (tied embeddings)
  // key/value pools, per layer
  engine::KvLayout kv_;
  int64_t kv_blocks_ = 0;
  std::vector<Buffer> k_pool_, v_pool_;
  // the step
  engine::Step step_;
  int64_t n_out_ = 0, n_vocab_ = 0;
  std::vector<int32_t> host_meta_;                        // staging of the per-step device data below
  Buffer meta_;                                           // tokens | pos | row_seq | out_rows | tables
  int64_t meta_rows_ = 0, meta_seqs_ = 0, meta_out_ = 0;  // capacities the offsets below use
  const int32_t *d_tokens_ = nullptr, *d_pos_ = nullptr, *d_row_seq_ = nullptr, *d_out_ = nullptr;
  const int32_t* d_tables_ = nullptr;
  std::vector<Buffer> slots_;
  Buffer logits_, attn_part_, bad_, scratch_w_, scratch_x_;
  Buffer moe_router_, moe_sel_, moe_wsel_, moe_gate_, moe_up_, moe_out_, moe_in_;
  Buffer query_rows_, query_targets_, answer_lp_, answer_am_;
  // CUDA graphs of decode steps, by row count; epoch_ counts buffer reallocations.
  uint64_t epoch_ = 0;
  struct Recorded {
    std::unique_ptr<Graph> graph;
    uint64_t epoch = 0;
    bool seen = false;  // one eager run with this shape at this epoch happened
  };
  std::map<int64_t, Recorded> graphs_;
  bool graphs_failed_ = false;
};

}  // namespace ys::cuda
