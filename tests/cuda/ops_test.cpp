// Elementwise, attention, output-statistics and MoE-routing kernels against the CPU
// backend's ops (engine/backend/cpu/ops.h) and row_stats.
//
// Tolerances: rmsnorm / bias / add are the same f32 operations (rmsnorm's sum in double):
// 1e-6 relative. silu (expf vs std::exp, 2 ulp) 1e-6 relative. RoPE angles in double on
// both sides; the rotation may be fused (FMA) on the device: 2e-6 * max|x|. Attention:
// different summation order and online softmax: 2e-5 absolute for O(1) values.
// row_stats: double on both sides: 1e-9; argmax identical (ties to the lowest id).
#include "engine/backend/cpu/ops.h"
#include "engine/backend/cpu/thread_pool.h"
#include "engine/backend/cuda/kernels.h"
#include "engine/backend/cpu/cpu_model.h"
#include "engine/quant/blocks.h"
#include "tests/cuda/helpers.h"
#include "tests/cuda/skip.h"

#include <algorithm>
#include <numeric>

using namespace ys;

TEST_CASE("rmsnorm, bias, residual add and SwiGLU match the CPU ops") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t n_tok = 5, dim = 576;
  const std::vector<float> x = test::randn(size_t(n_tok * dim), 1, 3.0f), w = test::randn(size_t(dim), 2);
  const std::vector<float> u = test::randn(size_t(n_tok * dim), 3);
  std::vector<float> ref(x.size());
  cpu::rmsnorm(x.data(), w.data(), n_tok, dim, 1e-5f, ref.data());
  cuda::Buffer xd = cuda::upload(x), wd = cuda::upload(w), yd = test::poisoned(x.size() * 4), ud = cuda::upload(u);
  cuda::rmsnorm(xd.as<float>(), wd.as<float>(), n_tok, dim, 1e-5f, yd.as<float>());
  CHECK(test::max_rel(cuda::download<float>(yd.data(), x.size()), ref) <= 1e-6);
  // in place (y aliases x)
  cuda::rmsnorm(xd.as<float>(), wd.as<float>(), n_tok, dim, 1e-5f, xd.as<float>());
  CHECK(test::max_rel(cuda::download<float>(xd.data(), x.size()), ref) <= 1e-6);

  std::vector<float> b_ref = x;
  cpu::add_bias(b_ref.data(), w.data(), n_tok, dim);
  cpu::add_inplace(b_ref.data(), u.data(), n_tok * dim);
  cuda::Buffer bd = cuda::upload(x);
  cuda::add_bias(bd.as<float>(), wd.as<float>(), n_tok, dim);
  cuda::add_inplace(bd.as<float>(), ud.as<float>(), n_tok * dim);
  CHECK(test::max_rel(cuda::download<float>(bd.data(), x.size()), b_ref) <= 1e-6);

  std::vector<float> s_ref(x.size());
  cpu::silu_mul(x.data(), u.data(), s_ref.data(), n_tok * dim);
  cuda::Buffer gd = cuda::upload(x), sd = test::poisoned(x.size() * 4);
  cuda::silu_mul(gd.as<float>(), ud.as<float>(), sd.as<float>(), n_tok * dim);
  CHECK(test::max_rel(cuda::download<float>(sd.data(), x.size()), s_ref) <= 1e-6);
}

