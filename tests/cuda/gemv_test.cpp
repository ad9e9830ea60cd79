// Weight kernels against CPU references: GEMV (every type), the cuBLAS GEMM path, the
// deterministic matmul, MoE-indexed GEMV, f16 dequantization and the embedding gather.
//
// Tolerances (relative to S = sum_k |w_k x_k|, the scale of rounding error):
//  * GEMV: f32 accumulation of dequantized weights in chains of cols/32 terms plus a
//    32-lane tree; bound ~ (cols/32 + 5) * 2^-24 * S = 1.3e-6 S at cols 512. Asserted
//    1e-5 S + 1e-6 (a wrong nibble, scale or block index gives errors of order S).
//  * GEMM (n_tok > 8): weights and activations rounded to f16 (2^-11 relative each), f32
//    accumulation: |err| <= ~1e-3 S. Asserted 2e-3 S + 1e-5.
//  * f16 dequantization: within one f16 ulp of f32_to_f16(dequantize_row) (the device may
//    fuse d*q + m); embedding rows within 1e-6 relative of dequantize_row.
#include "engine/backend/cuda/device.h"
#include "engine/backend/cuda/kernels.h"
#include "engine/quant/blocks.h"
#include "engine/quant/quant.h"
#include "engine/quant/reference.h"
#include "tests/cuda/helpers.h"
#include "tests/cuda/skip.h"

#include <cstring>

using namespace ys;
using quant::Type;

namespace {

const std::vector<Type> kTypes = {Type::f32,  Type::f16,  Type::bf16, Type::q8_0, Type::q4_0,
                                  Type::q4_1, Type::q4_k, Type::q5_k, Type::q6_k};

struct HostMat {
  Type type;
  int64_t rows, cols, n_mat;
  std::vector<uint8_t> bytes;
  uint64_t mat_bytes() const { return quant::row_bytes(type, uint64_t(cols)) * uint64_t(rows); }
  const uint8_t* row(int64_t e, int64_t r) const {
    return bytes.data() + uint64_t(e) * mat_bytes() + uint64_t(r) * quant::row_bytes(type, uint64_t(cols));
  }
};

HostMat make_mat(Type t, int64_t rows, int64_t cols, int64_t n_mat, uint64_t seed) {
  HostMat m{t, rows, cols, n_mat, {}};
  m.bytes.resize(m.mat_bytes() * uint64_t(n_mat));
  const std::vector<float> w = test::randn(size_t(rows * cols * n_mat), seed, 0.5f);
  for (int64_t i = 0; i < rows * n_mat; ++i)
    quant::quantize_row(t, &w[size_t(i * cols)], m.bytes.data() + uint64_t(i) * quant::row_bytes(t, uint64_t(cols)),
                        cols);
  return m;
}

cuda::DevMat on_device(const HostMat& m, cuda::Buffer& store) {
  store = cuda::upload(m.bytes);
  return {m.type, store.data(), m.rows, m.cols, m.n_mat, m.mat_bytes()};
}

// Reference y[b*rows + r] = W_{ids[b]}[r] . x[b / x_div] in fp64, and its scale S.
void reference(const HostMat& m, const std::vector<float>& x, int64_t x_div, const std::vector<int32_t>& ids,
               std::vector<double>& y, std::vector<double>& s) {
  const int64_t nb = int64_t(ids.size());
  y.assign(size_t(nb * m.rows), 0.0);
  s.assign(size_t(nb * m.rows), 0.0);
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t r = 0; r < m.rows; ++r) {
      const float* xr = &x[size_t(b / x_div * m.cols)];
      y[size_t(b * m.rows + r)] = quant::dot_f64(m.type, m.row(ids[size_t(b)], r), xr, m.cols);
      s[size_t(b * m.rows + r)] = quant::abs_dot_f64(m.type, m.row(ids[size_t(b)], r), xr, m.cols);
    }
}

}  // namespace

