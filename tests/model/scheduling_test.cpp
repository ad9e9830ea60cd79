// The shared runtime's scheduling, seen through a recording fake backend
// (tests/model/fake_backend.h): which rows are computed, how many prefix positions are
// reused, that a shared prefix is computed once, that one-token continuations of one input
// are scored from one row, that blocks are copied before a shared one is written and freed
// at the end; and that the CPU engine and the fake, given the same requests, count the same.
#include "engine/runtime/encode_pair.h"
#include "tests/model/fake_backend.h"
#include "tests/model/helpers.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

using namespace ys;

namespace {

std::filesystem::path model_file() {
  engine::SynthSpec s;
  s.n_layer = 2, s.n_embd = 64, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 128, s.n_vocab = 400, s.n_ctx = 512;
  s.type = quant::Type::q4_1;
  s.seed = 9;
  return test::synth_file("sched_q4_1", s);
}

engine::LoadOptions opts(bool prefix_cache = true, int64_t kv_bytes = int64_t(1) << 30, int batch = 16) {
  engine::LoadOptions o;
  o.threads = 1;
  o.prefix_cache = prefix_cache;
  o.kv_memory_bytes = kv_bytes;
  o.batch_size = batch;
  return o;
}

struct Fake {
  std::shared_ptr<test::FakeLog> log = std::make_shared<test::FakeLog>();
  std::unique_ptr<runtime::Engine> engine;
  Fake(const engine::LoadOptions& o, int64_t step_rows = 256) {
    auto l = log;
    engine = std::make_unique<runtime::Engine>(model_file(), o, [l, step_rows]() -> std::unique_ptr<engine::Backend> {
      return std::make_unique<test::FakeBackend>(l, step_rows);
    });
  }
};

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// MMLU-shaped: 3 subjects, each a long shared few-shot prefix, 3 questions, 4 one-token
// answers each (single tokens of the synthetic vocabulary after "Answer:"); listed
// subject-interleaved (the engine sorts by context).
std::vector<engine::LoglikelihoodRequest> mmlu_like() {
  std::vector<engine::LoglikelihoodRequest> reqs;
  for (int q = 0; q < 3; ++q)
    for (const char* subj : {"astronomy", "biology", "chemistry"}) {
      const std::string ctx = std::string("The following are questions about ") + subj + ".\n" + test::sample_text(3) +
                              "Question " + std::to_string(q) + ": what is " + subj + "?\nAnswer:";
      for (const char* a : {" A", " the", " 4", " is"}) reqs.push_back({ctx, a});
    }
  return reqs;
}

// The inputs the engine feeds for loglikelihood requests (context + continuation less its
// last token), as the protocol encodes them.
std::vector<std::vector<int32_t>> inputs_of(runtime::Engine& e, const std::vector<engine::LoglikelihoodRequest>& reqs) {
  std::vector<std::vector<int32_t>> out;
  for (const auto& r : reqs) {
    const auto p = runtime::encode_pair(
        e.tokenizer(), [&](const std::string& t) { return e.encode_input(t); }, r, e.info().n_ctx);
    out.emplace_back(p.full.begin(), p.full.end() - 1);
  }
  return out;
}

// The rows the runtime's rule computes: inputs in the order of their context strings, each
// sharing the longest common prefix with the one before it (at most all but its last
// position, whose logits are wanted); a group of equal inputs is one input.
int64_t rule_rows(const std::vector<engine::LoglikelihoodRequest>& reqs,
                  const std::vector<std::vector<int32_t>>& inputs) {
  std::vector<size_t> order(reqs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return reqs[a].context < reqs[b].context; });
  int64_t rows = 0;
  const std::vector<int32_t>* prev = nullptr;
  for (size_t i : order) {
    const std::vector<int32_t>& in = inputs[i];
    if (prev && *prev == in) continue;
    size_t l = 0;
    while (prev && l < prev->size() && l < in.size() && (*prev)[l] == in[l]) ++l;
    rows += int64_t(in.size()) - int64_t(std::min(l, in.size() - 1));
    prev = &in;
  }
  return rows;
}

