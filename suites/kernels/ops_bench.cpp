// Attention, rmsnorm, rope, softmax and swiglu (engine/backend/cpu/ops.h) at model shapes,
// each checked against a naive double-precision loop before it is timed.
#include "engine/backend/cpu/ops.h"
#include "suites/kernels/kernel_bench.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <vector>

namespace ys::kernels {
namespace {

void fill(std::vector<float>& v, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 3;
  for (float& f : v) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    f = float(int32_t(s >> 32)) * (1.0f / 2147483648.0f);
  }
}

// Largest |got - want| / (tol_abs + tol_rel |want|) must stay <= 1.
std::string compare(const float* got, const std::vector<double>& want, double tol_abs, double tol_rel) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (!(std::fabs(double(got[i]) - want[i]) <= tol_abs + tol_rel * std::fabs(want[i])))
      return fmt::format("mismatch at {}: got {} want {}", i, got[i], want[i]);
  }
  return {};
}

using Counted = std::function<void()>;

// Registers one op benchmark: `check` runs once (empty string = ok), then `op` is timed.
void add(const std::string& name, KernelMeta meta, std::function<std::string()> check, Counted op) {
  register_meta(name, meta);
  benchmark::RegisterBenchmark(name.c_str(), [meta, check, op](benchmark::State& st) {
    if (const std::string err = check(); !err.empty()) {
      st.SkipWithError(err.c_str());
      return;
    }
    for (auto _ : st) {
      op();
      benchmark::ClobberMemory();
    }
    using C = benchmark::Counter;
    const double it = double(st.iterations());
    st.counters["bytes_per_second"] = C(meta.bytes * it, C::kIsRate, C::kIs1000);
    st.counters["flops"] = C(meta.flops * it, C::kIsRate, C::kIs1000);
    if (bench_peaks().triad_bytes_per_s > 0)
      st.counters["bw_frac"] = C(meta.bytes * it / bench_peaks().triad_bytes_per_s, C::kIsRate);
  })->UseRealTime()->Unit(benchmark::kMicrosecond);
}

struct AttnShape {
  const char* model;
  int n_head, n_kv, head_dim;
};

// Naive causal GQA attention of query t (all heads) in double.
std::vector<double> attn_ref(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                             int64_t t, int64_t pos0, const AttnShape& s) {
  const int hd = s.head_dim, group = s.n_head / s.n_kv;
  const int64_t kvs = int64_t(s.n_kv) * hd, n_pos = pos0 + t + 1;
  std::vector<double> out(static_cast<size_t>(s.n_head) * hd, 0.0);
  for (int h = 0; h < s.n_head; ++h) {
    const float* qh = &q[static_cast<size_t>(t * s.n_head * hd + h * hd)];
    const int64_t off = int64_t(h / group) * hd;
    std::vector<double> sc(static_cast<size_t>(n_pos));
    double mx = -1e300, sum = 0;
    for (int64_t p = 0; p < n_pos; ++p) {
      double d = 0;
      for (int i = 0; i < hd; ++i) d += double(qh[i]) * double(k[static_cast<size_t>(p * kvs + off + i)]);
      sc[static_cast<size_t>(p)] = d / std::sqrt(double(hd));
      mx = std::max(mx, sc[static_cast<size_t>(p)]);
    }
    for (double& x : sc) sum += (x = std::exp(x - mx));
    for (int64_t p = 0; p < n_pos; ++p)
      for (int i = 0; i < hd; ++i) out[static_cast<size_t>(h * hd + i)] += sc[static_cast<size_t>(p)] / sum * double(v[static_cast<size_t>(p * kvs + off + i)]);
  }
  return out;
}