TEST_CASE("gemv matches the fp64 reference on dequantized weights, every type and batch 1..8") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t rows = 37, cols = 512;
  for (Type t : kTypes)
    for (int64_t n_tok : {1, 2, 3, 8}) {
      INFO("type " << quant::name(t) << ", n_tok " << n_tok);
      const HostMat m = make_mat(t, rows, cols, 1, 11 + uint64_t(t));
      cuda::Buffer wd;
      const cuda::DevMat dm = on_device(m, wd);
      const std::vector<float> x = test::randn(size_t(n_tok * cols), 5 + uint64_t(n_tok));
      cuda::Buffer xd = cuda::upload(x), yd = test::poisoned(size_t(n_tok * rows) * 4);
      cuda::gemv(dm, xd.as<float>(), 1, n_tok, nullptr, yd.as<float>());
      const std::vector<float> y = cuda::download<float>(yd.data(), size_t(n_tok * rows));
      std::vector<double> ref, s;
      reference(m, x, 1, std::vector<int32_t>(size_t(n_tok), 0), ref, s);
      CHECK(test::worst_ratio(y, ref, s, 1e-5, 1e-6) <= 1.0);
    }
}

TEST_CASE("matmul through cuBLAS (n_tok > 8) stays within the f16 tolerance, every type") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t rows = 96, cols = 256, n_tok = 20;
  REQUIRE(n_tok > cuda::gemv_max_tokens());
  for (Type t : kTypes) {
    INFO("type " << quant::name(t));
    const HostMat m = make_mat(t, rows, cols, 1, 21 + uint64_t(t));
    cuda::Buffer wd;
    const cuda::DevMat dm = on_device(m, wd);
    const std::vector<float> x = test::randn(size_t(n_tok * cols), 6);
    cuda::Buffer xd = cuda::upload(x), yd = test::poisoned(size_t(n_tok * rows) * 4);
    cuda::Buffer sw(size_t(rows * cols) * 2), sx(size_t(n_tok * cols) * 2);
    cuda::matmul(dm, xd.as<float>(), n_tok, yd.as<float>(), sw.as<uint16_t>(), sx.as<uint16_t>());
    const std::vector<float> y = cuda::download<float>(yd.data(), size_t(n_tok * rows));
    std::vector<double> ref, s;
    reference(m, x, 1, std::vector<int32_t>(size_t(n_tok), 0), ref, s);
    CHECK(test::worst_ratio(y, ref, s, 2e-3, 1e-5) <= 1.0);
  }
}

// --deterministic (issue 9): the GEMV tolerance for any n_tok, and each row the same bits
// whether it is computed alone, in a group of 7 or among 20 rows (three launch groups).
TEST_CASE("matmul_deterministic matches the reference and gives a row the same bits for any n_tok") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t rows = 37, cols = 512, n_tok = 20;
  for (Type t : kTypes) {
    INFO("type " << quant::name(t));
    const HostMat m = make_mat(t, rows, cols, 1, 61 + uint64_t(t));
    cuda::Buffer wd;
    const cuda::DevMat dm = on_device(m, wd);
    const std::vector<float> x = test::randn(size_t(n_tok * cols), 8);
    cuda::Buffer xd = cuda::upload(x);
    auto run = [&](int64_t first, int64_t n) {
      cuda::Buffer yd = test::poisoned(size_t(n * rows) * 4);
      cuda::matmul_deterministic(dm, xd.as<float>() + first * cols, n, yd.as<float>());
      return cuda::download<float>(yd.data(), size_t(n * rows));
    };
    const std::vector<float> all = run(0, n_tok), seven = run(5, 7);
    std::vector<double> ref, s;
    reference(m, x, 1, std::vector<int32_t>(size_t(n_tok), 0), ref, s);
    CHECK(test::worst_ratio(all, ref, s, 1e-5, 1e-6) <= 1.0);
    int differ = 0;
    for (int64_t tok = 0; tok < n_tok; ++tok) {
      const std::vector<float> alone = run(tok, 1);
      differ += std::memcmp(alone.data(), &all[size_t(tok * rows)], size_t(rows) * 4) != 0;
      if (tok >= 5 && tok < 12) differ += std::memcmp(alone.data(), &seven[size_t((tok - 5) * rows)], size_t(rows) * 4) != 0;
    }
    CHECK(differ == 0);
  }
}