// Distinct prefixes tokens[0..p] over all inputs: the rows a perfect prefix cache computes.
int64_t distinct_prefixes(const std::vector<std::vector<int32_t>>& inputs) {
  std::set<std::vector<int32_t>> seen;
  for (const auto& in : inputs)
    for (size_t p = 1; p <= in.size(); ++p)
      seen.insert(std::vector<int32_t>(in.begin(), in.begin() + std::ptrdiff_t(p)));
  return int64_t(seen.size());
}

void check_same(const std::vector<engine::LoglikelihoodResult>& a, const std::vector<engine::LoglikelihoodResult>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(same_bits(a[i].logprob, b[i].logprob));
    CHECK(a[i].is_greedy == b[i].is_greedy);
    CHECK(a[i].n_tokens == b[i].n_tokens);
  }
}

// Each request scored alone on a fresh engine without any reuse.
std::vector<engine::LoglikelihoodResult> alone(const std::vector<engine::LoglikelihoodRequest>& reqs) {
  std::vector<engine::LoglikelihoodResult> out;
  for (const auto& r : reqs) {
    Fake f(opts(false));
    out.push_back(f.engine->loglikelihood({r})[0]);
  }
  return out;
}

}  // namespace

TEST_CASE("scheduling: a shared few-shot prefix is computed once and four answers are one row") {
  const auto reqs = mmlu_like();
  const auto ref = alone(reqs);
  Fake on(opts(true));
  check_same(on.engine->loglikelihood(reqs), ref);
  const auto inputs = inputs_of(*on.engine, reqs);
  int64_t all_positions = 0;
  for (const auto& in : inputs) all_positions += int64_t(in.size());
  const auto st = on.engine->cache_stats();
  const int64_t questions = int64_t(reqs.size()) / 4;
  CHECK(on.log->rows() == rule_rows(reqs, inputs));
  // Within a subject nothing is computed twice; across the 2 subject boundaries a context
  // order that is not the token order may miss a token or two of a common start.
  CHECK(on.log->rows() <= distinct_prefixes(inputs) + 2);
  CHECK(on.log->rows() >= distinct_prefixes(inputs));
  CHECK(st.rows == on.log->rows());
  CHECK(st.out_rows == questions);  // one output row per question (one-pass multiple choice)
  CHECK(st.tokens_evaluated == on.log->rows());
  CHECK(st.tokens_reused + st.tokens_evaluated == all_positions / 4);  // per question: reused + computed = input
  CHECK(st.tokens_reused > 3 * st.tokens_evaluated / 2);
  bool batched = false;  // questions of a subject share steps
  for (const auto& s : on.log->steps) batched = batched || s.seqs.size() > 1;
  CHECK(batched);
  WARN("fake backend, MMLU-shaped: " << st.steps << " steps, " << st.rows << " rows computed of " << all_positions
                                     << " request positions, " << st.tokens_reused << " reused, " << st.kv.cow_copies
                                     << " blocks copied on write, " << st.kv_blocks_in_use << " blocks kept");

  Fake off(opts(false));
  check_same(off.engine->loglikelihood(reqs), ref);
  const auto so = off.engine->cache_stats();
  CHECK(so.rows == all_positions);  // without the prefix cache every request computes its whole input
  CHECK(so.out_rows == int64_t(reqs.size()));
  CHECK(so.tokens_reused == 0);
  CHECK(so.kv_blocks_in_use == 0);  // every block freed
  CHECK(so.kv.allocs == so.kv.frees);
}

TEST_CASE("scheduling: the counts do not depend on the step size, and the CPU engine counts the same") {
  const auto reqs = mmlu_like();
  Fake f256(opts(true), 256), f512(opts(true), 512), f7(opts(true), 7);
  const auto r256 = f256.engine->loglikelihood(reqs);
  check_same(f512.engine->loglikelihood(reqs), r256);
  check_same(f7.engine->loglikelihood(reqs), r256);
  const auto a = f256.engine->cache_stats();
  for (const Fake* f : {&f512, &f7}) {
    const auto b = f->engine->cache_stats();
    CHECK(b.tokens_evaluated == a.tokens_evaluated);
    CHECK(b.tokens_reused == a.tokens_reused);
    CHECK(b.rows == a.rows);
    CHECK(b.out_rows == a.out_rows);
    CHECK(b.store.restored_blocks == a.store.restored_blocks);
    CHECK(b.store.saved_blocks == a.store.saved_blocks);
  }
  CHECK(f7.engine->cache_stats().steps > a.steps);
  // The CPU engine runs the same scheduler with 256-row steps: every count is the fake's.
  engine::LoadOptions o = opts(true);
  engine::CpuModel cpu(model_file(), o);
  cpu.loglikelihood(reqs);
  const auto c = cpu.cache_stats();
  CHECK(c.steps == a.steps);
  CHECK(c.rows == a.rows);
  CHECK(c.out_rows == a.out_rows);
  CHECK(c.tokens_evaluated == a.tokens_evaluated);
  CHECK(c.tokens_reused == a.tokens_reused);
  CHECK(c.kv.allocs == a.kv.allocs);
  CHECK(c.kv.cow_copies == a.kv.cow_copies);
  CHECK(c.kv_blocks_in_use == a.kv_blocks_in_use);
  CHECK(c.store.saved_blocks == a.store.saved_blocks);
  CHECK(c.store.restored_blocks == a.store.restored_blocks);
}

