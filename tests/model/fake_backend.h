// A recording fake engine::Backend for the scheduling tests of the shared runtime.
//
// It runs no model: its key/value "cache" stores the token id of each position in the
// blocks the runtime hands it, and the logits of an output row are a fixed pseudo-random
// function of the tokens it reads back through the row's block table (positions 0..pos).
// So a result is right only if every shared, reused or copied block really holds the
// sequence's tokens: a wrong block table, a missed copy-on-write or a block freed too early
// changes the logits. Every step is recorded (rows, sequences, positions, output rows).
#pragma once

#include "engine/model/backend.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace ys::test {

struct StepRecord {
  struct Seq {
    int64_t pos0 = 0, n_tok = 0, n_blocks = 0;
  };
  int64_t n_rows = 0, n_out = 0;
  std::vector<Seq> seqs;
};

struct FakeLog {
  std::vector<StepRecord> steps;
  int64_t kv_copies = 0;  // kv_copy calls (copy-on-write)
  int64_t rows() const;
};

class FakeBackend final : public engine::Backend {
 public:
  FakeBackend(std::shared_ptr<FakeLog> log, int64_t step_rows) : log_(std::move(log)), step_rows_(step_rows) {}

  std::string device() const override { return "fake"; }
  std::string isa() const override { return "fake"; }
  int threads() const override { return 1; }
  std::string activations() const override { return "f32"; }
  int64_t step_rows() const override { return step_rows_; }

  engine::Mat upload(const engine::WeightMat* mats, int64_t n_mat, const std::string& name) override;
  engine::Vec upload(const float* host, int64_t n) override { return {host, n}; }

  void kv_init(const engine::KvLayout& layout) override { kv_ = layout; }
  int64_t kv_block_bytes() const override;
  void kv_reserve(int64_t n_blocks) override;
  void kv_copy(int32_t src, int32_t dst, int64_t n_rows) override;

  void run(const engine::Step& s, const std::function<void()>& body) override;
  void read_logits(float* dst) override;
  void score(const engine::RowQuery* q, int64_t n, engine::RowAnswer* out) override;

  engine::Act buffer(int slot, int64_t rows, int64_t cols) override;
  engine::Act logits(int64_t n_vocab) override;
  void embed(const engine::Mat&, engine::Act) override {}
  void rmsnorm(engine::Act, const engine::Vec&, float, engine::Act) override {}
  void matmul(const MatOut*, int, engine::Act) override {}
  void add_bias(engine::Act, const engine::Vec&) override {}
  void add(engine::Act, engine::Act) override {}
  void rope(engine::Act, int, int, const engine::RopeConfig&) override {}
  void swiglu(engine::Act, engine::Act, engine::Act) override {}
  void attention(int layer, engine::Act q, engine::Act k, engine::Act v, engine::Act out,
                 const engine::AttnConfig& cfg) override;
  void moe(const engine::MoeWeights&, const engine::MoeConfig&, engine::Act, engine::Act) override {}
  void gather_out_rows(engine::Act, engine::Act) override {}

  // The logits the fake computes for a sequence whose tokens are `history` (for tests).
  static void logits_of(const std::vector<int32_t>& history, int64_t n_vocab, float* out);

 private:
  std::shared_ptr<FakeLog> log_;
  int64_t step_rows_;
  engine::KvLayout kv_;
  std::vector<std::vector<int32_t>> blocks_;  // token id per position of each block (-1 = never written)
  engine::Step step_;
  std::vector<std::vector<float>> slots_;
  std::vector<float> logits_;
  int64_t n_vocab_ = 0;
  int dummy_ = 0;
};

}  // namespace ys::test
