// `--cpu-gemm onednn` (LoadOptions::cpu_gemm): the whole model with oneDNN's bf16 products
// against the fp64 reference forward pass (tolerances from measurements below), and the
// engine's invariants with it: results do not depend on the thread count, on chunking and
// prefix reuse, nor on the batch a generation shares.
#include "tests/model/helpers.h"

#include "common/error.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace ys;

namespace {

engine::SynthSpec spec(quant::Type t, const std::string& arch = "llama") {
  engine::SynthSpec s;
  s.arch = arch;
  s.n_layer = 2, s.n_embd = 256, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 512, s.n_vocab = 320, s.n_ctx = 512;
  s.type = t;
  s.seed = 11;
  return s;
}

engine::LoadOptions onednn(int threads = 2) {
  engine::LoadOptions o;
  o.cpu_gemm = "onednn";
  o.threads = threads;
  return o;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST_CASE("cpu-gemm onednn logits stay near the fp64 reference (bf16 products)") {
  // bf16 rounds every weight and activation of the products (relative 2^-9 each). Measured
  // here (2 layers, n_embd 256, ~100 tokens): max rel err 0.0077 (qwen2) .. 0.0164 (q8_0),
  // top-1 agreement 0.99..1.0; limit 0.03. For scale: the f32 path of the same models is
  // <= 9e-7 and --activations int8 0.023..0.038 (types_test.cpp).
  for (quant::Type t : {quant::Type::f32, quant::Type::bf16, quant::Type::q4_1, quant::Type::q8_0}) {
    const std::string name = quant::name(t);
    const auto path = test::synth_file("onednn_" + name, spec(t));
    const test::LogitDiff d = test::compare_with_reference(path, onednn(), test::sample_text(1));
    WARN(name << " --cpu-gemm onednn: max rel err " << d.max_rel << ", mean abs err " << d.mean_abs << ", top1 "
              << d.top1);
    CHECK(d.max_rel <= 0.03);
    CHECK(d.max_rel > 1e-4);  // the products really ran in bf16
    CHECK(d.top1 >= 0.95);
  }
  const auto qwen = test::synth_file("onednn_qwen2", spec(quant::Type::f32, "qwen2"));
  const test::LogitDiff q = test::compare_with_reference(qwen, onednn(), test::sample_text(1));
  WARN("qwen2 (biases) --cpu-gemm onednn: max rel err " << q.max_rel << ", top1 " << q.top1);
  CHECK(q.max_rel <= 0.03);
  // MoE: the experts stay on the engine's kernels, attention goes through oneDNN. Top-k
  // routing is discontinuous: bf16 rounding flips near-tie experts of this random router,
  // and those tokens' logits move a lot (measured max rel 0.65, top-1 0.89; the same
  // model with q8_0 weights and --activations int8: 0.65, 0.91). Only agreement is bounded.
  const auto moe = test::synth_file("onednn_moe", spec(quant::Type::f32, "moe"));
  const test::LogitDiff m = test::compare_with_reference(moe, onednn(), test::sample_text(1));
  WARN("moe --cpu-gemm onednn: max rel err " << m.max_rel << ", top1 " << m.top1);
  CHECK(m.top1 >= 0.8);
}

TEST_CASE("cpu-gemm onednn: token logprobs bitwise identical with 1, 2 and 3 threads") {
  const auto path = test::synth_file("onednn_q4_1", spec(quant::Type::q4_1));
  engine::CpuModel m1(path, onednn(1)), m2(path, onednn(2)), m3(path, onednn(3));
  const auto a = m1.token_logprobs(test::sample_text(4)), b = m2.token_logprobs(test::sample_text(4)),
             c = m3.token_logprobs(test::sample_text(4));
  REQUIRE(a.size() > 200);  // more than one 32-token chunk of the tiles, and a 256-token prefill chunk
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() == c.size());
  size_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i)
    differ += !same_bits(a[i].logprob, b[i].logprob) || !same_bits(a[i].logprob, c[i].logprob);
  CHECK(differ == 0);
  // And the engine's own kernels give other bits (the option is not ignored).
  engine::CpuModel e(path, engine::LoadOptions{});
  const auto d = e.token_logprobs(test::sample_text(4));
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += same_bits(a[i].logprob, d[i].logprob);
  CHECK(same < a.size() / 2);
}

TEST_CASE("cpu-gemm onednn: loglikelihoods do not depend on prefix reuse or chunking") {
  const auto path = test::synth_file("onednn_q4_1", spec(quant::Type::q4_1));
  std::vector<engine::LoglikelihoodRequest> reqs;
  for (int q = 0; q < 3; ++q)
    for (const char* a : {" A", " B", " C", " D"})
      reqs.push_back({test::sample_text(3) + "Question " + std::to_string(q) + "? Answer:", a});
  engine::LoadOptions off = onednn(1);
  off.prefix_cache = false;
  engine::CpuModel m_off(path, off), m_on(path, onednn(2));
  const auto ref = m_off.loglikelihood(reqs);
  std::vector<engine::LoglikelihoodResult> got;
  for (const auto& r : reqs) got.push_back(m_on.loglikelihood({r})[0]);  // one at a time: reused prefixes
  REQUIRE(got.size() == ref.size());
  CHECK(m_on.cache_stats().tokens_reused > 0);
  for (size_t i = 0; i < ref.size(); ++i) CHECK(same_bits(got[i].logprob, ref[i].logprob));
}

TEST_CASE("cpu-gemm onednn: each generation is identical alone and in batches") {
  const auto path = test::synth_file("onednn_q4_1", spec(quant::Type::q4_1));
  std::vector<engine::GenerateRequest> reqs;
  const std::vector<std::string> prompts = {"The quick brown fox", "Question: what is 12 plus 30? Answer:",
                                            test::sample_text(2), "x", "for i in range(10):"};
  for (size_t i = 0; i < 12; ++i) {
    engine::GenerateRequest r;
    r.prompt = prompts[i % prompts.size()];
    r.max_tokens = int(4 + (i * 7) % 23);
    if (i % 3 == 1) r.sampler = {0.9, 40, 0.95, 1000 + i};
    reqs.push_back(r);
  }
  engine::LoadOptions alone_opt = onednn(1);
  alone_opt.batch_size = 1;
  alone_opt.prefix_cache = false;
  engine::CpuModel alone(path, alone_opt);
  std::vector<engine::GenerateResult> ref;
  for (const auto& r : reqs) ref.push_back(alone.generate({r})[0]);
  for (int batch : {5, 16})
    for (int threads : {1, 2}) {
      INFO("batch " << batch << ", threads " << threads);
      engine::LoadOptions o = onednn(threads);
      o.batch_size = batch;
      engine::CpuModel m(path, o);
      const auto got = m.generate(reqs);
      REQUIRE(got.size() == ref.size());
      for (size_t i = 0; i < ref.size(); ++i) {
        CHECK(got[i].text == ref[i].text);
        CHECK(got[i].n_tokens == ref[i].n_tokens);
      }
    }
}

TEST_CASE("cpu-gemm: an unknown backend is a clear error") {
  const auto path = test::synth_file("onednn_q4_1", spec(quant::Type::q4_1));
  engine::LoadOptions o;
  o.cpu_gemm = "mkl";
  CHECK_THROWS_WITH(engine::CpuModel(path, o), Catch::Contains("--cpu-gemm") && Catch::Contains("mkl"));
}
