// CPU attention (engine/backend/cpu/attention.h): accuracy against a naive fp64 attention,
// and the same bits whatever the ISA variant, thread count, batch or chunking.
#include "engine/backend/cpu/attention.h"

#include "engine/backend/cpu/thread_pool.h"
#include "engine/quant/blocks.h"

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace ys::cpu;

namespace {

struct Shape {
  int n_head, n_kv, head_dim;
};

// SmolLM2 (group 3), Llama-3 (group 4, head_dim 128), group 1 with head_dim 80, and
// head_dims that are not multiples of 16 (masked tail chunk); 144 takes the generic path.
const Shape kShapes[] = {{9, 3, 64}, {8, 2, 128}, {4, 4, 80},  {6, 2, 72},
                         {4, 1, 40}, {2, 2, 7},   {2, 1, 144}, {2, 1, 256}};

std::vector<float> random_vec(size_t n, uint32_t seed, float amp) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-amp, amp);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// One sequence's data: queries [n_tok, n_head*hd], cache rows [pos0 + n_tok, n_kv*hd]
// (exactly as many rows as attended, so an over-read shows under ASan).
struct Seq {
  std::vector<float> q, k, v;
  int64_t n_tok, pos0;
};

Seq make_seq(const Shape& s, int64_t n_tok, int64_t pos0, uint32_t seed, float q_amp = 1.0f) {
  const size_t qd = size_t(s.n_head) * s.head_dim, kvd = size_t(s.n_kv) * s.head_dim;
  const size_t n_pos = size_t(pos0 + n_tok);
  return {random_vec(size_t(n_tok) * qd, seed, q_amp), random_vec(n_pos * kvd, seed + 1, 1.0f),
          random_vec(n_pos * kvd, seed + 2, 1.0f), n_tok, pos0};
}

std::vector<float> run_one(Isa isa, const Shape& s, const Seq& sq, ThreadPool& pool) {
  std::vector<float> out(sq.q.size(), -1.0f);
  const AttnSeq a{sq.k.data(), sq.v.data(), 0, sq.n_tok, sq.pos0};
  attention_batch_isa(isa, sq.q.data(), &a, 1, s.n_head, s.n_kv, s.head_dim, out.data(), pool);
  return out;
}

// Naive causal GQA attention in double of query t, head h.
std::vector<double> reference(const Shape& s, const Seq& sq, int64_t t, int h) {
  const int hd = s.head_dim, group = s.n_head / s.n_kv;
  const int64_t kvs = int64_t(s.n_kv) * hd, n_pos = sq.pos0 + t + 1, off = int64_t(h / group) * hd;
  const float* q = &sq.q[size_t((t * s.n_head + h) * hd)];
  std::vector<double> sc(size_t(n_pos), 0.0), out(size_t(hd), 0.0);
  double mx = -1e300, sum = 0.0;
  for (int64_t j = 0; j < n_pos; ++j) {
    double d = 0.0;
    for (int i = 0; i < hd; ++i) d += double(q[i]) * double(sq.k[size_t(j * kvs + off + i)]);
    sc[size_t(j)] = d / std::sqrt(double(hd));
    mx = std::max(mx, sc[size_t(j)]);
  }
  for (double& x : sc) sum += (x = std::exp(x - mx));
  for (int64_t j = 0; j < n_pos; ++j)
    for (int i = 0; i < hd; ++i) out[size_t(i)] += sc[size_t(j)] / sum * double(sq.v[size_t(j * kvs + off + i)]);
  return out;
}

std::vector<Isa> variants() {
  std::vector<Isa> v{Isa::scalar};
  for (Isa i : {Isa::avx2, Isa::avx512})
    if (cpu_supports(i)) v.push_back(i);
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("attn_exp is within 2e-7 relative of exp on [-87, 0] and 0 below") {
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = -87.0f * float(i) / 200000.0f;
    const double want = std::exp(double(x));
    worst = std::max(worst, std::fabs(double(attn_exp(x)) - want) / want);
  }
  WARN("attn_exp max relative error " << worst);
  CHECK(worst < 2e-7);
  CHECK(attn_exp(0.0f) == 1.0f);
  CHECK(attn_exp(-0.0f) == 1.0f);
  CHECK(attn_exp(-87.5f) == 0.0f);
  CHECK(attn_exp(-INFINITY) == 0.0f);
  CHECK(attn_exp(NAN) == 0.0f);
}