TEST_CASE("scheduling: a prefix shared to the middle of a block is copied before it is written") {
  // Two contexts that agree for 21 tokens (not a multiple of the 16-position block), scored
  // one after the other: the second shares 21 positions (the last block partly) and copies it.
  Fake f(opts(true));
  const std::string common = "The quick brown fox jumps over the lazy dog. Question:";
  const std::vector<engine::LoglikelihoodRequest> reqs = {{common + " what is 12 plus 30? Answer:", " 42"},
                                                          {common + " who is there? Answer:", " me"}};
  const auto toks0 = f.engine->tokenize(reqs[0].context, false), toks1 = f.engine->tokenize(reqs[1].context, false);
  size_t lcp = 0;
  while (lcp < toks0.size() && lcp < toks1.size() && toks0[lcp] == toks1[lcp]) ++lcp;
  REQUIRE(lcp % 16 != 0);
  check_same({f.engine->loglikelihood({reqs[0]})[0], f.engine->loglikelihood({reqs[1]})[0]}, alone(reqs));
  const auto st = f.engine->cache_stats();
  CHECK(st.tokens_reused == int64_t(lcp));
  CHECK(st.kv.cow_copies == 1);
  CHECK(f.log->kv_copies == 1);
}

TEST_CASE("scheduling: a tiny budget evicts prefix blocks and changes no result") {
  const auto reqs = mmlu_like();
  const auto ref = alone(reqs);
  // Room for about two sequences: later subjects evict the first one's blocks.
  Fake f(opts(true, 2 * 2 * 32 * 4 * 16 * 30));
  std::vector<engine::LoglikelihoodResult> got(reqs.size());
  for (size_t d : {0, 1, 3, 4, 2, 5, 6, 7, 8}) {  // one document per call, subjects interleaved
    const auto r =
        f.engine->loglikelihood({reqs.begin() + std::ptrdiff_t(4 * d), reqs.begin() + std::ptrdiff_t(4 * d + 4)});
    std::copy(r.begin(), r.end(), got.begin() + std::ptrdiff_t(4 * d));
  }
  check_same(got, ref);
  const auto st = f.engine->cache_stats();
  CHECK(st.store.evicted_blocks > 0);
  CHECK(st.store.restored_blocks > 0);
  CHECK(st.kv.peak_in_use <= 30);
}

TEST_CASE("scheduling: generation shares prompt prefixes, decodes sequences together and frees every block") {
  std::vector<engine::GenerateRequest> reqs;
  for (int i = 0; i < 6; ++i) {
    engine::GenerateRequest r;
    r.prompt = test::sample_text(2) + "Question " + std::to_string(i) + ":";
    r.max_tokens = 5 + i;
    reqs.push_back(r);
  }
  std::vector<engine::GenerateResult> ref;
  for (const auto& r : reqs) {
    Fake f(opts(false));
    ref.push_back(f.engine->generate({r})[0]);
  }
  for (bool cache : {false, true}) {
    INFO("prefix cache " << cache);
    Fake f(opts(cache, int64_t(1) << 30, 4));
    const auto got = f.engine->generate(reqs);
    for (size_t i = 0; i < reqs.size(); ++i) {
      CHECK(got[i].text == ref[i].text);
      CHECK(got[i].n_tokens == ref[i].n_tokens);
    }
    const auto g = f.engine->generate_stats();
    const auto st = f.engine->cache_stats();
    int64_t max_seqs = 0;
    for (const auto& s : f.log->steps) max_seqs = std::max<int64_t>(max_seqs, int64_t(s.seqs.size()));
    CHECK(max_seqs == 4);  // the batch size
    if (cache) {
      const int64_t prompt = int64_t(f.engine->encode_input(reqs[0].prompt).size());
      CHECK(g.reused_tokens >= 5 * (prompt - 8));  // later prompts share the first one's text
      CHECK(st.kv_blocks_in_use > 0);              // the prefix index keeps blocks
    } else {
      CHECK(g.reused_tokens == 0);
      CHECK(st.kv_blocks_in_use == 0);
      CHECK(st.kv.allocs == st.kv.frees);
    }
  }
}

