// matmul: every ISA variant against the fp64 reference (stated bounds), bitwise agreement
// between variants, and bitwise invariance under batching and thread count.
#include "common/error.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/matmul.h"
#include "engine/quant/quant.h"
#include "engine/quant/reference.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <random>
#include <vector>

using namespace ys;
using namespace ys::cpu;
using quant::Type;

namespace {

const Type kTypes[] = {Type::f32,  Type::f16,  Type::bf16, Type::q8_0, Type::q4_0, Type::q4_1,
                       Type::q5_0, Type::q5_1, Type::q4_k, Type::q5_k, Type::q6_k};

struct Mat {
  Type type;
  int64_t rows, cols;
  std::vector<uint8_t> data;
  WeightView view() const { return {type, data.data(), rows, cols}; }
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
  Mat m{t, rows, cols, std::vector<uint8_t>(quant::row_bytes(t, cols) * rows)};
  const size_t rb = quant::row_bytes(t, cols);
  for (int64_t r = 0; r < rows; ++r) quant::quantize_row(t, f.data() + r * cols, m.data.data() + rb * r, cols);
  return m;
}

std::vector<float> run(Isa isa, const Mat& m, const std::vector<float>& x, int64_t n_tok, ThreadPool& pool) {
  std::vector<float> y(static_cast<size_t>(m.rows * n_tok), -1.0f);
  matmul_isa(isa, m.view(), x.data(), n_tok, y.data(), pool);
  return y;
}

std::vector<Isa> available_isas() {
  std::vector<Isa> v;
  for (Isa i : {Isa::scalar, Isa::avx2, Isa::avx512})
    if (cpu_supports(i)) v.push_back(i);
  return v;
}

int64_t cols_for(Type t, bool ragged) {
  const int64_t bs = quant::traits(t).block_size;
  if (bs == 256) return ragged ? 768 : 512;
  if (bs == 32) return ragged ? 352 : 512;  // 11 blocks: not a multiple of 8
  return ragged ? 83 : 512;
}

// |y - ref| bound. 8-bit activations: each x_k moves by at most half its block's step
// (amax_block / 127 / 2), so the dot moves by at most sum_k |w_k| * step_k / 2; float
// accumulation adds a relative 2e-5 of sum |w_k x_k| (measured worst ~1e-6).
double bound(Type t, const Mat& m, int64_t r, const float* x) {
  const int64_t cols = m.cols;
  const void* row = m.data.data() + quant::row_bytes(t, cols) * r;
  const double absdot = quant::abs_dot_f64(t, row, x, cols);
  const int64_t bs = quant::traits(t).block_size;
  // f32 weights: rigorous bound of 16-lane fma accumulation, gamma_(cols/16 + 4) * sum |w x|
  if (bs == 1) return (static_cast<double>(cols) / 16.0 + 4.0) * std::ldexp(1.0, -24) * absdot + 1e-30;
  std::vector<float> w(static_cast<size_t>(cols));
  quant::dequantize_row(t, row, w.data(), cols);
  double b = 0.0;
  for (int64_t k0 = 0; k0 < cols; k0 += bs) {
    double amax = 0.0, wsum = 0.0;
    for (int64_t k = k0; k < k0 + bs; ++k) {
      amax = std::max(amax, std::fabs(static_cast<double>(x[k])));
      wsum += std::fabs(static_cast<double>(w[k]));
    }
    b += wsum * amax / 127.0 * 0.5 * 1.001;
  }
  return b + 2e-5 * absdot;
}

}  // namespace

TEST_CASE("matmul of every variant stays within the stated bound of the fp64 reference") {
  ThreadPool pool(2);
  for (Type t : kTypes) {
    for (bool ragged : {false, true}) {
      const int64_t rows = 37, cols = cols_for(t, ragged), n_tok = 5;
      const Mat m = make_weights(t, rows, cols, 11);
      const auto x = randn(static_cast<size_t>(cols * n_tok), 12);
      const auto ref = quant::matmul_f64(t, m.data.data(), rows, cols, x.data(), n_tok);
      for (Isa isa : available_isas()) {
        INFO(quant::name(t) << " cols " << cols << " isa " << isa_label(isa));
        const auto y = run(isa, m, x, n_tok, pool);
        double worst = 0.0;
        for (int64_t tk = 0; tk < n_tok; ++tk)
          for (int64_t r = 0; r < rows; ++r) {
            const double err = std::fabs(y[tk * rows + r] - ref[tk * rows + r]);
            const double lim = bound(t, m, r, x.data() + tk * cols);
            worst = std::max(worst, err / lim);
            REQUIRE(err <= lim);
          }
        CHECK(worst > 0.0);  // the bound is not vacuous: quantized paths do differ from fp64
      }
    }
  }
}