TEST_CASE("attn_fma rounds once, like std::fma, also where rounding twice would not") {
  // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 is halfway between two floats: the tiny c decides.
  const float a = 1.0f + 0x1p-12f;
  for (float c : {0x1p-60f, -0x1p-60f, 0.0f, 0x1p-30f, -0x1p-24f})
    CHECK(std::bit_cast<uint32_t>(attn_fma(a, a, c)) == std::bit_cast<uint32_t>(std::fma(a, a, c)));
  CHECK(attn_fma(a, a, 0x1p-60f) != float(double(a) * double(a) + double(0x1p-60f)));  // the trap it avoids
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-4.0f, 4.0f);
  std::uniform_int_distribution<int> e(-140, 40);
  int mismatches = 0;
  for (int i = 0; i < 200000; ++i) {
    const float x = std::ldexp(d(rng), e(rng)), y = d(rng), z = std::ldexp(d(rng), e(rng));
    mismatches += std::bit_cast<uint32_t>(attn_fma(x, y, z)) != std::bit_cast<uint32_t>(std::fma(x, y, z));
  }
  CHECK(mismatches == 0);
}

// Outputs are convex combinations of v rows with |v| <= 1: |err| <= 3e-6 + 3e-5 |want|
// (float scores, exp and fma accumulation; measured max is reported).
TEST_CASE("attention matches a naive fp64 attention for every variant and shape") {
  ThreadPool pool(2);
  for (Isa isa : variants()) {
    double worst = 0.0;
    for (const Shape& s : kShapes) {
      for (int64_t n_tok : {1, 37}) {
        for (int64_t pos0 : {0, 23, 141}) {
          for (float amp : {1.0f, 4.0f}) {
            const Seq sq = make_seq(s, n_tok, pos0, uint32_t(n_tok * 7 + pos0), amp);
            const std::vector<float> got = run_one(isa, s, sq, pool);
            for (int64_t t = 0; t < n_tok; ++t)
              for (int h = 0; h < s.n_head; ++h) {
                const std::vector<double> want = reference(s, sq, t, h);
                for (int i = 0; i < s.head_dim; ++i) {
                  const double w = want[size_t(i)], g = got[size_t((t * s.n_head + h) * s.head_dim + i)];
                  const double err = std::fabs(g - w);
                  worst = std::max(worst, err);
                  if (!(err <= 3e-6 + 3e-5 * std::fabs(w)))
                    FAIL(isa_label(isa) << " hd " << s.head_dim << " n_tok " << n_tok << " pos0 " << pos0 << " t " << t
                                        << " h " << h << " i " << i << ": got " << g << " want " << w);
                }
              }
          }
        }
      }
    }
    WARN(isa_label(isa) << ": max |err| " << worst);
  }
}

TEST_CASE("very peaked scores (underflowing exp terms) stay accurate") {
  ThreadPool pool(1);
  const Shape s{4, 2, 64};
  const Seq sq = make_seq(s, 9, 40, 99, 60.0f);  // scores spread over hundreds
  for (Isa isa : variants()) {
    const std::vector<float> got = run_one(isa, s, sq, pool);
    for (int64_t t = 0; t < sq.n_tok; ++t)
      for (int h = 0; h < s.n_head; ++h) {
        const std::vector<double> want = reference(s, sq, t, h);
        for (int i = 0; i < s.head_dim; ++i)
          REQUIRE(std::fabs(got[size_t((t * s.n_head + h) * s.head_dim + i)] - want[size_t(i)]) <= 1e-5);
      }
  }
}

