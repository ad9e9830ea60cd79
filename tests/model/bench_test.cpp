// Throughput measurements on the real model (hidden: run `test_model "[.bench]"`; skipped
// with a warning when the model is absent). Best of YS_BENCH_REPEAT (default 3) runs.
//  * MMLU-shaped loglikelihood: 4 subjects x 3 questions, 5-shot prefixes, 4 answers,
//    one document per call with subjects interleaved (as --shard or any order gives),
//    prefix cache on vs --no-prefix-cache. Results must be bitwise identical.
//  * GSM8K-shaped generation: 16 prompts x 64 new tokens (greedy), batch 16 vs batch 1.
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

TEST_CASE("bench: continuous batching generation tokens/s", "[.bench]") {
  if (!std::filesystem::exists(real_model())) {
    WARN("skipped: " << real_model() << " is missing");
    return;
  }
  std::vector<engine::GenerateRequest> reqs;
  for (int i = 0; i < 16; ++i) {
    engine::GenerateRequest r;
    r.prompt = "Question: Natalia sold clips to " + std::to_string(12 + 7 * i) +
               " of her friends in April, and then she sold half as many clips in May. How many clips did "
               "Natalia sell altogether in April and May?\nAnswer:";
    r.max_tokens = 64;
    r.stop = {"\x01never"};  // no early stop: every request generates 64 tokens (unless EOS)
    reqs.push_back(r);
  }
  std::vector<std::vector<engine::GenerateResult>> res(2);
  double secs[2];
  int toks[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    engine::LoadOptions o;
    o.threads = 2;
    o.batch_size = k == 0 ? 1 : 16;
    if (const char* act = std::getenv("YS_BENCH_ACTIVATIONS")) o.activations = act;  // f32 (default) | int8
    engine::CpuModel m(real_model(), o);
    secs[k] = best_seconds([&] { res[size_t(k)] = m.generate(reqs); });
    for (const auto& g : res[size_t(k)]) toks[k] += g.n_tokens;
  }
  for (size_t i = 0; i < reqs.size(); ++i) CHECK(res[0][i].text == res[1][i].text);
  WARN("generation 16 prompts x <= 64 tokens, threads 2, activations "
       << (std::getenv("YS_BENCH_ACTIVATIONS") ? std::getenv("YS_BENCH_ACTIVATIONS") : "f32") << ": batch 1 " << toks[0] / secs[0] << " tok/s (" << secs[0]
                                                                   << " s), batch 16 " << toks[1] / secs[1]
                                                                   << " tok/s (" << secs[1] << " s); speed-up "
                                                                   << secs[0] / secs[1] << "x; load average "
                                                                   << load_avg());
}
