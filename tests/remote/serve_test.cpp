// `yardstick serve` as an HTTP server: bad requests get 4xx with a message (never a crash),
// streaming, tokenize/detokenize, metrics, concurrent clients sharing engine calls, and the
// scoring arithmetic against the engine's own.
#include "engine/backend/cpu/cpu_model.h"
#include "runner/serve/protocol.h"
#include "runner/serve/scoring.h"
#include "tests/remote/live_server.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <random>
#include <thread>

using namespace remote_test;
using nlohmann::json;

namespace {

httplib::Result post(httplib::Client& c, const std::string& path, const std::string& body) {
  return c.Post(path.c_str(), body, "application/json");
}

std::string error_message(const httplib::Result& r) {
  const json j = json::parse(r->body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].value("message", "") : "";
}

}  // namespace

TEST_CASE("serve answers malformed and unsupported requests with 4xx and a message", "[remote][serve]") {
  ys::serve::ServeOptions o;
  o.max_body_bytes = 4096;
  LiveServer srv(synth_model("small", small_spec()), o);
  httplib::Client c("127.0.0.1", srv.port());
  struct Case {
    const char* path;
    std::string body;
    int status;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"/v1/completions", "{not json", 400, "not valid JSON"},
      {"/v1/completions", "[1,2]", 400, "expected a JSON object"},
      {"/v1/completions", R"({"prompt": 3})", 400, "\"prompt\""},
      {"/v1/completions", R"({"model": "synth"})", 400, "\"prompt\": missing"},
      {"/v1/completions", R"({"prompt": "a", "max_tokens": -1})", 400, "\"max_tokens\""},
      {"/v1/completions", R"({"prompt": "a", "max_tokens": "5"})", 400, "\"max_tokens\""},
      {"/v1/completions", R"({"prompt": "a", "temperature": 1e999})", 400, "not valid JSON"},
      {"/v1/completions", R"({"prompt": "a", "n": 2})", 400, "\"n\""},
      {"/v1/completions", R"({"prompt": [1, 2, 99999]})", 400, "token id"},
      {"/v1/completions", R"({"prompt": "a", "logprobs": 1, "max_tokens": 5})", 400, "max_tokens 0 or 1"},
      {"/v1/completions", R"({"prompt": "a", "logprobs": 50, "max_tokens": 1})", 400, "\"logprobs\""},
      {"/v1/completions", R"({"prompt": "a", "model": "gpt-4"})", 404, "not served here"},
      {"/v1/completions", R"({"prompt": "a", "stop": [1]})", 400, "\"stop\"[0]"},
      {"/v1/completions", "{\"prompt\": \"" + std::string(5000, 'x') + "\"}", 413, "larger than the limit"},
      {"/v1/chat/completions", R"({"messages": []})", 400, "\"messages\""},
      {"/v1/chat/completions", R"({"messages": [{"role": "user"}]})", 400, "\"content\""},
      {"/tokenize", R"({"prompt": 5})", 400, "\"prompt\""},
      {"/detokenize", R"({"tokens": [-1]})", 400, "token id"},
      {"/v1/nothing", "{}", 404, "no route"},
  };
  for (const Case& k : cases) {
    INFO(k.path << " " << k.body.substr(0, 80));
    auto r = post(c, k.path, k.body);
    REQUIRE(r);
    CHECK(r->status == k.status);
    CHECK_THAT(error_message(r), Catch::Contains(k.says));
  }
  auto ok = post(c, "/v1/completions", R"({"prompt": "The quick", "max_tokens": 3, "temperature": 0})");
  REQUIRE(ok);
  CHECK(ok->status == 200);  // the server still serves after all of that
}

