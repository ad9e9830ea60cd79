// CudaModel against CpuModel on synthetic models: every weight type, dense, MoE, qwen2
// (biases, NeoX), llama3 rope factors. Compared: teacher-forced per-token logprobs and
// argmaxes, loglikelihood, and greedy generation.
//
// Tolerances (provisional: first GPU run owed, see tools/gpu-check.sh). The CPU quantizes
// activations to 8 bits for quantized weights and keeps f32 otherwise; the GPU uses f32
// activations in GEMV (decode) and f16 inputs to cuBLAS (prefill). On small random models,
// which amplify rounding, MEASURED.md puts correct engines 0.002 (f32) .. 0.1 (quantized)
// apart in mean logprob. Asserted: float weight types max |dlogprob| <= 0.05, mean <= 0.01;
// quantized max <= 0.5, mean <= 0.1; argmax agreement >= 0.9 (1.0 for float types).
// Greedy tokens must be identical, except after a position where the CPU's top-2 logits are
// within 0.2 of each other (a near tie that either engine may break).
#include "engine/backend/cuda/cuda_model.h"
#include "engine/backend/cpu/cpu_model.h"
#include "engine/model/synth.h"
#include "tests/cuda/helpers.h"
#include "tests/cuda/skip.h"

#include <algorithm>
#include <cmath>

using namespace ys;
using engine::SynthSpec;
using quant::Type;

namespace {

std::string sample_text() {
  return "The quick brown fox jumps over the lazy dog. Question: what is 12 plus 30? Answer: 42.\n"
         "for i in range(10):\n    print(i)\nZebras \xC3\xA9t\xC3\xA9 xyz! The end of the story is near.\n";
}

SynthSpec spec(const std::string& arch, Type t) {
  SynthSpec s;
  s.arch = arch;
  s.n_layer = 2, s.n_embd = 256, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 512, s.n_vocab = 320, s.n_ctx = 512;
  s.type = t;
  return s;
}

bool is_float(Type t) { return t == Type::f32 || t == Type::f16 || t == Type::bf16; }

struct Diff {
  double max_abs = 0, mean_abs = 0, top1 = 0;
};

Diff compare_logprobs(engine::Model& cpu, engine::Model& gpu, const std::string& text) {
  const auto a = cpu.token_logprobs(text), b = gpu.token_logprobs(text);
  REQUIRE(a.size() == b.size());
  Diff d;
  size_t agree = 0;
  for (size_t i = 1; i < a.size(); ++i) {
    REQUIRE(a[i].id == b[i].id);
    const double e = std::fabs(a[i].logprob - b[i].logprob);
    d.max_abs = (e == e) ? std::max(d.max_abs, e) : INFINITY;
    d.mean_abs += e;
    agree += a[i].argmax == b[i].argmax;
  }
  d.mean_abs /= double(std::max<size_t>(1, a.size() - 1));
  d.top1 = double(agree) / double(std::max<size_t>(1, a.size() - 1));
  return d;
}

// Greedy continuations must agree up to the first CPU near tie.
void check_greedy(engine::CpuModel& cpu, engine::Model& gpu, const std::string& prompt) {
  engine::GenerateRequest r;
  r.prompt = prompt;
  r.max_tokens = 24;
  const auto a = cpu.generate({r})[0], b = gpu.generate({r})[0];
  const auto ta = cpu.tokenize(a.text, false), tb = cpu.tokenize(b.text, false);
  if (a.text == b.text) {
    SUCCEED("greedy identical");
    return;
  }
  // Find the first differing generated token and the CPU's margin there.
  std::vector<int32_t> seq = cpu.tokenize(prompt, true);
  size_t i = 0;
  while (i < ta.size() && i < tb.size() && ta[i] == tb[i]) seq.push_back(ta[i++]);
  const int64_t nv = cpu.hparams().n_vocab;
  std::vector<float> last(static_cast<size_t>(nv), 0.0f);
  cpu.eval(seq, int64_t(seq.size()) - 1, [&](int64_t, const float* l) { std::copy_n(l, nv, last.data()); });
  std::vector<float> sorted = last;
  std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
  INFO("prompt '" << prompt << "': CPU '" << a.text << "' vs CUDA '" << b.text << "', diverge at token " << i);
  CHECK(sorted[0] - sorted[1] <= 0.2f);
}

void run_case(const std::string& name, const SynthSpec& s) {
  INFO("case " << name);
  const auto path = test::synth_file(name, s);
  engine::CpuModel cpu(path, {});
  auto gpu = engine::load_cuda_model(path, {}, 0);
  const Diff d = compare_logprobs(cpu, *gpu, sample_text() + sample_text());
  WARN(name << ": max |dlogprob| " << d.max_abs << ", mean " << d.mean_abs << ", argmax agreement " << d.top1);
  const bool fl = is_float(s.type);
  CHECK(d.max_abs <= (fl ? 0.05 : 0.5));
  CHECK(d.mean_abs <= (fl ? 0.01 : 0.1));
  CHECK(d.top1 >= (fl ? 1.0 : 0.9));
  const std::vector<engine::LoglikelihoodRequest> reqs = {
      {"Question: what is 12 plus 30? Answer:", " 42."}, {"The quick brown", " fox"}, {"", "Zebras"}};
  const auto la = cpu.loglikelihood(reqs), lb = gpu->loglikelihood(reqs);
  for (size_t i = 0; i < reqs.size(); ++i) {
    CHECK(la[i].n_tokens == lb[i].n_tokens);
    CHECK(std::fabs(la[i].logprob - lb[i].logprob) <= (fl ? 0.05 : 0.5) * std::max(1, la[i].n_tokens));
  }
  for (const char* p : {"The quick", "for i in", "Question: what"}) check_greedy(cpu, *gpu, p);
}

}  // namespace

