// oneDNN's matrix products (engine/backend/cpu/onednn_gemm.h): each type against the fp64
// reference with bounds derived from its format, the batch invariance of the tiles that
// `--cpu-gemm onednn` runs (a token's bits do not depend on how many tokens share the call,
// on its position, on the other tokens nor on the thread count), the vendor-way product
// for comparison, and the matmul() dispatch of registered weights.
#include "common/error.h"
#include "engine/backend/cpu/matmul.h"
#include "engine/backend/cpu/onednn_convert.h"
#include "engine/backend/cpu/onednn_gemm.h"
#include "engine/quant/blocks.h"
#include "engine/quant/quant.h"
#include "engine/quant/reference.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace ys;
using namespace ys::cpu;
using quant::Type;

namespace {

struct Mat {
  Type type;
  int64_t rows, cols;
  std::vector<uint8_t> data;
  WeightView view() const { return {type, data.data(), rows, cols, ActPrecision::f32}; }
};

std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = nd(rng);
  return v;
}

Mat make_weights(Type t, int64_t rows, int64_t cols, uint32_t seed) {
  const auto f = randn(static_cast<size_t>(rows * cols), seed, 0.5f);
  const size_t rb = quant::row_bytes(t, uint64_t(cols));
  Mat m{t, rows, cols, std::vector<uint8_t>(rb * size_t(rows))};
  for (int64_t r = 0; r < rows; ++r) quant::quantize_row(t, f.data() + r * cols, m.data.data() + rb * size_t(r), cols);
  return m;
}

double s8_scale(const float* v, int64_t n) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(v[i]));
  return double(amax / 127.0f);
}

// |y - fp64 dot| <= bound, from the formats (see onednn_gemm.h): f32 sums in any order
// cols * 2^-24 * sum|w x|; bf16 adds 2^-9 * sum|w x| per rounded operand (x; and w unless
// the weights are bf16 already); int8: |w| sx/2 + |x| sw/2 + sw sx/4 per term (round to
// nearest), exact int32 sums, a few roundings of the result.
double bound(OnednnType t, const Mat& m, int64_t r, const float* x, double mag) {
  const int64_t cols = m.cols;
  const double u = std::ldexp(1.0, -24), sum_err = double(cols) * u * mag;
  if (t == OnednnType::f32) return sum_err + 1e-30;
  if (t == OnednnType::bf16) {
    const int rounded = m.type == Type::bf16 ? 1 : 2;
    return rounded * std::ldexp(1.0, -9) * mag * 1.01 + sum_err + 1e-30;
  }
  std::vector<float> w(static_cast<size_t>(cols));
  quant::dequantize_row(m.type, m.data.data() + quant::row_bytes(m.type, uint64_t(cols)) * size_t(r), w.data(), cols);
  const double sw = s8_scale(w.data(), cols), sx = s8_scale(x, cols);
  double b = 0;
  for (int64_t k = 0; k < cols; ++k)
    b += (std::fabs(double(w[size_t(k)])) * sx + std::fabs(double(x[k])) * sw) * 0.5001 + sw * sx * 0.2501;
  return b + 4 * u * (mag + b) + 1e-30;
}

// Largest |err| / bound over all outputs (must be <= 1) and the largest |err| / sum|w x|.
struct Fit {
  double worst = 0, rel = 0;
};
Fit fit(OnednnType t, const Mat& m, const std::vector<float>& x, int64_t n_tok, const std::vector<float>& y) {
  Fit f;
  const size_t rb = quant::row_bytes(m.type, uint64_t(m.cols));
  for (int64_t tk = 0; tk < n_tok; ++tk)
    for (int64_t r = 0; r < m.rows; ++r) {
      const void* row = m.data.data() + rb * size_t(r);
      const float* xt = x.data() + tk * m.cols;
      const double ref = quant::dot_f64(m.type, row, xt, m.cols), mag = quant::abs_dot_f64(m.type, row, xt, m.cols);
      const double err = std::fabs(double(y[size_t(tk * m.rows + r)]) - ref);
      f.worst = std::max(f.worst, err / bound(t, m, r, xt, mag));
      f.rel = std::max(f.rel, err / mag);
    }
  return f;
}

std::vector<float> run_matrix(const OnednnMatrix& om, const std::vector<float>& x, int64_t n_tok, int threads) {
  ThreadPool pool(threads);
  std::vector<float> y(static_cast<size_t>(om.rows() * n_tok), -1.0f);
  om.run(x.data(), n_tok, y.data(), pool);
  return y;
}

const OnednnType kTypes[] = {OnednnType::f32, OnednnType::bf16, OnednnType::s8};

}  // namespace

