// The CUDA kernels added for Qwen3, Gemma 3 and Llama 4 against the CPU backend's operations,
// and the CUDA model against the CPU model on synthetic models of those architectures.
//
// Tolerances (first GPU run owed; tools/gpu-check.sh): GeGLU and soft-cap are the same
// double-precision formulas on both sides (tanh of the device vs the host libm: 1e-6
// relative); scale and the position temperature are one float product: exact. Attention
// with windows, chunks and soft-caps: as the causal kernel in ops_test.cpp (online softmax in
// another order), 2e-5 absolute for O(1) values. MoE gates: expf vs std::exp, 1e-6. Whole
// models: as model_test.cpp (float weights max |dlogprob| 0.05, mean 0.01, argmax 1.0;
// quantized 0.5 / 0.1 / 0.9).
#include "engine/backend/cpu/attention.h"
#include "engine/backend/cpu/cpu_model.h"
#include "engine/backend/cpu/ops.h"
#include "engine/backend/cpu/thread_pool.h"
#include "engine/backend/cuda/cuda_model.h"
#include "engine/backend/cuda/kernels.h"
#include "engine/model/synth.h"
#include "tests/cuda/helpers.h"
#include "tests/cuda/skip.h"

#include <algorithm>
#include <numeric>

using namespace ys;
using engine::SynthSpec;
using quant::Type;

TEST_CASE("GeGLU, scale, soft-cap and the position temperature match the CPU ops") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t n = 4096;
  const std::vector<float> g = test::randn(size_t(n), 41, 3.0f), u = test::randn(size_t(n), 42);
  std::vector<float> ref(static_cast<size_t>(n));
  cpu::gelu_mul(g.data(), u.data(), ref.data(), n);
  cuda::Buffer gd = cuda::upload(g), ud = cuda::upload(u), od = test::poisoned(size_t(n) * 4);
  cuda::gelu_mul(gd.as<float>(), ud.as<float>(), od.as<float>(), n);
  CHECK(test::max_rel(cuda::download<float>(od.data(), size_t(n)), ref) <= 1e-6);

  std::vector<float> c = test::randn(size_t(n), 43, 60.0f), c_ref = c;
  cpu::softcap_inplace(c_ref.data(), n, 30.0f);
  cuda::Buffer cd = cuda::upload(c);
  cuda::softcap(cd.as<float>(), n, 30.0f);
  CHECK(test::max_rel(cuda::download<float>(cd.data(), size_t(n)), c_ref) <= 1e-6);

  std::vector<float> s_ref = c;
  cpu::scale_inplace(s_ref.data(), n, 25.3f);
  cuda::Buffer sd = cuda::upload(c);
  cuda::scale(sd.as<float>(), n, 25.3f);
  CHECK(cuda::download<float>(sd.data(), size_t(n)) == s_ref);

  const int64_t rows = 4, cols = 64;
  const std::vector<int32_t> pos = {0, 8190, 8191, 40000};
  const std::vector<float> x = test::randn(size_t(rows * cols), 44);
  std::vector<float> x_ref = x;
  for (int64_t t = 0; t < rows; ++t)
    cpu::scale_inplace(&x_ref[size_t(t * cols)], cols, cpu::position_scale(pos[size_t(t)], 8192.0f, 0.1f, 1.0f));
  cuda::Buffer xd = cuda::upload(x), pd = cuda::upload(pos);
  cuda::scale_by_position(xd.as<float>(), rows, cols, pd.as<int32_t>(), 8192.0f, 0.1f, 1.0f);
  CHECK(test::max_rel(cuda::download<float>(xd.data(), x.size()), x_ref) <= 1e-7);
}

