// Throughput features must not change a result bit: the loglikelihood prefix cache (on/off,
// interleaved orders, evictions under a tiny budget), continuous-batching generation
// (batch sizes, threads, request order, memory-limited admission, streaming, prompts
// restored from the prefix store), the
// over-budget error, and the BOS policy (LoadOptions::bos).
#include "tests/model/helpers.h"

#include "common/error.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>

#include <cstring>

using namespace ys;

namespace {

std::filesystem::path model_file() {
  engine::SynthSpec s;
  s.n_layer = 2, s.n_embd = 64, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 128, s.n_vocab = 400, s.n_ctx = 512;
  s.type = quant::Type::q4_1;
  s.seed = 9;
  return test::synth_file("throughput_q4_1", s);
}

engine::LoadOptions opts(int threads, bool prefix_cache = true, int64_t kv_bytes = int64_t(1) << 30, int batch = 16) {
  engine::LoadOptions o;
  o.threads = threads;
  o.prefix_cache = prefix_cache;
  o.kv_memory_bytes = kv_bytes;
  o.batch_size = batch;
  return o;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// MMLU-shaped: 3 subjects, each a long shared few-shot prefix (> 2 blocks of 64 tokens),
// 3 questions, 4 answers each. Listed subject-interleaved.
std::vector<engine::LoglikelihoodRequest> mmlu_like() {
  const char* subjects[] = {"astronomy", "biology", "chemistry"};
  std::vector<engine::LoglikelihoodRequest> reqs;
  for (int q = 0; q < 3; ++q)
    for (const char* subj : subjects) {
      const std::string prefix = std::string("The following are questions about ") + subj + ".\n" +
                                 test::sample_text(3);
      const std::string ctx = prefix + "Question " + std::to_string(q) + ": what is " + subj + "?\nAnswer:";
      for (const char* a : {" A", " B", " C", " D"}) reqs.push_back({ctx, a});
    }
  return reqs;
}

void check_same(const std::vector<engine::LoglikelihoodResult>& a, const std::vector<engine::LoglikelihoodResult>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(same_bits(a[i].logprob, b[i].logprob));
    CHECK(a[i].is_greedy == b[i].is_greedy);
    CHECK(a[i].n_tokens == b[i].n_tokens);
  }
}

}  // namespace

TEST_CASE("prefix cache on/off, interleaved order and evictions give bitwise-identical loglikelihoods") {
  const auto reqs = mmlu_like();
  engine::CpuModel off(model_file(), opts(1, false));
  const auto ref = off.loglikelihood(reqs);
  CHECK(off.cache_stats().tokens_reused == 0);  // --no-prefix-cache disables all reuse
  CHECK(off.cache_stats().store.saved_blocks == 0);
  REQUIRE(off.tokenize(reqs[0].context, false).size() > 200);

  SECTION("one call, cache on") {
    engine::CpuModel on(model_file(), opts(2));
    check_same(on.loglikelihood(reqs), ref);
    CHECK(on.cache_stats().tokens_reused > on.cache_stats().tokens_evaluated);
  }
  SECTION("one document per call, subjects interleaved: the block store serves the old prefixes") {
    engine::CpuModel on(model_file(), opts(2));
    std::vector<engine::LoglikelihoodResult> got;
    for (size_t d = 0; d < reqs.size(); d += 4) {
      const auto r = on.loglikelihood({reqs.begin() + std::ptrdiff_t(d), reqs.begin() + std::ptrdiff_t(d + 4)});
      got.insert(got.end(), r.begin(), r.end());
    }
    check_same(got, ref);
    const auto st = on.cache_stats();
    WARN("interleaved: evaluated " << st.tokens_evaluated << ", reused " << st.tokens_reused << ", blocks restored "
                                   << st.store.restored_blocks);
    CHECK(st.tokens_reused >= 6 * 3 * 64);  // 6 later documents share >= 192 prefix positions each
    CHECK(st.store.evicted_blocks == 0);
  }
  SECTION("a tiny budget forces evictions and changes nothing") {
    // 30 blocks of 16 positions (k+v, 2 layers, 2 kv heads x 16 dims, f32); each document
    // needs about 13, so a third subject evicts the first one's blocks.
    const int64_t block_bytes = 16 * 2 * 2 * 32 * 4;
    engine::CpuModel tiny(model_file(), opts(1, true, 30 * block_bytes));
    // Documents (4 requests each) in the order A0 B0 A1 B1 C0 C1 A2 B2 C2.
    std::vector<engine::LoglikelihoodResult> got(reqs.size());
    for (size_t d : {0, 1, 3, 4, 2, 5, 6, 7, 8}) {
      const auto r = tiny.loglikelihood({reqs.begin() + std::ptrdiff_t(4 * d), reqs.begin() + std::ptrdiff_t(4 * d + 4)});
      std::copy(r.begin(), r.end(), got.begin() + std::ptrdiff_t(4 * d));
    }
    check_same(got, ref);
    const auto st = tiny.cache_stats();
    WARN("tiny budget: blocks restored " << st.store.restored_blocks << ", evicted " << st.store.evicted_blocks);
    CHECK(st.kv_block_bytes == block_bytes);
    CHECK(st.kv.peak_in_use <= 30);
    CHECK(st.store.evicted_blocks > 0);
    CHECK(st.store.restored_blocks > 0);
  }
}

