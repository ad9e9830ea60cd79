// The shared runtime (engine/runtime/engine.h) schedules the same work over the CPU and the
// CUDA backend: on the same requests, the same positions are computed and reused, the same
// output rows asked for, the same KV blocks allocated and copied, the same prefix blocks
// indexed. Only the number of steps differs (256-row steps on the CPU, 512 on CUDA).
// tests/model/scheduling_test.cpp shows, with a recording fake backend, that these counts do
// not depend on the step size and what they mean.
#include "engine/backend/cpu/cpu_model.h"
#include "engine/backend/cuda/cuda_model.h"
#include "engine/model/synth.h"
#include "engine/runtime/engine.h"
#include "tests/cuda/skip.h"

#include <cstdlib>

using namespace ys;

namespace {

std::filesystem::path model_path() {
  const char* env = std::getenv("YS_BINARY_DIR");  // the GPU bundle runs away from its build tree
  const auto dir = std::filesystem::path(env && *env ? env : YS_BINARY_DIR) / "test_tmp" / "cuda";
  std::filesystem::create_directories(dir);
  engine::SynthSpec s;
  s.n_layer = 2, s.n_embd = 256, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 512, s.n_vocab = 320, s.n_ctx = 1024;
  s.type = quant::Type::q8_0;
  const auto path = dir / "sched_q8_0.gguf";
  engine::write_synth_model(s, path);
  return path;
}

std::string text(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "The quick brown fox jumps over the lazy dog. Question: what is 12 plus 30? Answer: 42.\n"
         "for i in range(10):\n    print(i)\n";
  return s;
}

}  // namespace

TEST_CASE("CPU and CUDA: the shared runtime computes and reuses the same positions on the same requests") {
  YS_REQUIRE_CUDA_OR_SKIP();
  const auto path = model_path();
  std::vector<engine::LoglikelihoodRequest> ll;
  for (int q = 0; q < 3; ++q)
    for (const char* subj : {"astronomy", "biology"}) {
      const std::string ctx = std::string("Questions about ") + subj + ".\n" + text(3) + "Question " +
                              std::to_string(q) + ": what is " + subj + "?\nAnswer:";
      for (const char* a : {" A", " B", " C", " D"}) ll.push_back({ctx, a});
    }
  std::vector<engine::GenerateRequest> gen;
  for (int i = 0; i < 5; ++i) {
    engine::GenerateRequest r;
    r.prompt = text(2) + "Question " + std::to_string(i) + ":";
    r.max_tokens = 6;
    gen.push_back(r);
  }
  engine::LoadOptions o;
  o.batch_size = 4;
  engine::CpuModel cpu(path, o);
  auto gpu_model = engine::load_cuda_model(path, o, 0);
  auto& gpu = static_cast<runtime::Engine&>(*gpu_model);
  for (runtime::Engine* e : {static_cast<runtime::Engine*>(&cpu), &gpu}) {
    e->loglikelihood(ll);
    e->token_logprobs(text(2));
    e->generate(gen);
  }
  const auto a = cpu.cache_stats(), b = gpu.cache_stats();
  WARN("CPU: " << a.steps << " steps, " << a.rows << " rows, " << a.tokens_reused << " reused; CUDA: " << b.steps
               << " steps, " << b.rows << " rows, " << b.tokens_reused << " reused");
  CHECK(a.tokens_evaluated == b.tokens_evaluated);
  CHECK(a.tokens_reused == b.tokens_reused);
  CHECK(a.tokens_reused > 0);
  CHECK(a.kv.cow_copies == b.kv.cow_copies);
  CHECK(a.store.saved_blocks == b.store.saved_blocks);
  CHECK(a.store.restored_blocks == b.store.restored_blocks);
  const auto ga = cpu.generate_stats(), gb = gpu.generate_stats();
  CHECK(ga.prompt_tokens == gb.prompt_tokens);
  CHECK(ga.reused_tokens == gb.reused_tokens);
  CHECK(ga.reused_tokens > 0);
  // Generated tokens (and so decode rows and blocks) may differ where a greedy choice is a
  // near tie that the two backends' rounding breaks differently; the scoring rows may not.
  const int64_t score_rows_a = a.rows - ga.prompt_tokens - ga.decode_rows,
                score_rows_b = b.rows - gb.prompt_tokens - gb.decode_rows;
  CHECK(score_rows_a == score_rows_b);
}