TEST_CASE("attention with sliding windows, chunks and soft-caps matches the CPU (both CUDA versions)") {
  YS_REQUIRE_CUDA_OR_SKIP();
  cpu::ThreadPool pool(1);
  struct Case {
    int64_t n_tok, pos0;
    int n_head, n_kv, hd;
    int64_t window, chunk;
    float softcap;
  };
  for (const Case c :
       {Case{5, 40, 4, 2, 64, 7, 0, 0.0f}, Case{20, 0, 4, 1, 256, 16, 0, 0.0f}, Case{3, 100, 8, 2, 128, 0, 32, 0.0f},
        Case{33, 5, 2, 1, 64, 0, 8, 0.0f}, Case{4, 60, 4, 4, 64, 0, 0, 3.0f}, Case{1, 9000, 2, 1, 64, 0, 8192, 0.0f}}) {
    INFO("n_tok " << c.n_tok << " pos0 " << c.pos0 << " window " << c.window << " chunk " << c.chunk << " softcap "
                  << c.softcap);
    const int64_t n_pos = c.pos0 + c.n_tok, qd = int64_t(c.n_head) * c.hd, kvd = int64_t(c.n_kv) * c.hd;
    const int64_t nb = (n_pos + 15) / 16;
    const std::vector<float> q = test::randn(size_t(c.n_tok * qd), 1, c.softcap > 0 ? 4.0f : 1.0f);
    std::vector<float> k = test::randn(size_t(n_pos * kvd), 2), v = test::randn(size_t(n_pos * kvd), 3);
    cpu::AttnOptions opt;
    opt.window = c.window, opt.chunk = c.chunk, opt.softcap = c.softcap;
    std::vector<float> ref(q.size());
    const cpu::AttnSeq a{k.data(), v.data(), 0, c.n_tok, c.pos0};
    cpu::attention_batch(q.data(), &a, 1, c.n_head, c.n_kv, c.hd, ref.data(), pool, opt);
    // The device cache: blocks of 16 rows in order (table = 0, 1, 2, ...).
    k.resize(size_t(nb * 16 * kvd), 0.0f), v.resize(size_t(nb * 16 * kvd), 0.0f);
    std::vector<int32_t> table(static_cast<size_t>(nb)), pos(static_cast<size_t>(c.n_tok)),
        seq(static_cast<size_t>(c.n_tok), 0);
    std::iota(table.begin(), table.end(), 0);
    std::iota(pos.begin(), pos.end(), int32_t(c.pos0));
    cuda::Buffer kd = cuda::upload(k), vd = cuda::upload(v), td = cuda::upload(table), pd = cuda::upload(pos),
                 sd = cuda::upload(seq), qdev = cuda::upload(q), od = test::poisoned(q.size() * 4);
    cuda::PagedKv kv;
    kv.k = kd.data(), kv.v = vd.data(), kv.row_dim = kvd, kv.block_shift = 4, kv.tables = td.as<int32_t>();
    kv.table_stride = nb;
    cuda::AttnMask mask;
    mask.window = c.window, mask.chunk = c.chunk, mask.softcap = c.softcap;
    cuda::Buffer scratch(size_t(cuda::attention_scratch_floats(c.n_tok, c.n_head, c.hd)) * 4);
    for (bool split : {false, true}) {
      if (split && c.n_tok > cuda::kAttentionSplitMaxTokens) continue;
      INFO("split-K " << split);
      cuda::fill_bytes(od.data(), 0xFF, q.size() * 4);
      cuda::attention(qdev.as<float>(), c.n_tok, sd.as<int32_t>(), pd.as<int32_t>(), kv, c.n_head, c.n_kv, c.hd,
                      float(1.0 / std::sqrt(double(c.hd))), od.as<float>(), split ? scratch.as<float>() : nullptr,
                      mask);
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

TEST_CASE("MoE sigmoid and softmax-over-all gates, weighted inputs and unweighted combine match a host reference") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const int64_t n_tok = 6, dim = 32;
  const int ne = 5, k = 2;
  const std::vector<float> r = test::randn(size_t(n_tok * ne), 51, 2.0f);
  cuda::Buffer rd = cuda::upload(r), sd(size_t(n_tok * k) * 4), wd(size_t(n_tok * k) * 4);
  for (int gating : {1, 2}) {
    INFO("gating " << gating);
    cuda::moe_topk(rd.as<float>(), n_tok, ne, k, sd.as<int32_t>(), wd.as<float>(), gating);
    const auto sel = cuda::download<int32_t>(sd.data(), size_t(n_tok * k));
    const auto ws = cuda::download<float>(wd.data(), size_t(n_tok * k));
    for (int64_t t = 0; t < n_tok; ++t) {
      std::vector<float> all(r.begin() + t * ne, r.begin() + (t + 1) * ne);
      std::vector<int32_t> ids(ne);
      std::iota(ids.begin(), ids.end(), 0);
      std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) {
        return all[size_t(a)] > all[size_t(b)] || (all[size_t(a)] == all[size_t(b)] && a < b);
      });
      std::vector<float> sm = all;
      cpu::softmax(sm.data(), ne);
      for (int j = 0; j < k; ++j) {
        const int32_t e = ids[size_t(j)];
        const float want = gating == 2 ? 1.0f / (1.0f + std::exp(-all[size_t(e)])) : sm[size_t(e)];
        CHECK(sel[size_t(t * k + j)] == e);
        CHECK(std::fabs(ws[size_t(t * k + j)] - want) <= 1e-6f * std::max(1.0f, want));
      }
    }
  }
  const std::vector<float> x = test::randn(size_t(n_tok * dim), 52);
  const auto ws = cuda::download<float>(wd.data(), size_t(n_tok * k));
  cuda::Buffer xd = cuda::upload(x), yd = test::poisoned(size_t(n_tok * k * dim) * 4);
  cuda::moe_scale_inputs(xd.as<float>(), wd.as<float>(), n_tok, k, dim, yd.as<float>());
  const auto y = cuda::download<float>(yd.data(), size_t(n_tok * k * dim));
  for (int64_t b = 0; b < n_tok * k; ++b)
    for (int64_t c = 0; c < dim; ++c) CHECK(y[size_t(b * dim + c)] == ws[size_t(b)] * x[size_t((b / k) * dim + c)]);
  cuda::Buffer od = test::poisoned(size_t(n_tok * dim) * 4);
  cuda::moe_combine(yd.as<float>(), nullptr, n_tok, k, dim, od.as<float>());
  const auto o = cuda::download<float>(od.data(), size_t(n_tok * dim));
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t c = 0; c < dim; ++c) {
      float want = 0.0f;
      for (int j = 0; j < k; ++j) want += y[size_t((t * k + j) * dim + c)];
      CHECK(std::fabs(o[size_t(t * dim + c)] - want) <= 1e-6f);
    }
}