TEST_CASE("a sequence larger than the kv budget is a clear error") {
  engine::CpuModel m(model_file(), opts(1, true, 20000));
  try {
    m.loglikelihood({{test::sample_text(2), " yes"}});
    FAIL("over-budget sequence accepted");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("tokens") && Catch::Contains("20000") && Catch::Contains("--kv-memory"));
  }
  engine::GenerateRequest g;
  g.prompt = "The quick brown fox";
  g.max_tokens = 100;
  CHECK_THROWS_WITH(m.generate({g}), Catch::Contains("generate request 0") && Catch::Contains("20000"));
  g.max_tokens = 5;  // fits
  CHECK(m.generate({g})[0].n_tokens == 5);
  CHECK_THROWS_WITH(engine::CpuModel(model_file(), opts(1, true, 0)), Catch::Contains("--kv-memory"));
  CHECK_THROWS_WITH(engine::CpuModel(model_file(), opts(1, true, 1 << 20, 0)), Catch::Contains("batch_size"));
}

namespace {

std::vector<engine::GenerateRequest> gen_requests() {
  const std::vector<std::string> prompts = {"The quick brown fox", "Question: what is 12 plus 30? Answer:",
                                            "for i in range(10):", test::sample_text(3), "Zebras", "x",
                                            "The lazy dog. The lazy dog.", test::sample_text(1) + "Answer:"};
  std::vector<engine::GenerateRequest> reqs;
  for (size_t i = 0; i < 20; ++i) {
    engine::GenerateRequest r;
    r.prompt = prompts[i % prompts.size()];
    r.max_tokens = int(3 + (i * 7) % 29);
    if (i % 3 == 1) r.sampler = {0.9, 40, 0.95, 1000 + i};  // seeded sampling
    if (i % 4 == 2) r.sampler = {1.3, 0, 1.0, 7 * i};
    if (i % 5 == 3) r.stop = {"e", "\n"};
    if (i == 7) r.max_tokens = 0;
    reqs.push_back(r);
  }
  return reqs;
}

void append(void* user, const std::string& piece) { *static_cast<std::string*>(user) += piece; }

}  // namespace

TEST_CASE("continuous batching: each generation is bitwise identical to generating it alone") {
  const auto reqs = gen_requests();
  engine::CpuModel alone(model_file(), opts(1, false, int64_t(1) << 30, 1));  // no reuse at all
  std::vector<engine::GenerateResult> ref;
  for (const auto& r : reqs) ref.push_back(alone.generate({r})[0]);
  int stopped = 0, sampled_long = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    stopped += ref[i].reason == engine::StopReason::stop_string;
    sampled_long += reqs[i].sampler.temperature > 0 && ref[i].n_tokens >= 5;
  }
  CHECK(stopped >= 1);       // the cases exercise stop strings and sampling
  CHECK(sampled_long >= 3);
  auto check = [&](const std::vector<engine::GenerateResult>& got, bool reversed) {
    REQUIRE(got.size() == ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      const auto& g = got[reversed ? ref.size() - 1 - i : i];
      CHECK(g.text == ref[i].text);
      CHECK(g.n_tokens == ref[i].n_tokens);
      CHECK(g.n_prompt_tokens == ref[i].n_prompt_tokens);
      CHECK(g.reason == ref[i].reason);
    }
  };
  for (int batch : {1, 7, 32})
    for (int threads : {1, 2}) {
      INFO("batch " << batch << ", threads " << threads);
      engine::CpuModel m(model_file(), opts(threads, true, int64_t(1) << 30, batch));
      std::string streamed;
      check(m.generate(reqs, append, &streamed), false);
      std::string expect;
      for (const auto& r : ref) expect += r.text;
      CHECK(streamed == expect);  // streamed in request order
      check(m.generate({reqs.rbegin(), reqs.rend()}), true);
      CHECK(m.generate_stats().reused_tokens > 0);  // repeated prompts share the earlier ones' blocks
    }
  // A budget for ~2 sequences at a time: admission waits for memory, results unchanged.
  engine::CpuModel small(model_file(), opts(2, true, 2 * 2 * 32 * 4 * 400, 32));
  check(small.generate(reqs), false);
}