TEST_CASE("kv-type f16 (--kv-type): half the KV memory per block, results within the rounding of keys and values") {
  engine::LoadOptions o32 = opts(true), o16 = opts(true);
  o16.kv_type = "f16";
  engine::CpuModel m32(model_file(), o32), m16(model_file(), o16);
  CHECK(m32.info().kv_type == "f32");
  CHECK(m16.info().kv_type == "f16");
  CHECK(m16.cache_stats().kv_block_bytes * 2 == m32.cache_stats().kv_block_bytes);
  const std::string text = test::sample_text(3);
  const auto a = m32.token_logprobs(text), b = m16.token_logprobs(text);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() > 100);
  // Keys and values rounded to half precision (relative error <= 2^-11) move a logprob of
  // this random model by a few 1e-3 at most (measured: max 1.5e-3, mean 3.8e-4).
  double worst = 0, sum = 0;
  bool any_diff = false;
  for (size_t i = 1; i < a.size(); ++i) {
    const double d = std::fabs(a[i].logprob - b[i].logprob);
    worst = std::max(worst, d);
    sum += d;
    any_diff = any_diff || d != 0;
  }
  WARN("f16 vs f32 KV: max |dlogprob| " << worst << ", mean " << sum / double(a.size() - 1));
  CHECK(worst <= 0.01);
  CHECK(any_diff);  // the setting is in effect
  // Scheduling does not depend on the KV type: the same reuse, the same bits per type.
  const auto reqs = mmlu_like();
  const auto r16 = m16.loglikelihood(reqs);
  engine::LoadOptions off16 = opts(false);
  off16.kv_type = "f16";
  engine::CpuModel alone16(model_file(), off16);
  check_same(alone16.loglikelihood(reqs), r16);
  engine::LoadOptions bad = opts(true);
  bad.kv_type = "bf16";
  CHECK_THROWS_WITH(engine::CpuModel(model_file(), bad), Catch::Contains("--kv-type"));
}

TEST_CASE("scheduling: a sequence as large as the whole budget that shares a partly indexed block still runs") {
  // Budget: 8 blocks (128 positions). A fills it; B agrees with A on 126 positions, so B
  // would share 8 blocks, the last one partly, and that block is also in the prefix index:
  // copying it needs a 9th block for a moment. B must fall back to sharing 7 whole blocks.
  const int64_t block_bytes = 16 * 2 * 2 * 32 * 4;
  Fake f(opts(true, 8 * block_bytes));
  std::vector<int32_t> a(128), b(128);
  for (int i = 0; i < 128; ++i) a[size_t(i)] = b[size_t(i)] = 1 + (i * 37) % 300;
  b[126] = 7, b[127] = 8;
  std::vector<float> la, lb, fa, fb;
  const int64_t nv = f.engine->hparams().n_vocab;
  auto keep = [&](std::vector<float>& out) { return [&out, nv](int64_t, const float* l) { out.assign(l, l + nv); }; };
  f.engine->eval(a, 127, keep(la), true);
  REQUIRE_NOTHROW(f.engine->eval(b, 127, keep(lb), true));
  const auto st = f.engine->cache_stats();
  CHECK(st.tokens_reused == 112);  // 7 whole blocks
  CHECK(st.kv.peak_in_use <= 8);
  Fake fresh(opts(false, 8 * block_bytes));
  fresh.engine->eval(a, 127, keep(fa));
  fresh.engine->eval(b, 127, keep(fb));
  CHECK(la == fa);
  CHECK(lb == fb);
}