TEST_CASE("serve streams, tokenizes, lists, reports metrics and batches concurrent clients", "[remote][serve]") {
  LiveServer srv(synth_model("small", small_spec()));
  httplib::Client c("127.0.0.1", srv.port());
  c.set_read_timeout(60);
  const std::string req = R"({"prompt": "The quick brown fox", "max_tokens": 24, "temperature": 0, "stop": ["zz"]})";
  auto whole = post(c, "/v1/completions", req);
  REQUIRE(whole);
  REQUIRE(whole->status == 200);
  const json wj = json::parse(whole->body);
  const std::string text = wj["choices"][0]["text"];
  CHECK(wj["usage"]["completion_tokens"].get<int>() > 0);
  // The same request streamed: the pieces add up to the same text, then [DONE].
  json sreq = json::parse(req);
  sreq["stream"] = true;
  auto streamed = post(c, "/v1/completions", sreq.dump());
  REQUIRE(streamed);
  CHECK(streamed->status == 200);
  CHECK(streamed->get_header_value("Content-Type").find("text/event-stream") != std::string::npos);
  std::string joined, finish;
  int events = 0;
  size_t at = 0;
  while ((at = streamed->body.find("data: ", at)) != std::string::npos) {
    const size_t end = streamed->body.find("\n\n", at);
    const std::string data = streamed->body.substr(at + 6, end - at - 6);
    at = end;
    if (data == "[DONE]") break;
    const json e = json::parse(data);
    joined += e["choices"][0]["text"].get<std::string>();
    if (!e["choices"][0]["finish_reason"].is_null()) finish = e["choices"][0]["finish_reason"];
    ++events;
  }
  CHECK(joined == text);
  CHECK(events > 2);  // more than one piece of text, then the finish event
  CHECK(finish == wj["choices"][0]["finish_reason"].get<std::string>());
  CHECK(streamed->body.find("data: [DONE]") != std::string::npos);
  // Tokenize / detokenize round trip; the BOS rule of the engine (add_bos in the synth vocab).
  auto t = post(c, "/tokenize", R"({"prompt": "hello world"})");
  REQUIRE(t);
  const auto ids = json::parse(t->body)["tokens"].get<std::vector<int32_t>>();
  CHECK(ids == srv.model->encode_input("hello world"));
  auto d = post(c, "/detokenize", json{{"tokens", std::vector<int32_t>(ids.begin() + 1, ids.end())}}.dump());
  REQUIRE(d);
  CHECK(json::parse(d->body)["prompt"] == "hello world");
  auto models = c.Get("/v1/models");
  REQUIRE(models);
  CHECK(json::parse(models->body)["data"][0]["id"] == "synth");
  CHECK(json::parse(models->body)["data"][0]["yardstick"]["sha256"] == srv.model->info().sha256);
  // Concurrent clients: while one long request runs, the others queue and share engine calls.
  const int n = 8;
  std::vector<std::thread> clients;
  std::vector<int> status(n + 1, 0);
  clients.emplace_back([&] {
    httplib::Client cl("127.0.0.1", srv.port());
    cl.set_read_timeout(60);
    auto r = post(cl, "/v1/completions", R"({"prompt": "for i in", "max_tokens": 900, "temperature": 0})");
    status[n] = r ? r->status : -1;
  });
  // Wait until the long request is being handled (this /metrics request is the other one).
  for (int tries = 0; tries < 500; ++tries) {
    auto m = c.Get("/metrics");
    if (m && m->body.find("yardstick_requests_in_flight 2") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (int i = 0; i < n; ++i)
    clients.emplace_back([&, i] {
      httplib::Client cl("127.0.0.1", srv.port());
      cl.set_read_timeout(60);
      auto r = post(cl, "/v1/completions",
                    json{{"prompt", "Question " + std::to_string(i)}, {"max_tokens", 8}, {"temperature", 0}}.dump());
      status[size_t(i)] = r ? r->status : -1;
    });
  for (auto& th : clients) th.join();
  for (int s : status) CHECK(s == 200);
  auto m = c.Get("/metrics");
  REQUIRE(m);
  const std::string& mt = m->body;
  CHECK(mt.find("yardstick_requests_total{route=\"/v1/completions\",code=\"200\"}") != std::string::npos);
  CHECK(mt.find("yardstick_request_duration_seconds_bucket{route=\"/v1/completions\",le=\"+Inf\"}") != std::string::npos);
  CHECK(mt.find("yardstick_queue_depth 0") != std::string::npos);
  CHECK(mt.find("yardstick_completion_tokens_total") != std::string::npos);
  // Engine calls: fewer than generation requests (2 + 1 + n) when clients share them.
  const size_t p = mt.find("yardstick_engine_batch_size_count ");
  REQUIRE(p != std::string::npos);
  const long calls = std::stol(mt.substr(p + 34));
  INFO(mt.substr(mt.find("yardstick_engine_batch_size_bucket")));
  CHECK(calls < 3 + n);
}

TEST_CASE("serve's scoring rows use the engine's loglikelihood arithmetic", "[remote][serve]") {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 4.0f);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> logits(1000);
    for (float& l : logits) l = dist(rng);
    if (trial % 5 == 0) logits[17] = logits[3] = 30.0f;  // a tie at the top: the lowest id wins
    for (int32_t target : {0, 3, 17, 999, int32_t(trial)}) {
      const ys::engine::RowStats ref = ys::engine::row_stats(logits.data(), int64_t(logits.size()), target);
      const ys::serve::TokenRow row = ys::serve::summarize_row(logits.data(), int64_t(logits.size()), target, 5);
      CHECK(row.logprob == ref.logprob);               // bitwise
      CHECK(row.top[0].id == ref.argmax);
      CHECK((row.rank == 1) == (target == ref.argmax));
      for (size_t k = 1; k < row.top.size(); ++k) CHECK(row.top[k - 1].logprob >= row.top[k].logprob);
    }
  }
}

TEST_CASE("request parsing is bounded", "[remote][serve]") {
  ys::serve::Limits lim;
  lim.max_prompts = 2;
  lim.max_stop = 1;
  lim.n_vocab = 100;
  using ys::serve::parse_completion_request;
  CHECK_THROWS_WITH(parse_completion_request(R"({"prompt": ["a", "b", "c"]})", false, lim), Catch::Contains("3 prompts"));
  CHECK_THROWS_WITH(parse_completion_request(R"({"prompt": "a", "stop": ["x", "y"]})", false, lim),
                    Catch::Contains("2 strings"));
  const auto r = parse_completion_request(R"({"prompt": [[1, 2], [3]], "echo": true, "logprobs": 1, "max_tokens": 1,
                                             "temperature": 0, "seed": 5, "stop": "x"})",
                                          false, lim);
  REQUIRE(r.prompts.size() == 2);
  CHECK(r.prompts[0].is_ids);
  CHECK(r.prompts[0].ids == std::vector<int32_t>{1, 2});
  CHECK(r.scoring());
  CHECK(r.seed == 5);
  CHECK(r.stop == std::vector<std::string>{"x"});
  const auto chat = parse_completion_request(
      R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_completion_tokens": 7})",
      true, lim);
  CHECK(chat.messages[0].content == "hi");
  CHECK(chat.max_tokens == 7);
}