TEST_CASE("oneDNN products of every type stay within the fp64 reference's format bounds") {
  INFO("oneDNN " << onednn_version() << ", " << onednn_isa());
  // Shapes: rows below, at and past a tile block (256), a narrow tail block; weight
  // sources f32, bf16 and quantized (dequantized first).
  struct Case {
    Type wt;
    int64_t rows, cols, n_tok;
  };
  const Case cases[] = {{Type::f32, 96, 64, 5},    {Type::bf16, 256, 128, 33}, {Type::q4_1, 300, 96, 40},
                        {Type::q8_0, 520, 256, 1}, {Type::f32, 17, 32, 64}};
  for (const Case& c : cases)
    for (OnednnType t : kTypes) {
      if (!onednn_native(t) && t != OnednnType::f32) continue;
      INFO(quant::name(c.wt) << " " << c.rows << "x" << c.cols << ", " << c.n_tok << " tokens, " << onednn_type_name(t));
      const Mat m = make_weights(c.wt, c.rows, c.cols, 3);
      const auto x = randn(size_t(c.n_tok * c.cols), 4);
      const OnednnMatrix om(m.view(), t);
      const Fit tiles = fit(t, m, x, c.n_tok, run_matrix(om, x, c.n_tok, 2));
      OnednnProduct prod(m.view(), t, c.n_tok, 2);
      std::vector<float> y(size_t(c.rows * c.n_tok));
      prod.run(x.data(), y.data());
      const Fit vendor = fit(t, m, x, c.n_tok, y);
      WARN(quant::name(c.wt) << " " << c.rows << "x" << c.cols << " t" << c.n_tok << " " << onednn_type_name(t)
                             << " (" << om.impl() << "): max |err|/sum|wx| " << tiles.rel << " (vendor way "
                             << vendor.rel << "), of the bound " << tiles.worst);
      CHECK(tiles.worst <= 1.0);
      CHECK(vendor.worst <= 1.0);
      if (t == OnednnType::bf16 && c.wt != Type::bf16) CHECK(tiles.rel > 1e-6);  // really rounded to bf16
    }
}

TEST_CASE("oneDNN tiles: a token's bits do not depend on n_tok, position, other tokens or threads") {
  // Per type: token 0 alone on 1 thread is the reference; then the same token at every
  // position of batches of 1..300 tokens (crossing the 32-token chunks) among random
  // others, on 1 to 4 threads, must give the same bits.
  for (OnednnType t : kTypes) {
    if (!onednn_native(t) && t != OnednnType::f32) continue;
    INFO(onednn_type_name(t));
    const Mat m = make_weights(Type::q4_1, 600, 576, 8);  // 3 blocks: 256, 256, 88 rows
    const OnednnMatrix om(m.view(), t);
    const auto probe = randn(576, 9);
    const auto ref = run_matrix(om, probe, 1, 1);
    int checked = 0, differ = 0;
    for (int threads : {1, 2, 3, 4}) {
      ThreadPool pool(threads);
      for (int64_t n : {2, 7, 31, 32, 33, 64, 100, 300}) {
        auto x = randn(size_t(n * 576), uint32_t(100 + n));
        for (int64_t pos : {int64_t(0), n / 2, n - 1}) {
          std::copy(probe.begin(), probe.end(), x.begin() + pos * 576);
          std::vector<float> y(size_t(n * 600));
          om.run(x.data(), n, y.data(), pool);
          ++checked;
          differ += std::memcmp(y.data() + pos * 600, ref.data(), 600 * sizeof(float)) != 0;
        }
      }
    }
    WARN(onednn_type_name(t) << " tiles (" << om.impl() << "): " << differ << " of " << checked
                             << " placements differ from the token alone");
    CHECK(differ == 0);
  }
}

TEST_CASE("oneDNN the vendor way: results within bounds, batch dependence reported") {
  // One primitive per n_tok, oneDNN's own threads: not batch-invariant in general (measured
  // with a standalone program on this Xeon: bf16 with W 576x1536 on 1 thread, a token's bits
  // differ at M = 100 and 128 from M = 1; f32 and bf16 with runtime M on 4 threads from
  // M = 255). Reported, not asserted either way.
  const Mat m = make_weights(Type::f32, 576, 1536, 12);
  const auto probe = randn(1536, 13);
  for (OnednnType t : kTypes) {
    if (!onednn_native(t) && t != OnednnType::f32) continue;
    int differ = 0, tried = 0;
    std::string impl;
    for (int threads : {1, 2}) {
      OnednnProduct alone(m.view(), t, 1, threads);
      std::vector<float> ref(576);
      alone.run(probe.data(), ref.data());
      impl = alone.impl();
      for (int64_t n : {16, 100, 128, 512}) {
        auto x = randn(size_t(n * 1536), uint32_t(n));
        std::copy(probe.begin(), probe.end(), x.begin());
        OnednnProduct p(m.view(), t, n, threads);
        std::vector<float> y(size_t(n * 576));
        p.run(x.data(), y.data());
        CHECK(fit(t, m, x, 1, y).worst <= 1.0);
        ++tried;
        differ += std::memcmp(y.data(), ref.data(), 576 * sizeof(float)) != 0;
      }
    }
    WARN(onednn_type_name(t) << " vendor way (" << impl << "): token 0 of 16/100/128/512 tokens on 1 and 2 "
                             << "threads differs from it alone in " << differ << " of " << tried);
  }
}

