// The AVX-512 VNNI GEMM path (n_tok >= 16) against the scalar canonical routine: bitwise
// equal for every token count (tiles of 16 plus a remainder) and thread count.
#include "engine/backend/cpu/gemm_vnni.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/matmul.h"
#include "engine/quant/quant.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

using namespace ys;
using namespace ys::cpu;
using quant::Type;

namespace {

std::vector<uint8_t> weights(Type t, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  std::vector<float> f(size_t(rows * cols));
  for (float& v : f) v = nd(rng);
  const size_t rb = quant::row_bytes(t, uint64_t(cols));
  std::vector<uint8_t> out(rb * size_t(rows));
  for (int64_t r = 0; r < rows; ++r) quant::quantize_row(t, f.data() + r * cols, out.data() + rb * size_t(r), cols);
  return out;
}

std::vector<float> acts(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = nd(rng);
  // a few extremes and exact zeros, so the +128 offset sees -127 and 127
  if (n > 64) x[3] = 50.0f, x[40] = -50.0f, x[9] = 0.0f;
  return x;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("VNNI GEMM is bitwise equal to the scalar routine for n_tok 1/7/16/17/32/512 and threads 1/2/3") {
  if (!cpu_supports(Isa::avx512)) {
    WARN("no AVX-512 VNNI on this CPU: the VNNI GEMM is not used here");
    return;
  }
  ThreadPool p1(1), p2(2), p3(3);
  for (Type t : {Type::q4_0, Type::q4_1, Type::q8_0, Type::q5_0, Type::q5_1}) {
    // 576 = 18 blocks (a partial group of 8), 96 = 3 blocks; 37 rows: chunks of 4 plus 1s.
    for (int64_t cols : {int64_t(576), int64_t(96)}) {
      const int64_t rows = 37;
      const auto w = weights(t, rows, cols, 11);
      const WeightView wv{t, w.data(), rows, cols};
      for (int64_t n_tok : {1, 7, 16, 17, 32, 512}) {
        const auto x = acts(n_tok * cols, uint32_t(n_tok));
        std::vector<float> ref(size_t(rows * n_tok), -1.0f);
        matmul_isa(Isa::scalar, wv, x.data(), n_tok, ref.data(), p1);
        for (ThreadPool* p : {&p1, &p2, &p3}) {
          std::vector<float> y(ref.size(), -2.0f);
          matmul_isa(Isa::avx512, wv, x.data(), n_tok, y.data(), *p);
          INFO(quant::name(t) << " cols " << cols << " n_tok " << n_tok << " threads " << p->size());
          CHECK(same_bits(y, ref));
        }
      }
    }
  }
}

TEST_CASE("a token's VNNI GEMM result does not depend on the other tokens of its tile") {
  if (!cpu_supports(Isa::avx512)) {
    WARN("no AVX-512 VNNI on this CPU");
    return;
  }
  ThreadPool pool(2);
  const int64_t rows = 64, cols = 256;
  const auto w = weights(Type::q4_1, rows, cols, 5);
  const WeightView wv{Type::q4_1, w.data(), rows, cols};
  auto x = acts(32 * cols, 3);
  std::vector<float> a(static_cast<size_t>(rows * 32)), b(a.size()), one(static_cast<size_t>(rows));
  matmul(wv, x.data(), 32, a.data(), pool);
  for (int64_t k = 0; k < cols; ++k) x[size_t(5 * cols + k)] *= -3.0f;  // change token 5 only
  matmul(wv, x.data(), 32, b.data(), pool);
  matmul(wv, x.data() + 20 * cols, 1, one.data(), pool);  // token 20 alone (GEMV path)
  for (int64_t t = 0; t < 32; ++t) {
    const bool equal = std::memcmp(&a[size_t(t * rows)], &b[size_t(t * rows)], size_t(rows) * 4) == 0;
    CHECK(equal == (t != 5));
  }
  CHECK(std::memcmp(&b[size_t(20 * rows)], one.data(), size_t(rows) * 4) == 0);
}