TEST_CASE("CUDA matches the CPU engine on dense synthetic models of every weight type") {
  YS_REQUIRE_CUDA_OR_SKIP();
  for (Type t : {Type::f32, Type::f16, Type::bf16, Type::q8_0, Type::q4_0, Type::q4_1, Type::q4_k, Type::q5_k,
                 Type::q6_k})
    run_case(std::string("dense_") + quant::name(t), spec("llama", t));
}

TEST_CASE("CUDA matches the CPU engine on MoE, qwen2 and llama3-rope synthetic models") {
  YS_REQUIRE_CUDA_OR_SKIP();
  run_case("moe_f16", spec("moe", Type::f16));
  run_case("moe_q4_0", spec("moe", Type::q4_0));
  run_case("qwen2_f32", spec("qwen2", Type::f32));
  SynthSpec l3 = spec("llama", Type::q8_0);
  l3.rope_scaling = "llama3", l3.rope_factor = 8, l3.rope_orig_ctx = 64, l3.rope_freq_base = 500000, l3.tied = false;
  run_case("llama3_q8_0", l3);
}

TEST_CASE("decode with CUDA graphs gives the same tokens and logprobs as plain launches") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const auto path = test::synth_file("graphs_q4_0", spec("llama", Type::q4_0));
  engine::GenerateRequest r;
  r.prompt = "The quick";
  r.max_tokens = 300;  // crosses a KV-cache reallocation (256 positions): the graph is re-captured
  std::vector<engine::GenerateResult> a, b;
  {
    auto m = engine::load_cuda_model(path, {}, 0);
    a = m->generate({r});
  }
  setenv("YS_CUDA_GRAPHS", "0", 1);
  {
    auto m = engine::load_cuda_model(path, {}, 0);
    b = m->generate({r});
  }
  unsetenv("YS_CUDA_GRAPHS");
  CHECK(a[0].text == b[0].text);
  CHECK(a[0].n_tokens == b[0].n_tokens);
}

TEST_CASE("load_cuda_model rejects a bad device index with a message") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const auto path = test::synth_file("dense_idx", spec("llama", Type::f32));
  CHECK_THROWS_WITH(engine::load_cuda_model(path, {}, 99), Catch::Contains("cuda:99"));
}

TEST_CASE("cuda_available explains itself and cuda_devices agrees with it") {
  std::string why;
  const bool ok = engine::cuda_available(&why);
  const auto devs = engine::cuda_devices();
  CHECK(ok == !devs.empty());
  if (!ok) {
    CHECK(!why.empty());
    WARN("no CUDA device: " << why);
  } else {
    CHECK(devs[0].total_memory > 0);
    CHECK(!devs[0].name.empty());
    CHECK(devs[0].runtime_version > 0);
  }
}
