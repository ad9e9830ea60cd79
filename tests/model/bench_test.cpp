// Throughput measurements on the real model (hidden: run `test_model "[.bench]"`; skipped
// with a warning when the model is absent). Best of YS_BENCH_REPEAT (default 3) runs.
//  * MMLU-shaped loglikelihood: 4 subjects x 3 questions, 5-shot prefixes, 4 answers,
//    one document per call with subjects interleaved (as --shard or any order gives),
//    prefix cache on vs --no-prefix-cache. Results must be bitwise identical.
//  * GSM8K-shaped generation: 32 five-shot prompts x 64 new tokens (greedy), batch 16 vs
//    batch 1, generation tokens/s of the decode steps (GenerateStats).
#include "tests/model/helpers.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

using namespace ys;

namespace {

std::filesystem::path real_model() {
  const char* env = std::getenv("YARDSTICK_MODEL");
  return env ? std::filesystem::path(env)
             : std::filesystem::path(YS_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
}

int repeats() {
  const char* env = std::getenv("YS_BENCH_REPEAT");
  return env ? std::max(1, std::atoi(env)) : 3;
}

std::string load_avg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

template <class F>
double best_seconds(F&& f) {
  double best = 1e300;
  for (int i = 0; i < repeats(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

std::string question(const std::string& subj, int i) {
  return "Which statement about " + subj + " topic number " + std::to_string(i) +
         " is correct when the standard textbook definition is applied to a typical example?\n"
         "A. The first option, which is usually wrong.\nB. The second option, often chosen.\n"
         "C. The third option, rarely right.\nD. The fourth option, sometimes true.\nAnswer:";
}

std::vector<std::vector<engine::LoglikelihoodRequest>> mmlu_docs() {
  const char* subjects[] = {"astronomy", "college biology", "high school chemistry", "world religions"};
  std::vector<std::vector<engine::LoglikelihoodRequest>> docs;
  for (int q = 0; q < 3; ++q)
    for (const char* subj : subjects) {
      std::string ctx = std::string("The following are multiple choice questions (with answers) about ") + subj + ".\n\n";
      for (int s = 0; s < 5; ++s) ctx += question(subj, 100 + s) + " B\n\n";
      ctx += question(subj, q);
      std::vector<engine::LoglikelihoodRequest> doc;
      for (const char* a : {" A", " B", " C", " D"}) doc.push_back({ctx, a});
      docs.push_back(doc);
    }
  return docs;
}

}  // namespace

TEST_CASE("bench: prefix cache on an MMLU-shaped workload", "[.bench]") {
  if (!std::filesystem::exists(real_model())) {
    WARN("skipped: " << real_model() << " is missing");
    return;
  }
  const auto docs = mmlu_docs();
  auto run = [&](bool cache, std::vector<double>& out, engine::CpuModel::CacheStats& st) {
    engine::LoadOptions o;
    o.threads = 2;
    o.prefix_cache = cache;
    engine::CpuModel m(real_model(), o);
    out.clear();
    for (const auto& d : docs)
      for (const auto& r : m.loglikelihood(d)) out.push_back(r.logprob);
    st = m.cache_stats();
  };
  std::vector<double> on, off;
  engine::CpuModel::CacheStats st_on, st_off;
  const double t_off = best_seconds([&] { run(false, off, st_off); });
  const double t_on = best_seconds([&] { run(true, on, st_on); });
  REQUIRE(on.size() == off.size());
  CHECK(std::memcmp(on.data(), off.data(), on.size() * sizeof(double)) == 0);
  WARN("MMLU-shaped, " << docs.size() << " docs x 4, threads 2: no-prefix-cache " << t_off << " s ("
                       << st_off.tokens_evaluated << " tokens run), prefix cache " << t_on << " s ("
                       << st_on.tokens_evaluated << " run, " << st_on.tokens_reused << " reused, "
                       << st_on.store.restored_blocks << " blocks restored); speed-up " << t_off / t_on
                       << "x; load average " << load_avg());
}

// A GSM8K-shaped prompt: five worked examples (different for every prompt, as lm-eval's
// gsm8k draws them) and a question, about 1,000 tokens with SmolLM2's tokenizer when
// `shots` is 5 (set YS_BENCH_SHOTS=0 for short prompts).
static std::string gsm8k_prompt(int i, int shots) {
  auto qa = [](int k) {
    const int a = 12 + 7 * k, b = 3 + k % 9, c = 5 + (k * 13) % 17;
    return "Question: A bakery sells " + std::to_string(a) + " loaves of bread in the morning and " +
           std::to_string(b) + " times as many in the afternoon. Each loaf costs $" + std::to_string(c) +
           ". If the bakery pays a supplier a third of what it takes in, how much money does it keep at the "
           "end of the day, and how many loaves did it sell in total?\nAnswer: In the afternoon it sells " +
           std::to_string(a) + " * " + std::to_string(b) + " = <<" + std::to_string(a) + "*" + std::to_string(b) +
           "=" + std::to_string(a * b) + ">>" + std::to_string(a * b) + " loaves. In total it sells " +
           std::to_string(a) + " + " + std::to_string(a * b) + " = " + std::to_string(a + a * b) +
           " loaves, which bring in " + std::to_string(a + a * b) + " * " + std::to_string(c) + " = $" +
           std::to_string((a + a * b) * c) + ". It pays a third to the supplier and keeps two thirds, so it "
           "keeps $" + std::to_string((a + a * b) * c * 2 / 3) + ".\n#### " + std::to_string((a + a * b) * c * 2 / 3) +
           "\n\n";
  };
  std::string p;
  for (int s = 0; s < shots; ++s) p += qa(100 + 5 * i + s);
  return p + "Question: Natalia sold clips to " + std::to_string(12 + 7 * i) +
         " of her friends in April, and then she sold half as many clips in May. How many clips did "
         "Natalia sell altogether in April and May?\nAnswer:";
}

// Generation throughput as `yardstick run` reports it: tokens sampled in decode steps per
// second of decode steps (prompt steps are separate and not counted), batch 16 vs batch 1.
TEST_CASE("bench: continuous batching generation tokens/s", "[.bench]") {
  if (!std::filesystem::exists(real_model())) {
    WARN("skipped: " << real_model() << " is missing");
    return;
  }
  const char* shots_env = std::getenv("YS_BENCH_SHOTS");
  const int shots = shots_env ? std::atoi(shots_env) : 5;
  const char* n_env = std::getenv("YS_BENCH_PROMPTS");
  const int n_prompts = n_env ? std::max(1, std::atoi(n_env)) : 32;
  std::vector<engine::GenerateRequest> reqs;
  for (int i = 0; i < n_prompts; ++i) {
    engine::GenerateRequest r;
    r.prompt = gsm8k_prompt(i, shots);
    r.max_tokens = 64;
    r.stop = {"\x01never"};  // no early stop: every request generates 64 tokens (unless EOS)
    reqs.push_back(r);
  }
  const char* b_env = std::getenv("YS_BENCH_BATCH");
  const int batch_size = b_env ? std::max(2, std::atoi(b_env)) : 16;
  std::vector<std::vector<engine::GenerateResult>> res(2);
  double tok_s[2] = {0, 0}, batch[2] = {0, 0}, prompt_tok_s[2] = {0, 0};
  int64_t prompt_tokens = 0;
  for (int k = 0; k < 2; ++k) {
    engine::LoadOptions o;
    o.threads = 2;
    o.batch_size = k == 0 ? 1 : batch_size;
    if (const char* act = std::getenv("YS_BENCH_ACTIVATIONS")) o.activations = act;  // f32 (default) | int8
    engine::CpuModel m(real_model(), o);
    for (int rep = 0; rep < repeats(); ++rep) {
      const engine::GenerateStats s0 = m.generate_stats();
      res[size_t(k)] = m.generate(reqs);
      const engine::GenerateStats d = m.generate_stats() - s0;
      const double rows = double(d.decode_rows);
      tok_s[k] = std::max(tok_s[k], rows / d.decode_seconds);
      batch[k] = rows / double(d.decode_steps);
      prompt_tok_s[k] = std::max(prompt_tok_s[k], double(d.prompt_tokens) / d.prefill_seconds);
      prompt_tokens = d.prompt_tokens;
    }
  }
  for (size_t i = 0; i < reqs.size(); ++i) CHECK(res[0][i].text == res[1][i].text);
  WARN("generation, " << n_prompts << " prompts of " << shots << " shots (" << prompt_tokens / n_prompts
                      << " tokens each on average) x <= 64 new tokens, threads 2, activations "
                      << (std::getenv("YS_BENCH_ACTIVATIONS") ? std::getenv("YS_BENCH_ACTIVATIONS") : "f32")
                      << ": decode steps batch 1 " << tok_s[0] << " tok/s, batch " << batch_size << " " << tok_s[1]
                      << " tok/s (mean batch " << batch[1] << "); speed-up " << tok_s[1] / tok_s[0]
                      << "x; prompt steps " << prompt_tok_s[0] << " / " << prompt_tok_s[1]
                      << " tok/s; load average " << load_avg());
}
