#include "engine/backend/cpu/cpu_backend.h"

#include "common/error.h"
#include "engine/model/weights.h"
#include "engine/quant/blocks.h"
#include "engine/quant/quant.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace ys::cpu {

namespace {

// Row-parallel elementwise ops: each row is computed by the same routine whichever thread
// runs it, so the split never changes a bit. Small batches run inline (waking the workers
// costs more than the work). Rows are claimed dynamically, about 4 chunks per thread: with
// a static split every call waits for the slowest worker, and one that the OS has not
// scheduled (a busy or oversubscribed machine, 16 threads) stalls the whole step.
constexpr int64_t kParallelRows = 16;

RopeParams to_cpu(const engine::RopeConfig& c) {
  RopeParams p;
  p.n_rot = c.n_rot;
  p.neox = c.neox;
  p.freq_base = c.freq_base;
  p.freq_scale = c.freq_scale;
  p.freq_factors = c.freq_factors.p;
  p.ext_factor = c.ext_factor;
  p.attn_factor = c.attn_factor;
  p.beta_fast = c.beta_fast;
  p.beta_slow = c.beta_slow;
  p.n_ctx_orig = c.n_ctx_orig;
  return p;
}

void check_rows(const engine::Act& a, const engine::Act& b, const char* op) {
  if (a.rows != b.rows || a.cols != b.cols)
    fail(ErrorKind::internal, "{}: shapes [{}, {}] and [{}, {}] differ", op, a.rows, a.cols, b.rows, b.cols);
}

}  // namespace

CpuBackend::CpuBackend(int threads, ActPrecision act, CpuGemm gemm) : pool_(threads), act_(act), gemm_(gemm) {}
CpuBackend::~CpuBackend() = default;

template <class Fn>
void CpuBackend::over_rows(int64_t n, const Fn& fn) {
  if (n < kParallelRows || pool_.size() == 1) return fn(int64_t(0), n);
  const int64_t grain = std::max<int64_t>(4, (n + 4 * pool_.size() - 1) / (4 * pool_.size()));
  pool_.parallel_for_dynamic(n, grain, [&](int64_t b, int64_t e, int) { fn(b, e); });
}

engine::Mat CpuBackend::upload(const engine::WeightMat* mats, int64_t n_mat, const std::string& name) {
  if (n_mat <= 0) return {};
  std::vector<WeightView> v;
  for (int64_t i = 0; i < n_mat; ++i) {
    const engine::WeightMat& m = mats[i];
    if (!matmul_supports(m.type))
      fail(ErrorKind::unsupported, "tensor '{}' has type {}, which the CPU engine cannot multiply", name,
           quant::name(m.type));
    v.push_back({m.type, m.data, m.rows, m.cols, act_});
  }
  views_.push_back(std::move(v));
  // The dense matrices go to oneDNN (as the engine's load did before issue 16): not the
  // embedding table (read by rows, not multiplied), not MoE routers or experts.
  const bool moe = n_mat > 1 || name.ends_with("ffn_gate_inp.weight");
  if (gemm_.onednn && !moe && name != "token_embd.weight") onednn_pending_.push_back(&views_.back()[0]);
  engine::Mat out;
  out.h = views_.back().data();
  out.type = mats[0].type;
  out.rows = mats[0].rows;
  out.cols = mats[0].cols;
  out.n_mat = n_mat;
  return out;
}

engine::Vec CpuBackend::upload(const float* host, int64_t n) { return {host, host ? n : 0}; }

void CpuBackend::convert_for_onednn() {
  if (onednn_pending_.empty()) return;
  onednn_.push_back(std::make_unique<OnednnGemm>(onednn_pending_, gemm_.type, &pool_));
  onednn_pending_.clear();
}

const WeightView& CpuBackend::view(const engine::Mat& m, int64_t i) const {
  return static_cast<const WeightView*>(m.h)[i];
}

// --- key/value blocks