TEST_CASE("every ISA variant gives the same bits as the scalar routine") {
  ThreadPool pool(2);
  for (const Shape& s : kShapes) {
    // pos0 150: rows of a unit span several 64-key blocks, whose partial sums carry over.
    for (int64_t pos0 : {19, 150})
      for (int64_t n_tok : {1, 5, 37}) {
        const Seq sq = make_seq(s, n_tok, pos0, uint32_t(s.head_dim + n_tok + pos0), 3.0f);
        const std::vector<float> base = run_one(Isa::scalar, s, sq, pool);
        for (Isa isa : variants()) {
          INFO(isa_label(isa) << " hd " << s.head_dim << " n_head " << s.n_head << " n_tok " << n_tok << " pos0 " << pos0);
          CHECK(same_bits(run_one(isa, s, sq, pool), base));
        }
      }
  }
}

TEST_CASE("attention bits do not depend on the thread count") {
  const Shape s{9, 3, 64};
  const Seq sq = make_seq(s, 64, 100, 5);
  for (Isa isa : variants()) {
    ThreadPool one(1), two(2), three(3);
    const std::vector<float> a = run_one(isa, s, sq, one);
    CHECK(same_bits(run_one(isa, s, sq, two), a));
    CHECK(same_bits(run_one(isa, s, sq, three), a));
  }
}

TEST_CASE("a batch of sequences gives each sequence's bits alone") {
  ThreadPool pool(2);
  for (const Shape& s : {kShapes[0], kShapes[3]}) {
    const std::vector<Seq> seqs = {make_seq(s, 1, 57, 11), make_seq(s, 13, 0, 12), make_seq(s, 1, 3, 13),
                                   make_seq(s, 30, 8, 14)};
    const size_t qd = size_t(s.n_head) * s.head_dim;
    std::vector<float> q;
    std::vector<AttnSeq> batch;
    for (const Seq& sq : seqs) {
      batch.push_back({sq.k.data(), sq.v.data(), int64_t(q.size() / qd), sq.n_tok, sq.pos0});
      q.insert(q.end(), sq.q.begin(), sq.q.end());
    }
    for (Isa isa : variants()) {
      std::vector<float> out(q.size());
      attention_batch_isa(isa, q.data(), batch.data(), int64_t(batch.size()), s.n_head, s.n_kv, s.head_dim, out.data(),
                          pool);
      size_t at = 0;
      for (const Seq& sq : seqs) {
        const std::vector<float> alone = run_one(isa, s, sq, pool);
        const std::vector<float> part(out.begin() + long(at), out.begin() + long(at + alone.size()));
        CHECK(same_bits(part, alone));
        at += alone.size();
      }
    }
  }
}

TEST_CASE("prefill in chunks gives the bits of prefill at once") {
  ThreadPool pool(2);
  for (const Shape& s : {kShapes[0], kShapes[1], kShapes[4]}) {
    const Seq whole = make_seq(s, 37, 0, 21);
    const size_t qd = size_t(s.n_head) * s.head_dim;
    for (Isa isa : variants()) {
      const std::vector<float> all = run_one(isa, s, whole, pool);
      std::vector<float> out(all.size());
      // 20 tokens at pos0 0, then 17 at pos0 20 against the same cache; the first chunk
      // sees only the first 20 cache rows (a copy, so reads past them would show).
      const std::vector<float> k20(whole.k.begin(), whole.k.begin() + long(20 * s.n_kv * s.head_dim));
      const std::vector<float> v20(whole.v.begin(), whole.v.begin() + long(20 * s.n_kv * s.head_dim));
      const AttnSeq c1{k20.data(), v20.data(), 0, 20, 0};
      const AttnSeq c2{whole.k.data(), whole.v.data(), 0, 17, 20};
      attention_batch_isa(isa, whole.q.data(), &c1, 1, s.n_head, s.n_kv, s.head_dim, out.data(), pool);
      attention_batch_isa(isa, whole.q.data() + 20 * qd, &c2, 1, s.n_head, s.n_kv, s.head_dim, out.data() + 20 * qd,
                          pool);
      CHECK(same_bits(out, all));
    }
  }
}

TEST_CASE("attention rejects a head count that is not a multiple of the kv heads") {
  ThreadPool pool(1);
  std::vector<float> x(64, 0.0f), out(64);
  const AttnSeq a{x.data(), x.data(), 0, 1, 0};
  CHECK_THROWS(attention_batch_isa(Isa::scalar, x.data(), &a, 1, 3, 2, 16, out.data(), pool));
}

