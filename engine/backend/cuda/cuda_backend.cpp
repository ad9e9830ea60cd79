#include "engine/backend/cuda/cuda_backend.h"

#include "common/error.h"
#include "engine/backend/cuda/cuda_model.h"
#include "engine/model/weights.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ys::cuda {

CudaBackend::CudaBackend(int device_index, bool deterministic) : det_(deterministic) {
  init_device(device_index);
  const std::vector<engine::CudaDeviceInfo> devs = engine::cuda_devices();
  device_ = "cuda:" + std::to_string(device_index) + " " +
            (size_t(device_index) < devs.size() ? devs[size_t(device_index)].name : std::string("?"));
  grow(bad_, sizeof(int32_t));
}

CudaBackend::~CudaBackend() = default;

void CudaBackend::grow(Buffer& b, size_t bytes) {
  bytes = std::max<size_t>(bytes, 16);
  if (bytes <= b.size()) return;
  b.reserve(std::max(bytes, b.size() + b.size() / 2));
  ++epoch_;
}

engine::Mat CudaBackend::upload(const engine::WeightMat* mats, int64_t n_mat, const std::string& name) {
  if (n_mat <= 0) return {};
  const engine::WeightMat& m0 = mats[0];
  if (!supports(m0.type))
    fail(ErrorKind::unsupported, "CUDA backend: tensor {} has type {}, which has no CUDA kernel", name,
         quant::name(m0.type));
  if (m0.cols % 32 != 0)
    fail(ErrorKind::unsupported, "CUDA backend: tensor {} has rows of {} elements; expected a multiple of 32", name,
         m0.cols);
  const uint64_t mat_bytes = quant::row_bytes(m0.type, uint64_t(m0.cols)) * uint64_t(m0.rows);
  DevMat d{m0.type, nullptr, m0.rows, m0.cols, n_mat, mat_bytes};
  const auto it = seen_.find(m0.data);
  if (it != seen_.end() && n_mat == 1) {
    d.data = it->second;
  } else {
    Buffer b(mat_bytes * uint64_t(n_mat));
    for (int64_t e = 0; e < n_mat; ++e) to_device(b.as<uint8_t>() + uint64_t(e) * mat_bytes, mats[e].data, mat_bytes);
    d.data = b.data();
    if (n_mat == 1) seen_[m0.data] = b.data();
    weight_bytes_ += b.size();
    store_.push_back(std::move(b));
  }
  mats_.push_back(d);
  engine::Mat out;
  out.h = &mats_.back();
  out.type = m0.type;
  out.rows = m0.rows;
  out.cols = m0.cols;
  out.n_mat = n_mat;
  return out;
}

engine::Vec CudaBackend::upload(const float* host, int64_t n) {
  if (!host) return {};
  Buffer b(size_t(n) * sizeof(float));
  to_device(b.data(), host, size_t(n) * sizeof(float));
  const float* p = b.as<float>();
  weight_bytes_ += b.size();
  store_.push_back(std::move(b));
  return {p, n};
}

// --- key/value pools

void CudaBackend::kv_init(const engine::KvLayout& layout) {
  if (layout.block_tokens < 16 || !std::has_single_bit(uint64_t(layout.block_tokens)))
    fail(ErrorKind::internal, "KV blocks of {} positions: expected a power of two >= 16", layout.block_tokens);
  kv_ = layout;
  kv_blocks_ = 0;
  k_pool_.clear();
  v_pool_.clear();
  k_pool_.resize(size_t(layout.n_layer));
  v_pool_.resize(size_t(layout.n_layer));
}

int64_t CudaBackend::kv_block_bytes() const {
  const int64_t elem = kv_.type == engine::KvType::f16 ? 2 : 4;
  return 2 * int64_t(kv_.n_layer) * kv_.block_tokens * kv_.row_dim * elem;
}

void CudaBackend::kv_reserve(int64_t n_blocks) {
  if (n_blocks <= kv_blocks_) return;
  const size_t per_block = size_t(kv_block_bytes() / (2 * kv_.n_layer));
  for (auto* pools : {&k_pool_, &v_pool_})
    for (Buffer& b : *pools) {
      Buffer nb(per_block * size_t(n_blocks));
      if (kv_blocks_ > 0) device_copy(nb.data(), b.data(), per_block * size_t(kv_blocks_));
      synchronize();
      b = std::move(nb);
    }
  kv_blocks_ = n_blocks;
  ++epoch_;
}

void CudaBackend::kv_copy(int32_t src, int32_t dst, int64_t n_rows) {
  const size_t per_block = size_t(kv_block_bytes() / (2 * kv_.n_layer));
  const size_t bytes = per_block / size_t(kv_.block_tokens) * size_t(n_rows);
  for (auto* pools : {&k_pool_, &v_pool_})
    for (Buffer& b : *pools)
      device_copy(b.as<uint8_t>() + size_t(dst) * per_block, b.as<uint8_t>() + size_t(src) * per_block, bytes);
}

PagedKv CudaBackend::layer_kv(int layer) const {
  PagedKv kv;
  kv.k = k_pool_[size_t(layer)].data();
  kv.v = v_pool_[size_t(layer)].data();
  kv.f16 = kv_.type == engine::KvType::f16;
  kv.row_dim = kv_.row_dim;
  kv.block_shift = std::countr_zero(uint64_t(kv_.block_tokens));
  kv.tables = d_tables_;
  kv.table_stride = kv_.max_blocks_per_seq;
  return kv;
}

// --- the step

