// The remote client against `yardstick serve` in this process: the same bits as the local
// engine for loglikelihood (echo and prompt_logprobs) and greedy generation (completions
// and chat), nothing lost through a proxy that drops connections, stalls, answers 429 and
// 500, and the server's own answers to bad requests.
#include "engine/remote/remote_model.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/remote/live_server.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>

using namespace remote_test;
using ys::engine::GenerateRequest;
using ys::engine::LoglikelihoodRequest;
using ys::engine::remote::RemoteModel;
using ys::engine::remote::RemoteOptions;

namespace {

// Text through JSON: invalid UTF-8 (a token split mid-character) travels as U+FFFD, as the
// store keeps it (runner/pipeline.cpp dump_lenient); compare in that form.
std::string as_sent(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RemoteOptions options_for(const std::string& base_url, const std::string& logprobs = "echo") {
  RemoteOptions o;
  o.endpoint = ys::engine::remote::make_endpoint(base_url, "synth");
  o.logprobs = logprobs;
  o.concurrency = 4;
  o.http.backoff_base_s = 0.01;
  o.http.backoff_max_s = 0.05;
  o.http.timeout_s = 60;
  return o;
}

// Contexts shared by several continuations (MMLU), a trailing space that moves into the
// continuation, multi-token continuations, and a few-shot prefix reused across requests.
std::vector<LoglikelihoodRequest> ll_requests(ys::engine::CpuModel* greedy_from = nullptr) {
  const std::string shots = "Q: what is 2 plus 2?\nA: 4\n\nQ: name a colour.\nA: red\n\n";
  std::vector<LoglikelihoodRequest> r;
  for (const char* q : {"Q: which animal barks?\nA:", "Q: the sky is\nA:", "Q: 12 plus 30?\nA: "}) {
    for (const char* c : {" A", " B", " C", " D", " dog", " blue and wide", "42"}) r.push_back({shots + q, c});
  }
  r.push_back({"The quick brown fox", " jumps over the lazy dog."});
  r.push_back({"Zebras \xC3\xA9t\xC3\xA9", " xyz!"});
  if (greedy_from != nullptr) {
    // Continuations that are the model's own greedy tokens, so is_greedy is true for some.
    for (const char* ctx : {"The quick brown fox", "Question: 2 plus 2?\nAnswer:", "for i in range(10):\n"}) {
      ys::engine::GenerateRequest g;
      g.prompt = ctx;
      g.max_tokens = 1;
      r.push_back({ctx, greedy_from->generate({g})[0].text});
    }
  }
  return r;
}

std::vector<GenerateRequest> gen_requests() {
  std::vector<GenerateRequest> out;
  const char* prompts[] = {"Question: what is 12 plus 30?\nAnswer:", "The quick brown fox", "for i in range(10):\n",
                           "Zebras \xC3\xA9t\xC3\xA9 xyz!"};
  for (size_t i = 0; i < 4; ++i) {
    GenerateRequest g;
    g.prompt = prompts[i];
    g.max_tokens = 12 + int(i) * 5;
    if (i % 2 == 0) g.stop = {"\n\n", "Question:"};
    out.push_back(g);
  }
  return out;
}

void check_ll_equal(const std::vector<ys::engine::LoglikelihoodResult>& remote,
                    const std::vector<ys::engine::LoglikelihoodResult>& local) {
  REQUIRE(remote.size() == local.size());
  for (size_t i = 0; i < local.size(); ++i) {
    INFO("request " << i << ": " << remote[i].error);
    CHECK(remote[i].error.empty());
    CHECK(remote[i].logprob == local[i].logprob);  // bitwise: the same doubles summed in the same order
    CHECK(remote[i].is_greedy == local[i].is_greedy);
    CHECK(remote[i].n_tokens == local[i].n_tokens);
  }
}

}  // namespace

TEST_CASE("remote loglikelihood through yardstick serve equals the local engine bit for bit", "[remote]") {
  const auto path = synth_model("small", small_spec());
  LiveServer srv(path);
  ys::engine::LoadOptions lo;
  lo.threads = 1;
  ys::engine::CpuModel local(path, lo);
  const auto reqs = ll_requests(&local);
  const auto expect = local.loglikelihood(reqs);
  int greedy = 0;
  for (const auto& e : expect) greedy += e.is_greedy;
  INFO("greedy continuations in the local results: " << greedy);
  CHECK(greedy > 0);  // both values of is_greedy are exercised
  CHECK(greedy < int(expect.size()));
  for (const char* mode : {"echo", "prompt_logprobs", "echo, one prompt per request"}) {
    SECTION(mode) {
      RemoteOptions o = options_for(srv.base_url(), std::string(mode).substr(0, 4) == "echo" ? "echo" : mode);
      o.one_prompt_per_request = std::string(mode).find("one prompt") != std::string::npos;
      RemoteModel remote(o);
      check_ll_equal(remote.loglikelihood(reqs), expect);
      // Requests one at a time and in reverse order: the same bits (no batch effects).
      std::vector<LoglikelihoodRequest> rev(reqs.rbegin(), reqs.rend());
      auto back = remote.loglikelihood(rev);
      std::reverse(back.begin(), back.end());
      check_ll_equal(back, expect);
      CHECK(remote.info().sha256 == local.info().sha256);  // served model identity reaches the run record
    }
  }
}

TEST_CASE("remote greedy generation equals the local engine (completions and chat)", "[remote]") {
  const auto path = synth_model("small", small_spec());
  LiveServer srv(path);
  ys::engine::LoadOptions lo;
  lo.threads = 1;
  ys::engine::CpuModel local(path, lo);
  auto reqs = gen_requests();
  const auto expect = local.generate(reqs);
  RemoteModel remote(options_for(srv.base_url()));
  std::vector<size_t> order;
  const auto got = remote.generate_streamed(reqs, [&](size_t i, const ys::engine::GenerateResult&) { order.push_back(i); });
  REQUIRE(got.size() == expect.size());
  CHECK(order.size() == reqs.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("request " << i << ": " << got[i].error);
    CHECK(got[i].error.empty());
    CHECK(as_sent(got[i].text) == as_sent(expect[i].text));
    CHECK(got[i].n_tokens == expect[i].n_tokens);
    CHECK(got[i].n_prompt_tokens == expect[i].n_prompt_tokens);
  }
  // Chat: the server renders the model's template; the local engine given that prompt agrees.
  RemoteOptions co = options_for(srv.base_url());
  co.api = "chat";
  RemoteModel chat(co);
  GenerateRequest g;
  g.prompt = "What is 12 plus 30?";
  g.max_tokens = 16;
  const auto cr = chat.generate({g});
  GenerateRequest lg = g;
  lg.prompt = ys::tok::apply_chat_template(srv.tok->vocab(), {{"user", g.prompt}}, true);
  const auto lr = local.generate({lg});
  CHECK(cr[0].error.empty());
  CHECK(as_sent(cr[0].text) == as_sent(lr[0].text));
  // A chat endpoint has no prompt logprobs: loglikelihood is refused, not guessed.
  CHECK_THROWS_WITH(chat.loglikelihood({{"a b", " c"}}), Catch::Contains("cannot score loglikelihood"));
}

TEST_CASE("a proxy that drops, stalls, rate-limits and fails requests loses nothing", "[remote]") {
  const auto path = synth_model("small", small_spec());
  LiveServer srv(path);
  ys::engine::LoadOptions lo;
  lo.threads = 1;
  ys::engine::CpuModel local(path, lo);
  FaultProxy proxy(srv.port(), "ER.D.S.T..E", 150, 1500);
  RemoteOptions o = options_for(proxy.base_url());
  o.http.timeout_s = 1.0;
  o.http.max_retries = 8;
  o.probe = false;
  RemoteModel remote(o);
  const auto reqs = ll_requests();
  check_ll_equal(remote.loglikelihood(reqs), local.loglikelihood(reqs));
  auto greqs = gen_requests();
  const auto expect = local.generate(greqs);
  const auto got = remote.generate(greqs);
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("request " << i << ": " << got[i].error);
    CHECK(as_sent(got[i].text) == as_sent(expect[i].text));
  }
  INFO("proxy: " << proxy.requests << " requests, " << proxy.errors << " 500, " << proxy.limited << " 429, "
                 << proxy.dropped << " dropped, " << proxy.stalled << " stalled");
  CHECK(proxy.errors > 0);
  CHECK(proxy.limited > 0);
  CHECK(proxy.dropped > 0);
  CHECK(proxy.stalled > 0);
  CHECK(remote.usage().retries >= proxy.errors + proxy.limited + proxy.dropped + proxy.stalled);
  CHECK(remote.usage().failed == 0);
}

