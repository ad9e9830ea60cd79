// Causal GQA attention (ops.h): the scalar form of the canonical routine (attention.h),
// the run-time choice of variant, and the split of a batch into work units.
#include "engine/backend/cpu/attention.h"

#include "common/error.h"
#include "engine/backend/cpu/thread_pool.h"
#include "engine/quant/blocks.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

namespace ys::cpu {

float attn_exp(float x) {
  using namespace attn_exp_const;
  if (!(x >= kMin)) return 0.0f;
  x = x < 0.0f ? x : 0.0f;
  const float n = std::nearbyint(x * kLog2e);
  float r = std::fma(n, -kLn2Hi, x);
  r = std::fma(n, -kLn2Lo, r);
  float p = kC[7];
  for (int i = 6; i >= 0; --i) p = std::fma(p, r, kC[i]);
  const int32_t bits = (static_cast<int32_t>(n) + 127) * (1 << 23);
  return p * std::bit_cast<float>(bits);
}

// a*b is exact in double, and the double sum s rounds to the same float as the exact sum
// unless s lies exactly halfway between two floats (then rounding twice may differ) or in
// the float subnormal range; those rare cases take std::fma (a library call without -mfma).
float attn_fma(float a, float b, float c) {
  const double s = double(a) * double(b) + double(c);
  const uint64_t low = std::bit_cast<uint64_t>(s) & ((uint64_t(1) << 29) - 1);
  if (low == uint64_t(1) << 28 || std::fabs(s) < 0x1p-125) return std::fma(a, b, c);
  return float(s);
}

float attn_softcap(float s, float cap) { return float(double(cap) * std::tanh(double(s) / double(cap))); }

void attn_softcap_scores(const AttnUnit& u, float* sc, int64_t np) {
  for (int g = 0; g < u.n_heads; ++g)
    for (int64_t j = 0; j < u.n_pos; ++j) sc[g * np + j] = attn_softcap(sc[g * np + j], u.softcap);
}

float* attn_scratch(int64_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < static_cast<size_t>(n)) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

namespace {

inline float widen(float x) { return x; }
inline float widen(uint16_t h) { return quant::f16_to_f32(h); }

// Step 1 of the routine for one key.
template <class E>
float score(const float* q, const E* k, int head_dim, float scale) {
  float acc[16] = {};
  int c = 0;
  for (; c + 16 <= head_dim; c += 16)
    for (int l = 0; l < 16; ++l) acc[l] = attn_fma(q[c + l], widen(k[c + l]), acc[l]);
  if (c < head_dim) {
    for (int l = 0; l < 16; ++l) {
      const bool in = c + l < head_dim;
      acc[l] = attn_fma(in ? q[c + l] : 0.0f, in ? widen(k[c + l]) : 0.0f, acc[l]);
    }
  }
  return reduce16(acc) * scale;
}

double reduce16d(const double* d) {
  double h[8];
  for (int i = 0; i < 8; ++i) h[i] = d[i] + d[i + 8];
  return ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]));
}

template <class E>
void attend_scalar(const AttnUnit& u) {
  const int hd = u.head_dim;
  const int64_t n = u.n_pos;
  float* sc = attn_scratch(n);
  for (int g = 0; g < u.n_heads; ++g) {
    const float* q = u.q + int64_t(g) * hd;
    float m = -INFINITY;
    for (int64_t j = 0; j < n; ++j) {
      sc[j] = score(q, attn_k<E>(u, j), hd, u.scale);
      if (u.softcap > 0.0f) sc[j] = attn_softcap(sc[j], u.softcap);
      m = std::max(m, sc[j]);
    }
    double d[16] = {};
    for (int64_t j = 0; j < n; ++j) {
      sc[j] = attn_exp(sc[j] - m);
      d[j % 16] += double(sc[j]);
    }
    const float inv = float(1.0 / reduce16d(d));
    float* o = u.out + int64_t(g) * hd;
    std::fill(o, o + hd, 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      const float p = sc[j] * inv;
      const E* v = attn_v<E>(u, j);
      for (int i = 0; i < hd; ++i) o[i] = attn_fma(p, widen(v[i]), o[i]);
    }
  }
}

}  // namespace

void attend_unit_scalar(const AttnUnit& u) { attend_scalar<float>(u); }
void attend_unit_scalar_h(const AttnUnit& u) { attend_scalar<uint16_t>(u); }

namespace {

AttnUnitFn unit_fn(Isa isa, bool f16) {
  if (!cpu_supports(isa)) fail(ErrorKind::unsupported, "attention: this CPU lacks the {} instructions", isa_label(isa));
  switch (isa) {
    case Isa::avx512: return f16 ? attend_unit_avx512_h : attend_unit_avx512;
    case Isa::avx2: return f16 ? attend_unit_avx2_h : attend_unit_avx2;
    default: return f16 ? attend_unit_scalar_h : attend_unit_scalar;
  }
}

// Below this many multiply-adds a call runs on the calling thread (waking workers costs more).
constexpr double kMinParallelWork = 64.0 * 1024;

struct RowRef {
  int64_t row;    // batch row
  int64_t n_pos;  // keys it attends to
  int64_t seq;
  int64_t first;  // its first key
};

// The batch rows by cost, most expensive first (so that dynamically claimed units end with
// cheap ones), in this thread's buffer; *keys = the number of (row, key) pairs.
const std::vector<RowRef>& rows_by_cost(const AttnSeq* seqs, int64_t n_seq, const AttnOptions& opt, double* keys) {
  thread_local std::vector<RowRef> order;
  order.clear();
  *keys = 0;
  for (int64_t s = 0; s < n_seq; ++s)
    for (int64_t t = 0; t < seqs[s].n_tok; ++t) {
      const int64_t pos = seqs[s].pos0 + t, first = opt.first_key(pos);
      order.push_back({seqs[s].row0 + t, pos + 1 - first, s, first});
      *keys += double(pos + 1 - first);
    }
  std::sort(order.begin(), order.end(),
            [](const RowRef& a, const RowRef& b) { return a.n_pos != b.n_pos ? a.n_pos > b.n_pos : a.row < b.row; });
  return order;
}

}  // namespace