// One upload of the step's per-row data: tokens | pos | row_seq | out_rows | block tables,
// at offsets fixed by the capacities (so recorded graphs keep reading the same addresses).
void CudaBackend::upload_step(const engine::Step& s) {
  const int64_t stride = std::max<int64_t>(1, kv_.max_blocks_per_seq);
  if (s.n_rows > meta_rows_ || s.n_seq > meta_seqs_ || s.n_out > meta_out_) {
    meta_rows_ = std::max(s.n_rows, 2 * meta_rows_);
    meta_seqs_ = std::max(s.n_seq, 2 * meta_seqs_);
    meta_out_ = std::max(s.n_out, 2 * meta_out_);
    grow(meta_, size_t(3 * meta_rows_ + meta_out_ + meta_seqs_ * stride) * sizeof(int32_t));
  }
  const int64_t R = meta_rows_, O = meta_out_;
  host_meta_.assign(size_t(3 * R + O + s.n_seq * stride), 0);
  int32_t* h = host_meta_.data();
  std::copy_n(s.tokens, s.n_rows, h);
  std::copy_n(s.pos, s.n_rows, h + R);
  for (int64_t q = 0; q < s.n_seq; ++q) {
    const engine::StepSeq& sq = s.seqs[q];
    if (sq.n_blocks > stride)
      fail(ErrorKind::internal, "CUDA step: a sequence holds {} blocks, the table has room for {}", sq.n_blocks,
           stride);
    std::fill_n(h + 2 * R + sq.row0, sq.n_tok, int32_t(q));
    std::copy_n(sq.blocks, sq.n_blocks, h + 3 * R + O + q * stride);
  }
  for (int64_t i = 0; i < s.n_out; ++i) h[3 * R + i] = int32_t(s.out_rows[i]);
  to_device(meta_.data(), h, host_meta_.size() * sizeof(int32_t));
  const int32_t* d = meta_.as<const int32_t>();
  d_tokens_ = d, d_pos_ = d + R, d_row_seq_ = d + 2 * R, d_out_ = d + 3 * R, d_tables_ = d + 3 * R + O;
}

void CudaBackend::run(const engine::Step& s, const std::function<void()>& body) {
  step_ = s;
  n_out_ = s.n_out;
  upload_step(s);
  // Decode steps (every sequence one row, every row an output) of GEMV sizes are recorded
  // once per size after one eager run has sized every buffer, and replayed.
  const bool decode = s.n_out == s.n_rows && s.n_seq == s.n_rows && s.n_rows <= kGemvGroupMaxRows;
  if (!decode || graphs_failed_ || !graphs_enabled()) return body();
  Recorded& r = graphs_[s.n_rows];
  if (r.graph && r.epoch == epoch_) return r.graph->launch();
  if (!r.seen || r.epoch != epoch_) {
    r.graph.reset();
    body();
    r.seen = true;
    r.epoch = epoch_;
    return;
  }
  auto g = std::make_unique<Graph>();
  g->begin_capture();
  try {
    body();
  } catch (...) {
    g->end_capture(false);
    throw;
  }
  if (!g->end_capture(true) || r.epoch != epoch_) {
    graphs_failed_ = true;  // e.g. a driver without graph support: plain launches from now on
    return body();
  }
  r.graph = std::move(g);
  r.graph->launch();
}

void CudaBackend::read_logits(float* dst) { to_host(dst, logits_.data(), size_t(n_out_ * n_vocab_) * sizeof(float)); }

void CudaBackend::score(const engine::RowQuery* q, int64_t n, engine::RowAnswer* out) {
  if (n <= 0) return;
  std::vector<int32_t> rows(static_cast<size_t>(n)), targets(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (q[i].row < 0 || q[i].row >= n_out_ || q[i].target >= n_vocab_)
      fail(ErrorKind::internal, "score: row {} / target {} outside [{}, {}]", q[i].row, q[i].target, n_out_, n_vocab_);
    rows[size_t(i)] = int32_t(q[i].row);
    targets[size_t(i)] = q[i].target;
  }
  grow(query_rows_, size_t(n) * 4);
  grow(query_targets_, size_t(n) * 4);
  grow(answer_lp_, size_t(n) * 8);
  grow(answer_am_, size_t(n) * 4);
  to_device(query_rows_.data(), rows.data(), size_t(n) * 4);
  to_device(query_targets_.data(), targets.data(), size_t(n) * 4);
  row_stats(logits_.as<float>(), n, n_vocab_, query_targets_.as<int32_t>(), answer_lp_.as<double>(),
            answer_am_.as<int32_t>(), query_rows_.as<int32_t>());
  const std::vector<double> lp = download<double>(answer_lp_.data(), size_t(n));
  const std::vector<int32_t> am = download<int32_t>(answer_am_.data(), size_t(n));
  for (int64_t i = 0; i < n; ++i) out[i] = {lp[size_t(i)], am[size_t(i)]};
}

engine::Act CudaBackend::buffer(int slot, int64_t rows, int64_t cols) {
  if (slot < 0) fail(ErrorKind::internal, "buffer slot {}", slot);
  if (size_t(slot) >= slots_.size()) slots_.resize(size_t(slot) + 1);
  Buffer& b = slots_[size_t(slot)];
  grow(b, size_t(rows * cols) * sizeof(float));
  return {b.as<float>(), rows, cols};
}

engine::Act CudaBackend::logits(int64_t n_vocab) {
  n_vocab_ = n_vocab;
  grow(logits_, size_t(n_out_ * n_vocab) * sizeof(float));
  return {logits_.as<float>(), n_out_, n_vocab};
}

}  // namespace ys::cuda