namespace {

SynthSpec arch_spec(const std::string& arch, Type t) {
  SynthSpec s;
  s.arch = arch;
  s.n_layer = 4, s.n_embd = 256, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 512, s.n_vocab = 320, s.n_ctx = 1024;
  s.type = t;
  if (arch == "qwen3" || arch == "qwen3moe" || arch == "gemma3") s.head_dim = 128;
  if (arch == "gemma3") s.n_layer = 7, s.window = 24, s.final_softcap = 10.0f;
  if (arch == "llama4") s.window = 32, s.n_expert = 4, s.n_expert_used = 1, s.moe_step = 2, s.n_ff_exp = 256;
  if (arch == "qwen3moe") s.n_expert = 4, s.n_expert_used = 2, s.n_ff_exp = 256;
  return s;
}

}  // namespace

TEST_CASE("CUDA matches the CPU engine on qwen3, qwen3moe, gemma3 and llama4 synthetic models") {
  YS_REQUIRE_CUDA_OR_SKIP();
  std::string text;
  for (int i = 0; i < 3; ++i)  // about 150 tokens: past the windows and chunks above
    text += "The quick brown fox jumps over the lazy dog. Question: what is 12 plus 30? Answer: 42.\n";
  for (const auto& [arch, t] : std::vector<std::pair<std::string, Type>>{{"qwen3", Type::f16},
                                                                         {"qwen3moe", Type::q8_0},
                                                                         {"gemma3", Type::f32},
                                                                         {"gemma3", Type::q4_k},
                                                                         {"llama4", Type::f16},
                                                                         {"llama4", Type::q4_0}}) {
    const std::string name = arch + "_" + quant::name(t);
    INFO(name);
    const auto path = test::synth_file(name, arch_spec(arch, t));
    engine::CpuModel cpu(path, {});
    auto gpu = engine::load_cuda_model(path, {}, 0);
    const auto a = cpu.token_logprobs(text), b = gpu->token_logprobs(text);
    REQUIRE(a.size() == b.size());
    double mx = 0, mean = 0;
    size_t agree = 0;
    for (size_t i = 1; i < a.size(); ++i) {
      const double e = std::fabs(a[i].logprob - b[i].logprob);
      mx = (e == e) ? std::max(mx, e) : INFINITY;
      mean += e;
      agree += a[i].argmax == b[i].argmax;
    }
    mean /= double(a.size() - 1);
    const double top1 = double(agree) / double(a.size() - 1);
    WARN(name << ": max |dlogprob| " << mx << ", mean " << mean << ", argmax agreement " << top1);
    const bool fl = t == Type::f32 || t == Type::f16;
    CHECK(mx <= (fl ? 0.05 : 0.5));
    CHECK(mean <= (fl ? 0.01 : 0.1));
    CHECK(top1 >= (fl ? 1.0 : 0.9));
  }
}