TEST_CASE("registered weights go through oneDNN in matmul and matmul_shared, others do not") {
  const Mat a = make_weights(Type::q4_1, 300, 128, 21), b = make_weights(Type::q4_1, 64, 128, 22);
  const auto x = randn(size_t(40 * 128), 23);
  ThreadPool pool(2);
  auto engine_y = [&](const Mat& m, int64_t n) {
    std::vector<float> y(size_t(m.rows * n));
    matmul(m.view(), x.data(), n, y.data(), pool);
    return y;
  };
  const auto a_engine = engine_y(a, 40), b_engine = engine_y(b, 3);
  const WeightView av = a.view(), bv = b.view();
  {
    const OnednnGemm reg({&av, &av}, OnednnType::bf16);  // a duplicate view is converted once
    CHECK(reg.bytes() >= uint64_t(300 * 128 * 2));  // bf16, in oneDNN's (padded) blocked layout
    CHECK(reg.bytes() < uint64_t(2 * 300 * 128 * 2));
    CHECK(onednn_registered(av));
    CHECK_FALSE(onednn_registered(bv));
    const OnednnMatrix direct(av, OnednnType::bf16);
    for (int64_t n : {3, 40}) {
      const auto want = run_matrix(direct, x, n, 2);
      const auto got = engine_y(a, n);
      CHECK(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)) == 0);
      // matmul_shared: the registered matrix via oneDNN, the other by the engine's kernel.
      std::vector<float> ya(size_t(300 * n)), yb(size_t(64 * n));
      const MatmulOut outs[] = {{&bv, yb.data()}, {&av, ya.data()}};
      matmul_shared(outs, 2, x.data(), n, pool);
      CHECK(std::memcmp(ya.data(), want.data(), want.size() * sizeof(float)) == 0);
      if (n == 3) CHECK(std::memcmp(yb.data(), b_engine.data(), yb.size() * sizeof(float)) == 0);
    }
    CHECK(std::memcmp(engine_y(a, 40).data(), a_engine.data(), a_engine.size() * sizeof(float)) != 0);
    CHECK_THROWS_WITH(OnednnGemm({&av}, OnednnType::bf16), Catch::Contains("registered twice"));
  }
  CHECK_FALSE(onednn_registered(av));
  const auto after = engine_y(a, 40);
  CHECK(std::memcmp(after.data(), a_engine.data(), a_engine.size() * sizeof(float)) == 0);
}

TEST_CASE("cpu-gemm names are parsed, unknown ones rejected naming the flag") {
  CHECK_FALSE(parse_cpu_gemm("engine", "--cpu-gemm").onednn);
  const CpuGemm g = parse_cpu_gemm("onednn", "--cpu-gemm");
  CHECK(g.onednn);
  CHECK(g.type == OnednnType::bf16);
  CHECK_THROWS_AS(parse_cpu_gemm("mkl", "--cpu-gemm"), Error);
  CHECK_THROWS_WITH(parse_cpu_gemm("mkl", "--cpu-gemm"), Catch::Contains("--cpu-gemm") && Catch::Contains("mkl"));
  const Mat bad{Type::f32, 0, 64, {}};
  CHECK_THROWS_WITH(OnednnMatrix(bad.view(), OnednnType::f32), Catch::Contains("0x64"));
}

TEST_CASE("oneDNN activations to bf16 have the bits of quant::f32_to_bf16") {
  // Random values of every magnitude, ties (low half exactly 0x8000, odd and even), NaNs,
  // infinities, denormals, values that round up to infinity; lengths not a multiple of 16.
  std::mt19937 rng(5);
  std::vector<float> x;
  for (int i = 0; i < 4000; ++i) {
    const uint32_t u = rng();
    float f;
    std::memcpy(&f, &u, 4);
    x.push_back(f);
  }
  for (uint32_t u : {0x3F808000u, 0x3F818000u, 0x7FC00001u, 0x7F800001u, 0xFFC00000u, 0x7F800000u, 0xFF800000u,
                     0x00000001u, 0x80008000u, 0x7F7FFFFFu, 0x7F7F8000u, 0x00000000u, 0x80000000u}) {
    float f;
    std::memcpy(&f, &u, 4);
    x.push_back(f);
  }
  for (size_t n : {x.size(), size_t(15), size_t(17)}) {
    std::vector<uint16_t> got(n);
    onednn_to_bf16(x.data(), got.data(), int64_t(n));
    size_t differ = 0;
    for (size_t i = 0; i < n; ++i) differ += got[i] != quant::f32_to_bf16(x[i]);
    CHECK(differ == 0);
  }
}