TEST_CASE("requests failing after their retries come back as per-request errors with the server's message", "[remote]") {
  const auto path = synth_model("small", small_spec());
  LiveServer srv(path);
  FaultProxy proxy(srv.port(), "E");  // every request: 500
  RemoteOptions o = options_for(proxy.base_url());
  o.http.max_retries = 2;
  o.probe = false;
  RemoteModel remote(o);
  const auto got = remote.generate(gen_requests());
  for (const auto& g : got) {
    CHECK(g.text.empty());
    CHECK_THAT(g.error, Catch::Contains("HTTP 500") && Catch::Contains("injected failure") && Catch::Contains("3 tries"));
  }
  CHECK(remote.usage().failed == int64_t(got.size()));
  // A server that is gone: after one request used its retries, the others fail fast.
  RemoteOptions dead = options_for("http://127.0.0.1:9");  // discard port: nothing listens
  dead.probe = false;
  dead.http.max_retries = 3;
  RemoteModel gone(dead);
  const auto t0 = std::chrono::steady_clock::now();
  const auto res = gone.generate(gen_requests());
  for (const auto& g : res) CHECK(!g.error.empty());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
}

TEST_CASE("a cache answers repeated requests without the server", "[remote]") {
  struct MapCache : ys::engine::remote::ResponseCache {
    std::mutex mu;
    std::map<std::string, std::string> m;
    std::optional<std::string> get(const ys::engine::remote::CacheKey& k) override {
      std::lock_guard<std::mutex> l(mu);
      auto it = m.find(k.digest());
      return it == m.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    void put(const ys::engine::remote::CacheKey& k, const std::string& b) override {
      std::lock_guard<std::mutex> l(mu);
      m[k.digest()] = b;
    }
  } cache;
  const auto path = synth_model("small", small_spec());
  std::vector<ys::engine::LoglikelihoodResult> first;
  const auto reqs = ll_requests();
  std::string url;
  {
    LiveServer srv(path);
    url = srv.base_url();
    RemoteOptions o = options_for(url);
    o.cache = &cache;
    RemoteModel remote(o);
    first = remote.loglikelihood(reqs);
    CHECK(remote.usage().cached == 0);
    CHECK(!cache.m.empty());
  }
  // The server is gone; the same requests are answered from the cache, with the same bits.
  RemoteOptions o = options_for(url);
  o.cache = &cache;
  o.probe = false;
  o.http.max_retries = 0;
  RemoteModel remote(o);
  remote.set_cache_scope("");
  const auto again = remote.loglikelihood(reqs);
  check_ll_equal(again, first);
  CHECK(remote.usage().cached == remote.usage().requests);
  // Another model name or scope misses.
  ys::engine::remote::CacheKey a{url, "synth", "{}", "p"}, b{url, "other", "{}", "p"}, c{url, "synth", "{}", "q"};
  CHECK(a.digest() != b.digest());
  CHECK(a.digest() != c.digest());
}