TEST_CASE("rope matches the CPU: normal, NeoX, llama3 factors, YaRN, partial rotation") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t n_tok = 6, pos0 = 1000;
  const int n_head = 3, hd = 64;
  std::vector<float> ff(32);
  for (size_t i = 0; i < ff.size(); ++i) ff[i] = 1.0f + float(i) * 0.25f;
  cuda::Buffer ffd = cuda::upload(ff);
  struct Case { const char* name; cpu::RopeParams p; };
  std::vector<Case> cases;
  cpu::RopeParams p;
  p.n_rot = hd;
  cases.push_back({"normal", p});
  p.neox = true;
  cases.push_back({"neox", p});
  p.neox = false, p.freq_base = 500000.0f, p.freq_factors = ff.data();
  cases.push_back({"llama3", p});
  p = {};
  p.n_rot = hd, p.neox = true, p.freq_scale = 0.25f, p.ext_factor = 1.0f, p.n_ctx_orig = 32;
  cases.push_back({"yarn", p});
  p = {};
  p.n_rot = 32, p.freq_scale = 0.5f;
  cases.push_back({"partial-linear", p});
  for (const Case& c : cases) {
    INFO(c.name);
    const std::vector<float> x = test::randn(size_t(n_tok * n_head * hd), 9);
    std::vector<float> ref = x;
    std::vector<int32_t> pos(static_cast<size_t>(n_tok));
    std::iota(pos.begin(), pos.end(), int32_t(pos0));
    cpu::rope(ref.data(), n_tok, n_head, hd, pos.data(), c.p);
    cuda::RopeDev d;
    d.n_rot = c.p.n_rot, d.neox = c.p.neox, d.freq_base = c.p.freq_base, d.freq_scale = c.p.freq_scale;
    d.freq_factors = c.p.freq_factors ? ffd.as<float>() : nullptr;
    d.ext_factor = c.p.ext_factor, d.attn_factor = c.p.attn_factor, d.beta_fast = c.p.beta_fast;
    d.beta_slow = c.p.beta_slow, d.n_ctx_orig = c.p.n_ctx_orig;
    cuda::Buffer xd = cuda::upload(x), pd = cuda::upload(pos);
    cuda::rope(xd.as<float>(), n_tok, n_head, hd, pd.as<int32_t>(), d);
    const std::vector<float> y = cuda::download<float>(xd.data(), x.size());
    double worst = 0.0, amax = 0.0;
    for (size_t i = 0; i < y.size(); ++i) {
      worst = std::max(worst, std::fabs(double(y[i]) - double(ref[i])));
      amax = std::max(amax, std::fabs(double(ref[i])));
    }
    CHECK(worst <= 2e-6 * amax);
  }
}

namespace {

// A paged copy of a contiguous cache [n_pos, row] (f32 or f16 elements) in blocks of 16
// rows in reverse order (block j of the sequence is pool block nb - 1 - j).
struct Paged {
  cuda::Buffer k, v, tables;
  cuda::PagedKv kv;
};
Paged page(const std::vector<float>& k, const std::vector<float>& v, int64_t row, bool f16) {
  const int64_t n_pos = int64_t(k.size()) / row, nb = (n_pos + 15) / 16;
  std::vector<int32_t> perm(static_cast<size_t>(nb));
  for (int64_t j = 0; j < nb; ++j) perm[size_t(j)] = int32_t(nb - 1 - j);
  std::vector<float> pk(size_t(nb * 16 * row), 0.0f), pv = pk;
  for (int64_t p = 0; p < n_pos; ++p)
    for (int64_t i = 0; i < row; ++i) {
      const size_t at = size_t((int64_t(perm[size_t(p / 16)]) * 16 + p % 16) * row + i);
      pk[at] = k[size_t(p * row + i)];
      pv[at] = v[size_t(p * row + i)];
    }
  Paged out;
  if (f16) {
    auto half = [](const std::vector<float>& x) {
      std::vector<uint16_t> h(x.size());
      for (size_t i = 0; i < x.size(); ++i) h[i] = quant::f32_to_f16(x[i]);
      return h;
    };
    out.k = cuda::upload(half(pk)), out.v = cuda::upload(half(pv));
  } else {
    out.k = cuda::upload(pk), out.v = cuda::upload(pv);
  }
  out.tables = cuda::upload(perm);
  out.kv.k = out.k.data(), out.kv.v = out.v.data(), out.kv.f16 = f16, out.kv.row_dim = row, out.kv.block_shift = 4;
  out.kv.tables = out.tables.as<int32_t>(), out.kv.table_stride = nb;
  return out;
}

std::vector<float> rounded_f16(std::vector<float> x) {
  for (float& f : x) f = quant::f16_to_f32(quant::f32_to_f16(f));
  return x;
}

}  // namespace

