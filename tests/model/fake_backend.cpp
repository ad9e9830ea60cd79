#include "tests/model/fake_backend.h"

#include "engine/model/weights.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>

namespace ys::test {

int64_t FakeLog::rows() const {
  int64_t n = 0;
  for (const auto& s : steps) n += s.n_rows;
  return n;
}

engine::Mat FakeBackend::upload(const engine::WeightMat* mats, int64_t n_mat, const std::string&) {
  engine::Mat m;
  m.h = &dummy_;
  m.type = mats[0].type;
  m.rows = mats[0].rows;
  m.cols = mats[0].cols;
  m.n_mat = n_mat;
  return m;
}

// The budget is charged as for an f32 cache of the model's shape.
int64_t FakeBackend::kv_block_bytes() const { return 2 * int64_t(kv_.n_layer) * kv_.block_tokens * kv_.row_dim * 4; }

void FakeBackend::kv_reserve(int64_t n_blocks) {
  while (int64_t(blocks_.size()) < n_blocks) blocks_.emplace_back(size_t(kv_.block_tokens), -1);
}

void FakeBackend::kv_copy(int32_t src, int32_t dst, int64_t n_rows) {
  std::copy_n(blocks_.at(size_t(src)).begin(), n_rows, blocks_.at(size_t(dst)).begin());
  std::fill(blocks_[size_t(dst)].begin() + n_rows, blocks_[size_t(dst)].end(), -1);  // no stale rows survive a copy
  ++log_->kv_copies;
}

void FakeBackend::run(const engine::Step& s, const std::function<void()>& body) {
  step_ = s;
  StepRecord rec;
  rec.n_rows = s.n_rows;
  rec.n_out = s.n_out;
  for (int64_t q = 0; q < s.n_seq; ++q) rec.seqs.push_back({s.seqs[q].pos0, s.seqs[q].n_tok, s.seqs[q].n_blocks});
  log_->steps.push_back(rec);
  body();
  // Logits of each output row from the tokens its block table holds.
  const int64_t B = kv_.block_tokens;
  std::vector<int32_t> history;
  for (int64_t i = 0; i < s.n_out; ++i) {
    const int64_t r = s.out_rows[i];
    int64_t q = 0;
    while (!(r >= s.seqs[q].row0 && r < s.seqs[q].row0 + s.seqs[q].n_tok)) ++q;
    history.clear();
    for (int64_t p = 0; p <= s.pos[r]; ++p)
      history.push_back(blocks_.at(size_t(s.seqs[q].blocks[p / B]))[size_t(p % B)]);
    logits_of(history, n_vocab_, &logits_[size_t(i * n_vocab_)]);
  }
}

void FakeBackend::logits_of(const std::vector<int32_t>& history, int64_t n_vocab, float* out) {
  uint64_t h = 1469598103934665603ull;
  for (int32_t t : history) h = (h ^ uint32_t(t)) * 1099511628211ull;
  for (int64_t v = 0; v < n_vocab; ++v) {
    uint64_t x = h + uint64_t(v) * 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    out[v] = float(double(x >> 40) / double(1 << 24) * 8.0 - 4.0);
  }
}

void FakeBackend::read_logits(float* dst) { std::copy_n(logits_.data(), step_.n_out * n_vocab_, dst); }

void FakeBackend::score(const engine::RowQuery* q, int64_t n, engine::RowAnswer* out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = engine::row_stats(&logits_[size_t(q[i].row * n_vocab_)], n_vocab_, q[i].target);
}

engine::Act FakeBackend::buffer(int slot, int64_t rows, int64_t cols) {
  if (size_t(slot) >= slots_.size()) slots_.resize(size_t(slot) + 1);
  slots_[size_t(slot)].resize(size_t(std::max<int64_t>(1, rows * cols)));
  return {slots_[size_t(slot)].data(), rows, cols};
}

engine::Act FakeBackend::logits(int64_t n_vocab) {
  n_vocab_ = n_vocab;
  logits_.assign(size_t(std::max<int64_t>(1, step_.n_out) * n_vocab), 0.0f);
  return {logits_.data(), step_.n_out, n_vocab};
}

// Layer 0 "stores" each row's token at its position; every layer checks the table covers it.
void FakeBackend::attention(int layer, engine::Act, engine::Act, engine::Act, engine::Act, const engine::AttnConfig&) {
  const int64_t B = kv_.block_tokens;
  for (int64_t q = 0; q < step_.n_seq; ++q) {
    const engine::StepSeq& sq = step_.seqs[q];
    if (sq.n_blocks * B < sq.pos0 + sq.n_tok) throw std::logic_error("block table shorter than the sequence");
    if (layer != 0) continue;
    for (int64_t i = 0; i < sq.n_tok; ++i) {
      const int64_t p = sq.pos0 + i;
      blocks_.at(size_t(sq.blocks[p / B]))[size_t(p % B)] = step_.tokens[sq.row0 + i];
    }
  }
}

}  // namespace ys::test