namespace {

// The cache of `sq` in blocks of 2^shift rows, in reverse block order, each block its own
// allocation of exactly its rows (f32, or IEEE halves when f16), so a read through a wrong
// block or past one shows under ASan.
struct PagedCopy {
  std::vector<std::vector<uint8_t>> kb, vb;
  std::vector<const void*> kp, vp;
};
PagedCopy page(const Shape& s, const Seq& sq, int shift, bool f16) {
  const int64_t kvd = int64_t(s.n_kv) * s.head_dim, n_pos = sq.pos0 + sq.n_tok, B = int64_t(1) << shift;
  const int64_t nb = (n_pos + B - 1) / B, elem = f16 ? 2 : 4;
  PagedCopy c;
  c.kb.resize(size_t(nb)), c.vb.resize(size_t(nb));
  for (int64_t b = 0; b < nb; ++b) {  // storage slot nb-1-b holds block b
    const int64_t rows = std::min(B, n_pos - b * B);
    for (auto [dst, src] : {std::pair{&c.kb, &sq.k}, std::pair{&c.vb, &sq.v}}) {
      std::vector<uint8_t>& blk = (*dst)[size_t(nb - 1 - b)];
      blk.resize(size_t(B * kvd * elem));  // whole block: the routine never reads rows past n_pos
      for (int64_t i = 0; i < rows * kvd; ++i) {
        const float x = (*src)[size_t(b * B * kvd + i)];
        if (f16) {
          const uint16_t h = ys::quant::f32_to_f16(x);
          std::memcpy(&blk[size_t(i * 2)], &h, 2);
        } else {
          std::memcpy(&blk[size_t(i * 4)], &x, 4);
        }
      }
    }
  }
  for (int64_t b = 0; b < nb; ++b) {
    c.kp.push_back(c.kb[size_t(nb - 1 - b)].data());
    c.vp.push_back(c.vb[size_t(nb - 1 - b)].data());
  }
  return c;
}

}  // namespace

TEST_CASE("a paged cache gives the bits of a contiguous one; an f16 cache those of its rounded values") {
  ThreadPool pool(2);
  for (const Shape& s : {kShapes[0], kShapes[1], kShapes[3], kShapes[5]}) {
    INFO("shape " << s.n_head << "/" << s.n_kv << " hd " << s.head_dim);
    for (const auto& [n_tok, pos0] : {std::pair<int64_t, int64_t>{1, 70}, {19, 0}, {5, 33}}) {
      const Seq sq = make_seq(s, n_tok, pos0, 31);
      Seq rounded = sq;  // the values an f16 cache holds, in f32
      for (auto* x : {&rounded.k, &rounded.v})
        for (float& f : *x) f = ys::quant::f16_to_f32(ys::quant::f32_to_f16(f));
      for (Isa isa : variants()) {
        INFO("isa " << int(isa) << " n_tok " << n_tok << " pos0 " << pos0);
        for (int shift : {4, 5}) {
          for (bool f16 : {false, true}) {
            const PagedCopy c = page(s, sq, shift, f16);
            AttnSeq a{nullptr, nullptr, 0, sq.n_tok, sq.pos0, c.kp.data(), c.vp.data(), shift, f16};
            std::vector<float> out(sq.q.size(), -1.0f);
            attention_batch_isa(isa, sq.q.data(), &a, 1, s.n_head, s.n_kv, s.head_dim, out.data(), pool);
            CHECK(same_bits(out, run_one(isa, s, f16 ? rounded : sq, pool)));
          }
        }
        // every variant gives the scalar routine's bits on an f16 cache too
        const PagedCopy c = page(s, sq, 4, true);
        AttnSeq a{nullptr, nullptr, 0, sq.n_tok, sq.pos0, c.kp.data(), c.vp.data(), 4, true};
        std::vector<float> mine(sq.q.size()), scalar(sq.q.size());
        attention_batch_isa(isa, sq.q.data(), &a, 1, s.n_head, s.n_kv, s.head_dim, mine.data(), pool);
        attention_batch_isa(Isa::scalar, sq.q.data(), &a, 1, s.n_head, s.n_kv, s.head_dim, scalar.data(), pool);
        CHECK(same_bits(mine, scalar));
      }
    }
  }
}
