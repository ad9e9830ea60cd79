// The CPU implementation of engine::Backend (engine/model/backend.h) over the kernels of
// this folder (matmul.h, ops.h, attention.h) and one thread pool.
//
// Every operation computes each row with one fixed routine whatever the step holds, so a
// row's bits depend neither on the other rows or sequences of the step, nor on the thread
// count: the runtime's batching and prefix reuse never change a result. Weights stay where
// the host tensors are (the mapped file or converted copies). Key/value blocks are one
// allocation each: [layer][keys, values][block_tokens][row_dim] of f32, or of IEEE halves
// with --kv-type f16 (rounded to nearest even when stored, widened exactly when read).
#pragma once

#include "engine/backend/cpu/cpu_gemm.h"
#include "engine/backend/cpu/matmul.h"
#include "engine/backend/cpu/onednn_gemm.h"
#include "engine/backend/cpu/ops.h"
#include "engine/backend/cpu/thread_pool.h"
#include "engine/model/backend.h"

#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

namespace ys::cpu {

class CpuBackend final : public engine::Backend {
 public:
  // gemm.onednn (--cpu-gemm onednn): the dense matrices (all but the token embedding table,
  // MoE routers and experts) are converted for oneDNN once the weights are uploaded, and
  // matmul() runs them there (engine/backend/cpu/onednn_gemm.h).
  CpuBackend(int threads, ActPrecision act, CpuGemm gemm = {});
  ~CpuBackend() override;

  std::string device() const override { return "cpu"; }
  std::string isa() const override { return isa_name(); }
  int threads() const override { return pool_.size(); }
  std::string activations() const override { return act_precision_name(act_); }
  int64_t step_rows() const override { return 256; }

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

  ThreadPool& pool() { return pool_; }

 private:
  const WeightView& view(const engine::Mat& m, int64_t i = 0) const;
  // Row `slot` of block `block`, layer `layer`: f32 or uint16_t elements.
  void* kv_row(int32_t block, int layer, bool value, int64_t slot);
  int64_t kv_elem() const { return kv_.type == engine::KvType::f16 ? 2 : 4; }
  template <class Fn>
  void over_rows(int64_t n, const Fn& fn);
  void convert_for_onednn();  // --cpu-gemm onednn: converts and registers onednn_pending_


  ThreadPool pool_;
  ActPrecision act_;
  std::deque<std::vector<WeightView>> views_;  // Mat::h points at one of these vectors' data
  CpuGemm gemm_;
  std::vector<const WeightView*> onednn_pending_;  // dense matrices not yet converted
  std::vector<std::unique_ptr<OnednnGemm>> onednn_;  // registered while they live
  // key/value storage
  engine::KvLayout kv_;
  std::vector<std::unique_ptr<uint64_t[]>> blocks_;  // 8-byte aligned storage
  // the current step
  engine::Step step_;
  std::vector<int32_t> pos_;
  std::unordered_map<const engine::RopeConfig*, std::vector<float>> rope_cs_;  // per config, per step
  std::vector<std::vector<float>> slots_;
  std::vector<float> logits_;
  int64_t n_out_ = 0, n_vocab_ = 0;
  std::vector<AttnSeq> attn_;
  std::vector<const void*> attn_ptrs_;
};

}  // namespace ys::cpu