TEST_CASE("gemv with expert ids (MoE) picks the right matrix and input row") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t rows = 40, cols = 256, n_exp = 4, n_tok = 3, k = 2;
  for (Type t : {Type::q4_0, Type::q4_k, Type::f16}) {
    INFO("type " << quant::name(t));
    const HostMat m = make_mat(t, rows, cols, n_exp, 31 + uint64_t(t));
    cuda::Buffer wd;
    const cuda::DevMat dm = on_device(m, wd);
    const std::vector<float> x = test::randn(size_t(n_tok * cols), 7);
    const std::vector<int32_t> ids = {3, 0, 1, 3, 2, 1};  // [n_tok, k]
    cuda::Buffer xd = cuda::upload(x), idd = cuda::upload(ids), yd = test::poisoned(size_t(n_tok * k * rows) * 4);
    cuda::gemv(dm, xd.as<float>(), k, n_tok * k, idd.as<int32_t>(), yd.as<float>());
    const std::vector<float> y = cuda::download<float>(yd.data(), size_t(n_tok * k * rows));
    std::vector<double> ref, s;
    reference(m, x, k, ids, ref, s);
    CHECK(test::worst_ratio(y, ref, s, 1e-5, 1e-6) <= 1.0);
  }
}

TEST_CASE("f16 dequantization and the embedding gather match dequantize_row") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t rows = 9, cols = 512;
  for (Type t : kTypes) {
    INFO("type " << quant::name(t));
    const HostMat m = make_mat(t, rows, cols, 1, 41 + uint64_t(t));
    cuda::Buffer wd;
    const cuda::DevMat dm = on_device(m, wd);
    std::vector<float> ref(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r) quant::dequantize_row(t, m.row(0, r), &ref[size_t(r * cols)], cols);
    cuda::Buffer hd = test::poisoned(size_t(rows * cols) * 2);
    cuda::dequant_f16(dm, 0, hd.as<uint16_t>());
    const std::vector<uint16_t> h = cuda::download<uint16_t>(hd.data(), size_t(rows * cols));
    int bad = 0;
    for (size_t i = 0; i < h.size(); ++i) {
      const float want = quant::f16_to_f32(quant::f32_to_f16(ref[i]));
      if (!(std::fabs(quant::f16_to_f32(h[i]) - want) <= std::ldexp(std::fabs(want), -10) + 1e-7f)) ++bad;
    }
    CHECK(bad == 0);
    const std::vector<int32_t> toks = {4, 0, 8, 4};
    cuda::Buffer td = cuda::upload(toks), xd = test::poisoned(toks.size() * size_t(cols) * 4), badd(4);
    cuda::fill_bytes(badd.data(), 0, 4);
    cuda::embed(dm, td.as<int32_t>(), int64_t(toks.size()), xd.as<float>(), badd.as<int32_t>());
    const std::vector<float> x = cuda::download<float>(xd.data(), toks.size() * size_t(cols));
    bad = 0;
    for (size_t i = 0; i < toks.size(); ++i)
      for (int64_t c = 0; c < cols; ++c) {
        const float want = ref[size_t(toks[i] * cols + c)];
        if (!(std::fabs(x[i * size_t(cols) + size_t(c)] - want) <= 1e-6f * std::fabs(want) + 1e-9f)) ++bad;
      }
    CHECK(bad == 0);
    CHECK(cuda::download<int32_t>(badd.data(), 1)[0] == 0);
  }
}

// Runs without a GPU: the kernels' block decoding (quant_units.cuh, compiled for the host)
// against quant::dequantize_row, bit for bit up to one float rounding (the device may fuse
// d*q + m into one FMA; on the host nvcc's host compiler does not).
TEST_CASE("the kernels' unit decoding matches dequantize_row for every type (host run, no GPU needed)") {
  const int64_t cols = 768;
  for (Type t : kTypes) {
    INFO("type " << quant::name(t));
    const HostMat m = make_mat(t, 3, cols, 1, 51 + uint64_t(t));
    for (int64_t r = 0; r < 3; ++r) {
      std::vector<float> ref(static_cast<size_t>(cols), 0.0f);
      quant::dequantize_row(t, m.row(0, r), ref.data(), cols);
      int bad = 0;
      for (int64_t u = 0; u < cols / 32; ++u) {
        float v[32];
        REQUIRE(cuda::host_dequant_unit(t, m.row(0, r), u, v));
        for (int i = 0; i < 32; ++i) {
          const float want = ref[size_t(u * 32 + i)];
          if (!(std::fabs(v[i] - want) <= 1e-6f * std::fabs(want))) ++bad;
        }
      }
      CHECK(bad == 0);
    }
  }
  float v[32];
  CHECK_FALSE(cuda::host_dequant_unit(Type::q2_k, nullptr, 0, v));
}