void attention_batch_isa(Isa isa, const float* q, const AttnSeq* seqs, int64_t n_seq, int n_head, int n_kv_head,
                         int head_dim, float* out, ThreadPool& pool, const AttnOptions& opt) {
  if (n_seq <= 0) return;
  if (n_kv_head <= 0 || n_head <= 0 || n_head % n_kv_head != 0 || head_dim <= 0)
    fail(ErrorKind::invalid_input, "attention: n_head {} must be a positive multiple of n_kv_head {}, head_dim {} > 0",
         n_head, n_kv_head, head_dim);
  const bool f16 = seqs[0].kv_f16;
  for (int64_t i = 0; i < n_seq; ++i) {
    if (seqs[i].k_blocks && seqs[i].block_shift < 4)
      fail(ErrorKind::invalid_input, "attention: paged blocks of 2^{} rows; expected at least 16", seqs[i].block_shift);
    if (seqs[i].kv_f16 != f16 || (f16 && !seqs[i].k_blocks))
      fail(ErrorKind::invalid_input, "attention: f16 caches must be paged and not mixed with f32 ones in one call");
  }
  const AttnUnitFn fn = unit_fn(isa, f16);
  // Block pointers of contiguous caches (one block each).
  thread_local std::vector<const void*> contig;
  contig.resize(size_t(2 * n_seq));
  for (int64_t i = 0; i < n_seq; ++i) contig[size_t(2 * i)] = seqs[i].k, contig[size_t(2 * i + 1)] = seqs[i].v;
  const void* const* contig_p = contig.data();
  const int group = n_head / n_kv_head;
  const int64_t kv_stride = int64_t(n_kv_head) * head_dim;
  const int64_t q_stride = int64_t(n_head) * head_dim;
  if (opt.window < 0 || opt.chunk < 0 || opt.softcap < 0.0f || (opt.window > 0 && opt.chunk > 0))
    fail(ErrorKind::invalid_input, "attention: window {} / chunk {} / softcap {}: expected >= 0, at most one of "
         "window and chunk", opt.window, opt.chunk, opt.softcap);
  const float scale = opt.scale != 0.0f ? opt.scale : float(1.0 / std::sqrt(double(head_dim)));
  double keys = 0;
  const std::vector<RowRef>& rows = rows_by_cost(seqs, n_seq, opt, &keys);
  const RowRef* order = rows.data();  // the caller's buffer, read by the workers

  // Units: (row, kv head, its group of query heads), which share each key and value load;
  // single heads only when there are fewer such units than threads (decode with MQA).
  const int64_t n_rows = int64_t(rows.size());
  const int per_unit = n_rows * n_kv_head >= int64_t(pool.size()) ? group : 1;
  const int n_sub = (group + per_unit - 1) / per_unit;
  const int64_t per_row = int64_t(n_kv_head) * n_sub;
  auto run = [&](int64_t begin, int64_t end, int) {
    for (int64_t idx = begin; idx < end; ++idx) {
      const RowRef& r = order[idx / per_row];
      const int kvh = int((idx % per_row) / n_sub), sub = int(idx % n_sub);
      const int h0 = kvh * group + sub * per_unit;
      const int64_t kvo = int64_t(kvh) * head_dim, qo = r.row * q_stride + int64_t(h0) * head_dim;
      const AttnSeq& sq = seqs[r.seq];
      const bool paged = sq.k_blocks != nullptr;
      fn({.q = q + qo,
          .k = paged ? sq.k_blocks : contig_p + 2 * r.seq,
          .v = paged ? sq.v_blocks : contig_p + 2 * r.seq + 1,
          .out = out + qo,
          .n_pos = r.n_pos,
          .kv_stride = kv_stride,
          .kv_off = kvo,
          .block_shift = paged ? sq.block_shift : 62,
          .head_dim = head_dim,
          .n_heads = std::min(per_unit, group - sub * per_unit),
          .scale = scale,
          .k0 = r.first,
          .softcap = opt.softcap});
    }
  };
  const int64_t n_units = n_rows * per_row;
  if (keys * 2.0 * double(q_stride) < kMinParallelWork || pool.size() <= 1)
    run(0, n_units, 0);
  else
    pool.parallel_for_dynamic(n_units, 1, run);
}

void attention_batch(const float* q, const AttnSeq* seqs, int64_t n_seq, int n_head, int n_kv_head, int head_dim,
                     float* out, ThreadPool& pool, const AttnOptions& opt) {
  attention_batch_isa(selected_isa(), q, seqs, n_seq, n_head, n_kv_head, head_dim, out, pool, opt);
}

void attention(const float* q, const float* k, const float* v, int64_t n_tok, int64_t pos0, int n_head, int n_kv_head,
               int head_dim, float* out, ThreadPool& pool) {
  const AttnSeq one{k, v, 0, n_tok, pos0};
  attention_batch(q, &one, 1, n_head, n_kv_head, head_dim, out, pool);
}

}  // namespace ys::cpu