TEST_CASE("with exactly representable activations the quantized paths are exact up to float rounding") {
  // x = integer * 2^-6 with one element of +-127 * 2^-6 per block (and per 256): the 8-bit
  // activation quantization is lossless, so only the per-block float steps round. Each
  // block term is bounded by 3 max|w| sum|x| over the block; 16 blocks -> (16/8 + 6) ulp.
  ThreadPool pool(2);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> ud(-127, 127);
  const int64_t rows = 19, cols = 512;
  std::vector<float> x(cols);
  for (int64_t k = 0; k < cols; ++k) x[k] = static_cast<float>(k % 32 == 5 ? ((k / 32) % 2 ? 127 : -127) : ud(rng)) / 64.0f;
  for (Type t : kTypes) {
    const Mat m = make_weights(t, rows, cols, 41);
    const auto ref = quant::matmul_f64(t, m.data.data(), rows, cols, x.data(), 1);
    double sum_abs_x = 0.0;
    for (float v : x) sum_abs_x += std::fabs(v);
    for (Isa isa : available_isas()) {
      INFO(quant::name(t) << " isa " << isa_label(isa));
      const auto y = run(isa, m, x, 1, pool);
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<float> w(cols);
        quant::dequantize_row(t, m.data.data() + quant::row_bytes(t, cols) * r, w.data(), cols);
        double wmax = 0.0;
        for (float v : w) wmax = std::max(wmax, std::fabs(static_cast<double>(v)));
        REQUIRE(std::fabs(y[r] - ref[r]) <= 3.0 * wmax * sum_abs_x * 8.0 * std::ldexp(1.0, -24) + 1e-30);
      }
    }
  }
}

TEST_CASE("every ISA variant reproduces the scalar routine bit for bit") {
  ThreadPool pool(2);
  for (Type t : kTypes) {
    for (bool ragged : {false, true}) {
      const int64_t rows = 29, cols = cols_for(t, ragged), n_tok = 9;
      const Mat m = make_weights(t, rows, cols, 21);
      const auto x = randn(static_cast<size_t>(cols * n_tok), 22);
      const auto base = run(Isa::scalar, m, x, n_tok, pool);
      for (Isa isa : available_isas()) {
        INFO(quant::name(t) << " cols " << cols << " isa " << isa_label(isa));
        const auto y = run(isa, m, x, n_tok, pool);
        REQUIRE(std::memcmp(y.data(), base.data(), y.size() * sizeof(float)) == 0);
      }
    }
  }
}

TEST_CASE("results are bitwise independent of batch size and thread count") {
  ThreadPool p1(1), p2(2), p3(3);
  ThreadPool* pools[] = {&p1, &p2, &p3};
  for (Type t : kTypes) {
    const int64_t rows = 45, cols = cols_for(t, true), n_tok = 32;
    const Mat m = make_weights(t, rows, cols, 31);
    const auto x = randn(static_cast<size_t>(cols * n_tok), 32, 2.0f);
    for (Isa isa : available_isas()) {
      INFO(quant::name(t) << " isa " << isa_label(isa));
      const auto full = run(isa, m, x, n_tok, p1);
      for (ThreadPool* p : pools) {
        REQUIRE(run(isa, m, x, n_tok, *p) == full);
        for (int64_t chunk : {1, 7}) {
          for (int64_t t0 = 0; t0 < n_tok; t0 += chunk) {
            const int64_t n = std::min(chunk, n_tok - t0);
            std::vector<float> xs(x.begin() + t0 * cols, x.begin() + (t0 + n) * cols);
            const auto part = run(isa, m, xs, n, *p);
            REQUIRE(std::memcmp(part.data(), full.data() + t0 * rows, part.size() * sizeof(float)) == 0);
          }
        }
      }
    }
  }
}

TEST_CASE("matmul rejects unsupported types and bad shapes") {
  ThreadPool pool(1);
  std::vector<uint8_t> w(4096);
  std::vector<float> x(512), y(64);
  CHECK_THROWS_AS(matmul({Type::q2_k, w.data(), 1, 256}, x.data(), 1, y.data(), pool), ys::Error);
  CHECK_THROWS_AS(matmul({Type::q4_0, w.data(), 1, 48}, x.data(), 1, y.data(), pool), ys::Error);
  CHECK_FALSE(matmul_supports(Type::q2_k));
  CHECK(matmul_supports(Type::q5_0));
  CHECK(matmul_supports(Type::q4_1));
  CHECK_FALSE(isa_name().empty());
}

TEST_CASE("isa_name honours YS_ISA") {
  const char* env = std::getenv("YS_ISA");
  const std::string name = isa_name();
  if (env == nullptr) {
    CHECK(name == isa_label(selected_isa()));
    return;
  }
  const std::string want = env;
  if (want == "scalar") CHECK(name == "scalar");
  if (want == "avx2") CHECK(name == (cpu_supports(Isa::avx2) ? "avx2" : "scalar"));
  if (want == "avx512") CHECK(name == isa_label(selected_isa()));
}