void CpuBackend::kv_init(const engine::KvLayout& layout) {
  if (layout.block_tokens < 16 || !std::has_single_bit(uint64_t(layout.block_tokens)))
    fail(ErrorKind::internal, "KV blocks of {} positions: expected a power of two >= 16", layout.block_tokens);
  convert_for_onednn();  // the architecture has uploaded its weights
  kv_ = layout;
  blocks_.clear();
}

int64_t CpuBackend::kv_block_bytes() const {
  return 2 * int64_t(kv_.n_layer) * kv_.block_tokens * kv_.row_dim * kv_elem();
}

void CpuBackend::kv_reserve(int64_t n_blocks) {
  const size_t words = size_t((kv_block_bytes() + 7) / 8);
  while (int64_t(blocks_.size()) < n_blocks) blocks_.push_back(std::make_unique_for_overwrite<uint64_t[]>(words));
}

void* CpuBackend::kv_row(int32_t block, int layer, bool value, int64_t slot) {
  const int64_t per = kv_.block_tokens * kv_.row_dim;
  const int64_t at = ((int64_t(layer) * 2 + (value ? 1 : 0)) * per + slot * kv_.row_dim) * kv_elem();
  return reinterpret_cast<uint8_t*>(blocks_[size_t(block)].get()) + at;
}

void CpuBackend::kv_copy(int32_t src, int32_t dst, int64_t n_rows) {
  for (int il = 0; il < kv_.n_layer; ++il)
    for (bool value : {false, true})
      std::memcpy(kv_row(dst, il, value, 0), kv_row(src, il, value, 0), size_t(n_rows * kv_.row_dim * kv_elem()));
}

// --- the step

void CpuBackend::run(const engine::Step& s, const std::function<void()>& body) {
  convert_for_onednn();
  step_ = s;
  rope_cs_.clear();
  n_out_ = s.n_out;
  body();
}

void CpuBackend::read_logits(float* dst) { std::copy_n(logits_.data(), n_out_ * n_vocab_, dst); }

void CpuBackend::score(const engine::RowQuery* q, int64_t n, engine::RowAnswer* out) {
  for (int64_t i = 0; i < n; ++i)
    if (q[i].row < 0 || q[i].row >= n_out_ || q[i].target >= n_vocab_)
      fail(ErrorKind::internal, "score: row {} / target {} outside [{}, {}]", q[i].row, q[i].target, n_out_, n_vocab_);
  // Queries of one row (MMLU's four answers) share its argmax and log-sum-exp: one pass each.
  std::vector<int64_t> runs(1, 0);
  for (int64_t i = 1; i < n; ++i)
    if (q[i].row != q[i - 1].row) runs.push_back(i);
  runs.push_back(n);
  auto one = [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* l = &logits_[size_t(q[runs[size_t(r)]].row * n_vocab_)];
      bool with_sum = false;
      for (int64_t i = runs[size_t(r)]; i < runs[size_t(r) + 1]; ++i) with_sum = with_sum || q[i].target >= 0;
      const engine::RowSummary s = engine::row_summary(l, n_vocab_, with_sum);
      for (int64_t i = runs[size_t(r)]; i < runs[size_t(r) + 1]; ++i)
        out[i] = {q[i].target >= 0 ? engine::log_softmax_at(l, s, q[i].target) : 0.0, s.argmax};
    }
  };
  const int64_t n_runs = int64_t(runs.size()) - 1;
  if (n_runs < 2)
    one(0, n_runs);
  else
    pool_.parallel_for_dynamic(n_runs, 1, [&](int64_t b, int64_t e, int) { one(b, e); });
}

engine::Act CpuBackend::buffer(int slot, int64_t rows, int64_t cols) {
  if (slot < 0) fail(ErrorKind::internal, "buffer slot {}", slot);
  if (size_t(slot) >= slots_.size()) slots_.resize(size_t(slot) + 1);
  std::vector<float>& b = slots_[size_t(slot)];
  if (b.size() < size_t(std::max<int64_t>(1, rows * cols))) b.resize(size_t(std::max<int64_t>(1, rows * cols)));
  return {b.data(), rows, cols};
}