TEST_CASE("attention over paged f32/f16 keys and values matches the CPU: causal, GQA, with a cache prefix") {
  YS_REQUIRE_CUDA_OR_SKIP();
  cpu::ThreadPool pool(1);
  struct Case { int64_t n_tok, pos0; int n_head, n_kv, hd; };
  for (const Case c : {Case{5, 7, 8, 2, 64}, Case{1, 300, 4, 4, 128}, Case{33, 0, 6, 1, 32}, Case{3, 2, 2, 1, 256},
                       Case{1, 0, 4, 2, 64}, Case{2, 5000, 9, 3, 64}}) {
    for (bool f16 : {false, true}) {
      INFO("n_tok " << c.n_tok << " pos0 " << c.pos0 << " heads " << c.n_head << "/" << c.n_kv << " hd " << c.hd
                    << (f16 ? " f16 KV" : " f32 KV"));
      const int64_t n_pos = c.pos0 + c.n_tok, qd = int64_t(c.n_head) * c.hd, kvd = int64_t(c.n_kv) * c.hd;
      const std::vector<float> q = test::randn(size_t(c.n_tok * qd), 1);
      std::vector<float> k = test::randn(size_t(n_pos * kvd), 2), v = test::randn(size_t(n_pos * kvd), 3);
      const Paged pg = page(k, v, kvd, f16);
      if (f16) k = rounded_f16(k), v = rounded_f16(v);  // the reference sees the stored values
      std::vector<float> ref(q.size());
      cpu::attention(q.data(), k.data(), v.data(), c.n_tok, c.pos0, c.n_head, c.n_kv, c.hd, ref.data(), pool);
      std::vector<int32_t> pos(static_cast<size_t>(c.n_tok)), seq(static_cast<size_t>(c.n_tok), 0);
      std::iota(pos.begin(), pos.end(), int32_t(c.pos0));
      cuda::Buffer qd_ = cuda::upload(q), od = test::poisoned(q.size() * 4), pd = cuda::upload(pos), sd = cuda::upload(seq);
      cuda::Buffer scratch(size_t(cuda::attention_scratch_floats(c.n_tok, c.n_head, c.hd)) * 4);
      for (bool split : {false, true}) {
        if (split && c.n_tok > cuda::kAttentionSplitMaxTokens) continue;
        INFO("split-K " << split);
        cuda::fill_bytes(od.data(), 0xFF, q.size() * 4);
        cuda::attention(qd_.as<float>(), c.n_tok, sd.as<int32_t>(), pd.as<int32_t>(), pg.kv, c.n_head, c.n_kv, c.hd,
                        float(1.0 / std::sqrt(double(c.hd))), od.as<float>(), split ? scratch.as<float>() : nullptr);
        const std::vector<float> o = cuda::download<float>(od.data(), q.size());
        double worst = 0.0;
        for (size_t i = 0; i < o.size(); ++i) {
          const double e = std::fabs(double(o[i]) - double(ref[i]));
          if (!(e <= worst)) worst = e;
        }
        CHECK(worst <= 2e-5);
      }
    }
  }
}

TEST_CASE("kv_store writes each row at its sequence's block and position") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t row = 48, cap_blocks = 4;
  // Two sequences: rows 0-1 are sequence 0 at positions 15, 16 (blocks 2 then 0); row 2 is
  // sequence 1 at position 3 (block 3).
  const std::vector<int32_t> tables = {2, 0, 3, 1}, row_seq = {0, 0, 1}, pos = {15, 16, 3};
  const std::vector<float> k = test::randn(size_t(row * 3), 8), v = test::randn(size_t(row * 3), 9);
  for (bool f16 : {false, true}) {
    INFO((f16 ? "f16" : "f32"));
    const size_t elem = f16 ? 2 : 4, n = size_t(cap_blocks * 16 * row);
    cuda::Buffer kp(n * elem), vp(n * elem), td = cuda::upload(tables), sd = cuda::upload(row_seq), pd = cuda::upload(pos);
    cuda::fill_bytes(kp.data(), 0, n * elem);
    cuda::fill_bytes(vp.data(), 0, n * elem);
    cuda::Buffer kd = cuda::upload(k), vd = cuda::upload(v);
    cuda::PagedKv kv;
    kv.k = kp.data(), kv.v = vp.data(), kv.f16 = f16, kv.row_dim = row, kv.block_shift = 4;
    kv.tables = td.as<int32_t>(), kv.table_stride = 2;
    cuda::kv_store(kd.as<float>(), vd.as<float>(), 3, sd.as<int32_t>(), pd.as<int32_t>(), kv);
    std::vector<float> gk(n), gv(n);
    if (f16) {
      const auto hk = cuda::download<uint16_t>(kp.data(), n), hv = cuda::download<uint16_t>(vp.data(), n);
      for (size_t i = 0; i < n; ++i) gk[i] = quant::f16_to_f32(hk[i]), gv[i] = quant::f16_to_f32(hv[i]);
    } else {
      gk = cuda::download<float>(kp.data(), n), gv = cuda::download<float>(vp.data(), n);
    }
    const int64_t slot[3] = {2 * 16 + 15, 0 * 16 + 0, 1 * 16 + 3};  // sequence 1's table starts at entry 2
    for (int r = 0; r < 3; ++r)
      for (int64_t i = 0; i < row; ++i) {
        const float want_k = f16 ? quant::f16_to_f32(quant::f32_to_f16(k[size_t(r * row + i)])) : k[size_t(r * row + i)];
        const float want_v = f16 ? quant::f16_to_f32(quant::f32_to_f16(v[size_t(r * row + i)])) : v[size_t(r * row + i)];
        CHECK(gk[size_t(slot[r] * row + i)] == want_k);
        CHECK(gv[size_t(slot[r] * row + i)] == want_v);
      }
  }
}