TEST_CASE("generate_streamed reports every request once, final, as it finishes") {
  const auto reqs = gen_requests();
  engine::CpuModel m(model_file(), opts(2, true, int64_t(1) << 30, 7));
  const auto ref = m.generate(reqs);
  std::vector<size_t> order;
  std::vector<engine::GenerateResult> seen(reqs.size());
  const auto got = m.generate_streamed(reqs, [&](size_t i, const engine::GenerateResult& r) {
    REQUIRE(i < reqs.size());
    order.push_back(i);
    seen[i] = r;
  });
  REQUIRE(order.size() == reqs.size());
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) CHECK(sorted[i] == i);  // each request exactly once
  CHECK_FALSE(std::is_sorted(order.begin(), order.end()));            // completion order, not request order
  for (size_t i = 0; i < reqs.size(); ++i) {
    CHECK(seen[i].text == ref[i].text);  // reported results are final
    CHECK(seen[i].n_tokens == ref[i].n_tokens);
    CHECK(seen[i].reason == ref[i].reason);
    CHECK(got[i].text == ref[i].text);
  }
  // A callback that throws ends the call; the model stays usable and gives the same results.
  size_t calls = 0;
  CHECK_THROWS_WITH(m.generate_streamed(reqs,
                                        [&](size_t, const engine::GenerateResult&) {
                                          if (++calls == 3) throw std::runtime_error("stop here");
                                        }),
                    "stop here");
  CHECK(calls == 3);
  const auto again = m.generate(reqs);
  for (size_t i = 0; i < reqs.size(); ++i) CHECK(again[i].text == ref[i].text);
}

TEST_CASE("generate statistics: prompt steps and decode steps are separate and fully counted") {
  const auto reqs = gen_requests();
  for (int batch : {1, 7})
    for (bool cache : {false, true}) {
      INFO("batch " << batch << ", prefix cache " << cache);
      engine::CpuModel m(model_file(), opts(2, cache, int64_t(1) << 30, batch));
      for (int round = 0; round < 2; ++round) {  // round 1 finds every prompt in the prefix cache (if on)
        INFO("round " << round);
        const engine::GenerateStats s0 = m.generate_stats();
        const auto res = m.generate(reqs);
        const engine::GenerateStats s = m.generate_stats() - s0;
        int64_t sampled = 0, prompts = 0, first_from_prompt_step = 0;
        for (size_t i = 0; i < reqs.size(); ++i) {
          if (reqs[i].max_tokens <= 0) continue;  // ends before any step
          sampled += res[i].n_tokens + (res[i].reason == engine::StopReason::eos ? 1 : 0);
          prompts += res[i].n_prompt_tokens;
          // The first token comes from a prompt step when more than one prompt position is run.
          first_from_prompt_step += res[i].n_prompt_tokens >= 2;
        }
        // Every prompt position is either run or restored (the last one is always run).
        CHECK(s.prompt_tokens + s.reused_tokens == prompts);
        CHECK(s.generated_tokens == sampled);
        if (!cache) {
          CHECK(s.reused_tokens == 0);
          CHECK(s.decode_rows == sampled - first_from_prompt_step);  // one row per later token
        } else if (round == 1) {
          CHECK(s.reused_tokens > 0);
        }
        CHECK(s.decode_rows <= int64_t(batch) * s.decode_steps);  // never more rows than the batch
        CHECK(s.decode_rows >= s.decode_steps);
        CHECK(s.decode_steps > 0);
        CHECK(s.prefill_steps > 0);
        CHECK(s.decode_seconds > 0);
        CHECK(s.prefill_seconds > 0);
      }
    }
}

TEST_CASE("LoadOptions::bos: auto follows the tokenizer metadata, on/off force it") {
  engine::LoadOptions on = opts(1), off = opts(1);
  on.bos = "on", off.bos = "off";
  engine::CpuModel m_auto(model_file(), opts(1)), m_on(model_file(), on), m_off(model_file(), off);
  const std::string text = "The quick brown fox";
  const int32_t bos = m_on.tokenizer().bos();
  REQUIRE(bos >= 0);
  REQUIRE_FALSE(m_auto.tokenizer().add_bos());  // the synthetic vocabulary does not add a BOS
  CHECK(m_auto.encode_input(text) == m_off.encode_input(text));
  const auto with = m_on.encode_input(text);
  CHECK(with.front() == bos);
  CHECK(std::vector<int32_t>(with.begin() + 1, with.end()) == m_off.encode_input(text));
  CHECK(m_on.token_logprobs(text).front().id == bos);
  CHECK(m_on.token_logprobs(text).size() == m_off.token_logprobs(text).size() + 1);
  const auto a = m_on.loglikelihood({{text, " jumps"}}), b = m_off.loglikelihood({{text, " jumps"}});
  CHECK(a[0].n_tokens == b[0].n_tokens);
  CHECK_FALSE(same_bits(a[0].logprob, b[0].logprob));  // the BOS changes the context
  engine::GenerateRequest g;
  g.prompt = text;
  g.max_tokens = 2;
  CHECK(m_on.generate({g})[0].n_prompt_tokens == m_off.generate({g})[0].n_prompt_tokens + 1);
  engine::LoadOptions bad = opts(1);
  bad.bos = "yes";
  CHECK_THROWS_WITH(engine::CpuModel(model_file(), bad), Catch::Contains("--bos"));
}
