// matmul with f32 activations against quantized weights (WeightView::act = f32): the bits of
// the f32 routine on the dequantized rows, for every ISA variant, token count (the
// in-register path for few tokens and the panel path for many), thread count and row split;
// and within the f32 accumulation bound of an fp64 dot.
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/matmul.h"
#include "engine/quant/quant.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace ys;
using namespace ys::cpu;
using quant::Type;

namespace {

const Type kQuantTypes[] = {Type::q8_0, Type::q4_0, Type::q4_1, Type::q5_0, Type::q5_1, Type::q4_k, Type::q5_k, Type::q6_k};

std::vector<float> randn(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = nd(rng);
  return v;
}

struct Pair {
  std::vector<uint8_t> q;  // quantized rows
  std::vector<float> f;    // the same rows dequantized
};

Pair make(Type t, int64_t rows, int64_t cols, uint32_t seed) {
  const auto src = randn(size_t(rows * cols), seed, 0.5f);
  const size_t rb = quant::row_bytes(t, uint64_t(cols));
  Pair p{std::vector<uint8_t>(rb * size_t(rows)), std::vector<float>(size_t(rows * cols))};
  for (int64_t r = 0; r < rows; ++r) {
    quant::quantize_row(t, src.data() + r * cols, p.q.data() + rb * size_t(r), cols);
    quant::dequantize_row(t, p.q.data() + rb * size_t(r), p.f.data() + r * cols, cols);
  }
  return p;
}

std::vector<float> mm(Isa isa, const WeightView& w, const std::vector<float>& x, int64_t n_tok, ThreadPool& pool) {
  std::vector<float> y(size_t(w.rows * n_tok), -7.0f);
  matmul_isa(isa, w, x.data(), n_tok, y.data(), pool);
  return y;
}

std::vector<Isa> isas() {
  std::vector<Isa> v;
  for (Isa i : {Isa::scalar, Isa::avx2, Isa::avx512})
    if (cpu_supports(i)) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("f32 activations on quantized weights equal the f32 routine on the dequantized rows, bit for bit") {
  ThreadPool p1(1), p2(2);
  for (Type t : kQuantTypes) {
    const int64_t bs = quant::traits(t).block_size;
    const int64_t cols = bs == 256 ? 768 : 352, rows = 45;  // rows: not a multiple of the 4-row blocks
    const Pair p = make(t, rows, cols, 11);
    const WeightView wq{t, p.q.data(), rows, cols, ActPrecision::f32};
    const WeightView wf{Type::f32, p.f.data(), rows, cols};
    for (int64_t n_tok : {1, 2, 3, 5, 8, 9, 13, 40}) {
      const auto x = randn(size_t(cols * n_tok), uint32_t(100 + n_tok), 1.5f);
      const auto ref = mm(Isa::scalar, wf, x, n_tok, p1);
      for (Isa isa : isas()) {
        for (ThreadPool* pool : {&p1, &p2}) {
          INFO(quant::name(t) << " n_tok " << n_tok << " isa " << isa_label(isa) << " threads " << pool->size());
          const auto y = mm(isa, wq, x, n_tok, *pool);
          REQUIRE(std::memcmp(y.data(), ref.data(), y.size() * sizeof(float)) == 0);
        }
      }
    }
  }
}

TEST_CASE("f32 activations: token t's row does not depend on the other tokens of the batch") {
  ThreadPool pool(2);
  for (Type t : {Type::q4_1, Type::q8_0, Type::q6_k}) {
    const int64_t cols = quant::traits(t).block_size == 256 ? 512 : 576, rows = 37, n_tok = 23;
    const Pair p = make(t, rows, cols, 5);
    const WeightView wq{t, p.q.data(), rows, cols, ActPrecision::f32};
    const auto x = randn(size_t(cols * n_tok), 6, 1.0f);
    for (Isa isa : isas()) {
      const auto full = mm(isa, wq, x, n_tok, pool);
      for (int64_t t0 = 0; t0 < n_tok; ++t0) {
        const std::vector<float> one(x.begin() + t0 * cols, x.begin() + (t0 + 1) * cols);
        const auto y = mm(isa, wq, one, 1, pool);
        INFO(quant::name(t) << " isa " << isa_label(isa) << " token " << t0);
        REQUIRE(std::memcmp(y.data(), full.data() + t0 * rows, size_t(rows) * sizeof(float)) == 0);
      }
    }
  }
}

TEST_CASE("f32 activations stay within the f32 accumulation bound of an fp64 dot on the dequantized weights") {
  ThreadPool pool(2);
  for (Type t : kQuantTypes) {
    const int64_t cols = 1536, rows = 20, n_tok = 11;
    const Pair p = make(t, rows, cols, 9);
    const WeightView wq{t, p.q.data(), rows, cols, ActPrecision::f32};
    const auto x = randn(size_t(cols * n_tok), 10, 1.0f);
    const auto y = mm(selected_isa(), wq, x, n_tok, pool);
    double worst = 0;
    for (int64_t tok = 0; tok < n_tok; ++tok) {
      for (int64_t r = 0; r < rows; ++r) {
        double ref = 0, mag = 0;
        for (int64_t k = 0; k < cols; ++k) {
          const double a = double(p.f[size_t(r * cols + k)]) * double(x[size_t(tok * cols + k)]);
          ref += a;
          mag += std::fabs(a);
        }
        // fma accumulation over cols/16 terms per lane, then 4 levels of adds.
        const double bound = double(cols / 16 + 4) * std::ldexp(1.0, -24) * mag;
        const double err = std::fabs(double(y[size_t(tok * rows + r)]) - ref);
        worst = std::max(worst, err / mag);
        INFO(quant::name(t) << " token " << tok << " row " << r);
        REQUIRE(err <= bound);
      }
    }
    INFO(quant::name(t) << " worst relative error " << worst);
    CHECK(worst < 1e-6);
  }
}

TEST_CASE("activation precision names") {
  CHECK(parse_act_precision("f32", "--activations") == ActPrecision::f32);
  CHECK(parse_act_precision("int8", "--activations") == ActPrecision::int8);
  CHECK_THROWS_WITH(parse_act_precision("int4", "--activations"), Catch::Contains("--activations") &&
                                                                      Catch::Contains("int8 or f32"));
  CHECK(std::string(act_precision_name(ActPrecision::f32)) == "f32");
}