void add_attention(const AttnShape& s, int64_t n_tok, int64_t pos0, const std::string& label) {
  const int64_t qd = int64_t(s.n_head) * s.head_dim, kvd = int64_t(s.n_kv) * s.head_dim, n_pos = pos0 + n_tok;
  auto q = std::make_shared<std::vector<float>>(static_cast<size_t>(n_tok * qd));
  auto k = std::make_shared<std::vector<float>>(static_cast<size_t>(n_pos * kvd));
  auto v = std::make_shared<std::vector<float>>(static_cast<size_t>(n_pos * kvd));
  auto out = std::make_shared<std::vector<float>>(static_cast<size_t>(n_tok * qd));
  KernelMeta m{"attention", "f32",
               fmt::format(R"({{"model":"{}","n_head":{},"n_kv_head":{},"head_dim":{},"n_tok":{},"pos0":{}}})", s.model,
                           s.n_head, s.n_kv, s.head_dim, n_tok, pos0),
               0, 0};
  double pairs = 0;
  for (int64_t t = 0; t < n_tok; ++t) pairs += double(pos0 + t + 1);
  m.bytes = 4.0 * 2 * double(n_pos * kvd);
  m.flops = 4.0 * pairs * double(qd);
  auto run = [=, &s] {
    attention(q->data(), k->data(), v->data(), n_tok, pos0, s.n_head, s.n_kv, s.head_dim, out->data(), bench_pool());
  };
  auto check = [=, &s]() -> std::string {
    fill(*q, 1), fill(*k, 2), fill(*v, 3);
    run();
    for (int64_t t : {int64_t(0), n_tok / 2, n_tok - 1}) {
      const std::string e = compare(out->data() + t * qd, attn_ref(*q, *k, *v, t, pos0, s), 1e-5, 1e-4);
      if (!e.empty()) return "attention token " + std::to_string(t) + ": " + e;
    }
    return {};
  };
  add(fmt::format("attn/{}/{}", s.model, label), m, check, run);
}

const AttnShape kSmolAttn{"smollm2-135m", 9, 3, 64};
const AttnShape kLlama1bAttn{"llama-3.2-1b", 32, 8, 64};

void add_rmsnorm(int64_t dim, int64_t n_tok) {
  auto x = std::make_shared<std::vector<float>>(static_cast<size_t>(dim * n_tok)), w = std::make_shared<std::vector<float>>(static_cast<size_t>(dim));
  auto y = std::make_shared<std::vector<float>>(static_cast<size_t>(dim * n_tok));
  KernelMeta m{"rmsnorm", "f32", fmt::format(R"({{"dim":{},"n_tok":{}}})", dim, n_tok), 4.0 * double(dim * n_tok),
               4.0 * double(dim * n_tok)};
  auto run = [=] { cpu::rmsnorm(x->data(), w->data(), n_tok, dim, 1e-5f, y->data()); };
  auto check = [=]() -> std::string {
    fill(*x, 4), fill(*w, 5);
    run();
    std::vector<double> want(x->size());
    for (int64_t t = 0; t < n_tok; ++t) {
      double ss = 0;
      for (int64_t i = 0; i < dim; ++i) ss += double((*x)[static_cast<size_t>(t * dim + i)]) * (*x)[static_cast<size_t>(t * dim + i)];
      const double sc = 1.0 / std::sqrt(ss / double(dim) + 1e-5);
      for (int64_t i = 0; i < dim; ++i) want[static_cast<size_t>(t * dim + i)] = (*x)[static_cast<size_t>(t * dim + i)] * sc * (*w)[static_cast<size_t>(i)];
    }
    return compare(y->data(), want, 1e-6, 1e-5);
  };
  add(fmt::format("rmsnorm/{}/t{}", dim, n_tok), m, check, run);
}