TEST_CASE("row_stats (log-softmax of a target + argmax) matches the CPU, ties to the lowest id") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t rows = 4, n_vocab = 49157;
  std::vector<float> l = test::randn(size_t(rows * n_vocab), 4, 4.0f);
  l[size_t(1 * n_vocab + 100)] = 30.0f;  // row 1: a tie between ids 100 and 40000
  l[size_t(1 * n_vocab + 40000)] = 30.0f;
  const std::vector<int32_t> targets = {0, 40000, 12345, int32_t(n_vocab - 1)};
  cuda::Buffer ld = cuda::upload(l), td = cuda::upload(targets), lpd(rows * 8), amd(rows * 4);
  cuda::row_stats(ld.as<float>(), rows, n_vocab, td.as<int32_t>(), lpd.as<double>(), amd.as<int32_t>());
  const std::vector<double> lp = cuda::download<double>(lpd.data(), rows);
  const std::vector<int32_t> am = cuda::download<int32_t>(amd.data(), rows);
  for (int64_t r = 0; r < rows; ++r) {
    const engine::RowStats s = engine::row_stats(&l[size_t(r * n_vocab)], n_vocab, targets[size_t(r)]);
    CHECK(am[size_t(r)] == s.argmax);
    CHECK(std::fabs(lp[size_t(r)] - s.logprob) <= 1e-9);
  }
  CHECK(am[1] == 100);
}

TEST_CASE("MoE top-k routing and the weighted combine match a host reference") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t n_tok = 7, dim = 64;
  const int ne = 8, k = 2;
  std::vector<float> r = test::randn(size_t(n_tok * ne), 5);
  r[3] = r[5] = 9.0f;  // token 0: tie between experts 3 and 5 -> order 3, 5
  cuda::Buffer rd = cuda::upload(r), sd(size_t(n_tok * k) * 4), wd(size_t(n_tok * k) * 4);
  cuda::moe_topk(rd.as<float>(), n_tok, ne, k, sd.as<int32_t>(), wd.as<float>());
  const std::vector<int32_t> sel = cuda::download<int32_t>(sd.data(), size_t(n_tok * k));
  const std::vector<float> ws = cuda::download<float>(wd.data(), size_t(n_tok * k));
  for (int64_t t = 0; t < n_tok; ++t) {
    std::vector<int32_t> ids(ne);
    std::iota(ids.begin(), ids.end(), 0);
    const float* rr = &r[size_t(t * ne)];
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                      [&](int32_t a, int32_t b) { return rr[a] > rr[b] || (rr[a] == rr[b] && a < b); });
    std::vector<float> w(static_cast<size_t>(k));
    for (int j = 0; j < k; ++j) w[size_t(j)] = rr[ids[size_t(j)]];
    cpu::softmax(w.data(), k);
    for (int j = 0; j < k; ++j) {
      CHECK(sel[size_t(t * k + j)] == ids[size_t(j)]);
      CHECK(std::fabs(ws[size_t(t * k + j)] - w[size_t(j)]) <= 1e-6f);
    }
  }
  CHECK(sel[0] == 3);
  CHECK(sel[1] == 5);
  const std::vector<float> src = test::randn(size_t(n_tok * k * dim), 6);
  cuda::Buffer srcd = cuda::upload(src), od = test::poisoned(size_t(n_tok * dim) * 4);
  cuda::moe_combine(srcd.as<float>(), wd.as<float>(), n_tok, k, dim, od.as<float>());
  const std::vector<float> o = cuda::download<float>(od.data(), size_t(n_tok * dim));
  double worst = 0.0;
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t c = 0; c < dim; ++c) {
      float want = 0.0f;
      for (int j = 0; j < k; ++j) want += ws[size_t(t * k + j)] * src[size_t((t * k + j) * dim + c)];
      worst = std::max(worst, double(std::fabs(o[size_t(t * dim + c)] - want)));
    }
  CHECK(worst <= 1e-6);
}