engine::Act CpuBackend::logits(int64_t n_vocab) {
  n_vocab_ = n_vocab;
  const size_t need = size_t(std::max<int64_t>(1, n_out_) * n_vocab);
  if (logits_.size() < need) logits_.resize(need);
  return {logits_.data(), n_out_, n_vocab};
}

// --- operations

void CpuBackend::embed(const engine::Mat& table, engine::Act x) {
  const WeightView& w = view(table);
  const uint64_t row = quant::row_bytes(w.type, uint64_t(w.cols));
  for (int64_t t = 0; t < x.rows; ++t) {
    const int32_t id = step_.tokens[t];
    if (id < 0 || id >= w.rows)
      fail(ErrorKind::invalid_input, "token id {} at batch row {} is outside the vocabulary [0, {})", id, t, w.rows);
    quant::dequantize_row(w.type, static_cast<const uint8_t*>(w.data) + uint64_t(id) * row, x.p + t * x.cols, x.cols);
  }
}

void CpuBackend::rmsnorm(engine::Act x, const engine::Vec& w, float eps, engine::Act y) {
  check_rows(x, y, "rmsnorm");
  const int64_t e = x.cols;
  over_rows(x.rows, [&](int64_t b, int64_t end) { cpu::rmsnorm(x.p + b * e, w.p, end - b, e, eps, y.p + b * e); });
}

void CpuBackend::matmul(const MatOut* outs, int n, engine::Act x) {
  if (n == 1) return cpu::matmul(view(*outs[0].w), x.p, x.rows, outs[0].y.p, pool_);
  MatmulOut o[8];
  if (n > 8) fail(ErrorKind::internal, "matmul: {} outputs sharing one input; at most 8", n);
  for (int i = 0; i < n; ++i) o[i] = {&view(*outs[i].w), outs[i].y.p};
  matmul_shared(o, n, x.p, x.rows, pool_);
}

void CpuBackend::add_bias(engine::Act x, const engine::Vec& b) { cpu::add_bias(x.p, b.p, x.rows, x.cols); }

void CpuBackend::add(engine::Act y, engine::Act x) {
  check_rows(x, y, "add");
  add_inplace(y.p, x.p, x.rows * x.cols);
}

void CpuBackend::rope(engine::Act x, int n_head, int head_dim, const engine::RopeConfig& cfg) {
  const RopeParams p = to_cpu(cfg);
  std::vector<float>& cs = rope_cs_[&cfg];
  if (cs.empty()) {  // the angles of the step's positions, once per config
    cs.resize(size_t(std::max<int64_t>(1, step_.n_rows * p.n_rot)));
    over_rows(step_.n_rows,
              [&](int64_t b, int64_t e) { rope_table(step_.pos + b, e - b, p, cs.data() + b * p.n_rot); });
  }
  const int64_t d = x.cols;
  over_rows(x.rows, [&](int64_t b, int64_t e) {
    rope_apply(x.p + b * d, e - b, n_head, head_dim, cs.data() + b * p.n_rot, p);
  });
}

void CpuBackend::swiglu(engine::Act gate, engine::Act up, engine::Act out) {
  const int64_t f = gate.cols;
  over_rows(gate.rows,
            [&](int64_t b, int64_t e) { silu_mul(gate.p + b * f, up.p + b * f, out.p + b * f, (e - b) * f); });
}