void add_rope(int n_head, int head_dim, int64_t n_tok) {
  const int64_t d = int64_t(n_head) * head_dim;
  auto x = std::make_shared<std::vector<float>>(static_cast<size_t>(d * n_tok)), x0 = std::make_shared<std::vector<float>>(static_cast<size_t>(d * n_tok));
  auto pos = std::make_shared<std::vector<int32_t>>(static_cast<size_t>(n_tok));
  for (int64_t t = 0; t < n_tok; ++t) (*pos)[static_cast<size_t>(t)] = int32_t(t * 7);
  cpu::RopeParams p;
  p.n_rot = head_dim;
  p.freq_base = 10000.0f;
  KernelMeta m{"rope", "f32", fmt::format(R"({{"n_head":{},"head_dim":{},"n_tok":{}}})", n_head, head_dim, n_tok),
               4.0 * double(d * n_tok), 6.0 * double(d * n_tok)};
  auto run = [=] { cpu::rope(x->data(), n_tok, n_head, head_dim, pos->data(), p); };
  auto check = [=]() -> std::string {
    fill(*x0, 6);
    *x = *x0;
    run();
    std::vector<double> want(x->size());
    for (int64_t t = 0; t < n_tok; ++t)
      for (int h = 0; h < n_head; ++h)
        for (int i = 0; i < head_dim / 2; ++i) {
          const size_t o = static_cast<size_t>(t * d + h * head_dim + 2 * i);
          const double th = double((*pos)[static_cast<size_t>(t)]) * std::pow(10000.0, -2.0 * i / head_dim);
          const double a = (*x0)[o], b = (*x0)[o + 1];
          want[o] = a * std::cos(th) - b * std::sin(th);
          want[o + 1] = a * std::sin(th) + b * std::cos(th);
        }
    return compare(x->data(), want, 1e-5, 1e-5);
  };
  add(fmt::format("rope/{}x{}/t{}", n_head, head_dim, n_tok), m, check, run);
}

void add_softmax(int64_t n) {
  auto x = std::make_shared<std::vector<float>>(static_cast<size_t>(n)), x0 = std::make_shared<std::vector<float>>(static_cast<size_t>(n));
  KernelMeta m{"softmax", "f32", fmt::format(R"({{"n":{}}})", n), 4.0 * double(n), 3.0 * double(n)};
  auto run = [=] {
    std::copy(x0->begin(), x0->end(), x->begin());
    cpu::softmax(x->data(), n);
  };
  auto check = [=]() -> std::string {
    fill(*x0, 7);
    for (float& f : *x0) f *= 10.0f;
    run();
    double mx = -1e300, sum = 0;
    for (float f : *x0) mx = std::max(mx, double(f));
    for (float f : *x0) sum += std::exp(double(f) - mx);
    std::vector<double> want(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) want[static_cast<size_t>(i)] = std::exp(double((*x0)[static_cast<size_t>(i)]) - mx) / sum;
    return compare(x->data(), want, 1e-9, 1e-5);
  };
  add(fmt::format("softmax/{}", n), m, check, run);
}

void add_swiglu(int64_t n) {
  auto g = std::make_shared<std::vector<float>>(static_cast<size_t>(n)), u = std::make_shared<std::vector<float>>(static_cast<size_t>(n));
  auto o = std::make_shared<std::vector<float>>(static_cast<size_t>(n));
  KernelMeta m{"swiglu", "f32", fmt::format(R"({{"n":{}}})", n), 12.0 * double(n), 5.0 * double(n)};
  auto run = [=] { cpu::silu_mul(g->data(), u->data(), o->data(), n); };
  auto check = [=]() -> std::string {
    fill(*g, 8), fill(*u, 9);
    for (float& f : *g) f *= 8.0f;
    run();
    std::vector<double> want(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const double gg = (*g)[static_cast<size_t>(i)];
      want[static_cast<size_t>(i)] = gg / (1.0 + std::exp(-gg)) * (*u)[static_cast<size_t>(i)];
    }
    return compare(o->data(), want, 1e-6, 1e-5);
  };
  add(fmt::format("swiglu/{}", n), m, check, run);
}

}  // namespace

void register_op_benchmarks(const BenchConfig&) {
  for (const AttnShape* s : {&kSmolAttn, &kLlama1bAttn}) {
    add_attention(*s, 1, 511, "decode512");
    add_attention(*s, 1, 4095, "decode4096");
    add_attention(*s, 512, 0, "prefill512");
  }
  for (int64_t dim : {576, 2048})
    for (int64_t t : {1, 512}) add_rmsnorm(dim, t);
  add_rope(9, 64, 1), add_rope(9, 64, 512), add_rope(32, 64, 512);
  add_softmax(49152), add_softmax(128256);
  add_swiglu(1536), add_swiglu(1536 * 512), add_swiglu(8192 * 16);
}

}  // namespace ys::kernels
