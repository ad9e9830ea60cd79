// matmul_shared (several weights against one input, as Q/K/V and gate/up) gives the bits of
// one matmul call per weight, for every type, both activation precisions, small and large
// batches (the shared pass and its fallback) and mixed shapes; and rejects what matmul does.
#include "common/error.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/matmul.h"
#include "engine/quant/quant.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace ys;
using namespace ys::cpu;
using quant::Type;

namespace {

std::vector<float> randn(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = nd(rng);
  return v;
}

std::vector<uint8_t> quantized(Type t, int64_t rows, int64_t cols, uint32_t seed) {
  const auto src = randn(size_t(rows * cols), seed);
  const size_t rb = quant::row_bytes(t, uint64_t(cols));
  std::vector<uint8_t> q(rb * size_t(rows));
  for (int64_t r = 0; r < rows; ++r) quant::quantize_row(t, src.data() + r * cols, q.data() + rb * size_t(r), cols);
  return q;
}

}  // namespace

TEST_CASE("matmul_shared equals one matmul per weight, bit for bit") {
  ThreadPool p1(1), p2(2);
  const Type types[] = {Type::f32,  Type::f16,  Type::q8_0, Type::q4_0, Type::q4_1,
                        Type::q5_0, Type::q5_1, Type::q4_k, Type::q6_k};
  for (Type t : types) {
    const int64_t cols = quant::traits(t).block_size == 256 ? 512 : 576;
    const int64_t rows[3] = {96, 32, 41};  // Q, K, V-like; 41: not a multiple of any row block
    std::vector<std::vector<uint8_t>> data;
    for (int i = 0; i < 3; ++i) data.push_back(quantized(t, rows[i], cols, uint32_t(7 + i)));
    for (ActPrecision act : {ActPrecision::f32, ActPrecision::int8}) {
      std::vector<WeightView> w;
      for (int i = 0; i < 3; ++i) w.push_back({t, data[size_t(i)].data(), rows[i], cols, act});
      for (int64_t n_tok : {1, 3, 8, 9, 20}) {
        const auto x = randn(size_t(cols * n_tok), uint32_t(50 + n_tok));
        for (ThreadPool* pool : {&p1, &p2}) {
          INFO(quant::name(t) << " act " << act_precision_name(act) << " n_tok " << n_tok << " threads "
                              << pool->size());
          std::vector<std::vector<float>> ys(3), ref(3);
          std::vector<MatmulOut> outs;
          for (int i = 0; i < 3; ++i) {
            ys[size_t(i)].assign(size_t(rows[i] * n_tok), -3.0f);
            ref[size_t(i)].assign(size_t(rows[i] * n_tok), -5.0f);
            matmul(w[size_t(i)], x.data(), n_tok, ref[size_t(i)].data(), *pool);
            outs.push_back({&w[size_t(i)], ys[size_t(i)].data()});
          }
          matmul_shared(outs.data(), 3, x.data(), n_tok, *pool);
          for (int i = 0; i < 3; ++i)
            REQUIRE(std::memcmp(ys[size_t(i)].data(), ref[size_t(i)].data(), ys[size_t(i)].size() * 4) == 0);
        }
      }
    }
  }
}

TEST_CASE("matmul_shared with differing weights falls back, and rejects bad shapes") {
  ThreadPool pool(2);
  const int64_t cols = 64;
  const auto a = quantized(Type::q8_0, 8, cols, 1), b = quantized(Type::q4_0, 8, cols, 2);
  const WeightView wa{Type::q8_0, a.data(), 8, cols}, wb{Type::q4_0, b.data(), 8, cols};
  const auto x = randn(size_t(cols), 3);
  std::vector<float> ya(8), yb(8), ra(8), rb(8);
  const MatmulOut outs[] = {{&wa, ya.data()}, {&wb, yb.data()}};
  matmul_shared(outs, 2, x.data(), 1, pool);
  matmul(wa, x.data(), 1, ra.data(), pool);
  matmul(wb, x.data(), 1, rb.data(), pool);
  CHECK(ya == ra);
  CHECK(yb == rb);
  const WeightView bad{Type::q8_0, a.data(), 8, 48};  // 48: not a multiple of 32
  const MatmulOut bad_outs[] = {{&bad, ya.data()}};
  CHECK_THROWS_AS(matmul_shared(bad_outs, 1, x.data(), 1, pool), ys::Error);
}

TEST_CASE("the AVX-512 activation quantizer gives the scalar one's bits, special values included") {
  if (!cpu_supports(Isa::avx512)) {  // (kernels_avx512() itself may use AVX-512 instructions)
    WARN("skipped: no AVX-512 VNNI on this CPU");
    return;
  }
  const auto avx = kernels_avx512().act_q8;
  REQUIRE(avx != nullptr);
  const int64_t n = 32 * 19;  // 19 blocks: two full groups and a partial one
  for (uint32_t seed = 0; seed < 20; ++seed) {
    auto x = randn(size_t(n), seed);
    if (seed % 4 == 1) {  // special values in some blocks
      x[3] = std::numeric_limits<float>::quiet_NaN();
      x[40] = std::numeric_limits<float>::infinity();
      x[70] = -std::numeric_limits<float>::infinity();
      for (int j = 96; j < 128; ++j) x[size_t(j)] = 0.0f;                 // an all-zero block
      for (int j = 128; j < 160; ++j) x[size_t(j)] = 1e-40f * float(j);   // denormals: 1 / d overflows
      x[200] = 3e38f;
      x[233] = -0.0f;
    }
    if (seed % 4 == 2)
      for (int j = 0; j < 32; ++j) x[size_t(j)] = 0.5f * float(j - 16);  // exact halves: ties to even
    std::vector<ActQ8x8> a(size_t(act_q8_groups(n))), b(a.size());
    quantize_act_q8(x.data(), a.data(), n);
    avx(x.data(), b.data(), n);
    INFO("seed " << seed);
    REQUIRE(std::memcmp(a.data(), b.data(), a.size() * sizeof(ActQ8x8)) == 0);
  }
}