void CpuBackend::attention(int layer, engine::Act q, engine::Act k, engine::Act v, engine::Act out,
                           const engine::AttnConfig& cfg) {
  const int64_t B = kv_.block_tokens, rd = kv_.row_dim;
  if (k.cols != rd) fail(ErrorKind::internal, "attention: key rows of {} floats, the cache holds {}", k.cols, rd);
  const int shift = std::countr_zero(uint64_t(B));
  attn_.clear();
  attn_ptrs_.clear();
  const bool f16 = kv_.type == engine::KvType::f16;
  for (int64_t s = 0; s < step_.n_seq; ++s) {  // keys/values of the new rows into their blocks
    const engine::StepSeq& sq = step_.seqs[s];
    for (int64_t i = 0; i < sq.n_tok; ++i) {
      const int64_t pos = sq.pos0 + i, r = sq.row0 + i;
      const int32_t blk = sq.blocks[pos >> shift];
      void* kd = kv_row(blk, layer, false, pos & (B - 1));
      void* vd = kv_row(blk, layer, true, pos & (B - 1));
      if (!f16) {
        std::copy_n(k.p + r * rd, rd, static_cast<float*>(kd));
        std::copy_n(v.p + r * rd, rd, static_cast<float*>(vd));
        continue;
      }
      for (int64_t c = 0; c < rd; ++c) {
        static_cast<uint16_t*>(kd)[c] = quant::f32_to_f16(k.p[r * rd + c]);
        static_cast<uint16_t*>(vd)[c] = quant::f32_to_f16(v.p[r * rd + c]);
      }
    }
  }
  std::vector<size_t> first(size_t(step_.n_seq));  // each sequence's key pointers, then value pointers
  for (int64_t s = 0; s < step_.n_seq; ++s) {
    const engine::StepSeq& sq = step_.seqs[s];
    const int64_t nb = (sq.pos0 + sq.n_tok + B - 1) >> shift;
    first[size_t(s)] = attn_ptrs_.size();
    for (int64_t b = 0; b < nb; ++b) attn_ptrs_.push_back(kv_row(sq.blocks[b], layer, false, 0));
    for (int64_t b = 0; b < nb; ++b) attn_ptrs_.push_back(kv_row(sq.blocks[b], layer, true, 0));
  }
  for (int64_t s = 0; s < step_.n_seq; ++s) {
    const engine::StepSeq& sq = step_.seqs[s];
    const int64_t nb = (sq.pos0 + sq.n_tok + B - 1) >> shift;
    const void* const* kp = attn_ptrs_.data() + first[size_t(s)];
    attn_.push_back({nullptr, nullptr, sq.row0, sq.n_tok, sq.pos0, kp, kp + nb, shift, f16});
  }
  AttnOptions opt;
  opt.scale = cfg.scale;
  opt.window = cfg.window;
  opt.chunk = cfg.chunk;
  opt.softcap = cfg.softcap;
  attention_batch(q.p, attn_.data(), int64_t(attn_.size()), cfg.n_head, cfg.n_kv_head, cfg.head_dim, out.p, pool_, opt);
}

void CpuBackend::gather_out_rows(engine::Act x, engine::Act y) {
  for (int64_t i = 0; i < step_.n_out; ++i) {
    const int64_t r = step_.out_rows[i];
    if (r < 0 || r >= x.rows) fail(ErrorKind::internal, "output row {} outside the step of {} rows", r, x.rows);
    std::copy_n(x.p + r * x.cols, x.cols, y.p + i * y.cols);
  }
}

void CpuBackend::scale(engine::Act x, float s) {
  const int64_t c = x.cols;
  over_rows(x.rows, [&](int64_t b, int64_t e) { scale_inplace(x.p + b * c, (e - b) * c, s); });
}

void CpuBackend::geglu(engine::Act gate, engine::Act up, engine::Act out) {
  check_rows(gate, up, "geglu");
  const int64_t f = gate.cols;
  over_rows(gate.rows,
            [&](int64_t b, int64_t e) { gelu_mul(gate.p + b * f, up.p + b * f, out.p + b * f, (e - b) * f); });
}

void CpuBackend::softcap(engine::Act x, float cap) {
  if (!(cap > 0.0f)) fail(ErrorKind::internal, "softcap: cap {} must be > 0", cap);
  const int64_t c = x.cols;
  over_rows(x.rows, [&](int64_t b, int64_t e) { softcap_inplace(x.p + b * c, (e - b) * c, cap); });
}

void CpuBackend::scale_by_position(engine::Act x, const engine::PosScale& p) {
  if (x.rows != step_.n_rows)
    fail(ErrorKind::internal, "scale_by_position: {} rows, the step has {}", x.rows, step_.n_rows);
  const int64_t c = x.cols;
  over_rows(x.rows, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t)
      scale_inplace(x.p + t * c, c, position_scale(step_.pos[t], p.floor_scale, p.scale, p.offset));
  });
}

}  // namespace ys::cpu
