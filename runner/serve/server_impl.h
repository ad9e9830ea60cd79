// Private: the state behind ys::serve::Server, shared by server.cpp (routes, HTTP) and
// server_completions.cpp (the completion endpoints).
#pragma once

#include "runner/serve/engine_worker.h"
#include "runner/serve/metrics.h"
#include "runner/serve/scoring.h"
#include "runner/serve/server.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace ys::serve {

// An answer that is not 200: the status and the message for the error body.
struct HttpError {
  int status;
  std::string message;
};

struct Server::Impl {
  Impl(engine::Model& m, const tok::Tokenizer& t, ServeOptions o);

  engine::Model& model;
  const tok::Tokenizer& tok;
  ServeOptions opt;
  Metrics metrics;
  EngineWorker worker;
  PromptScorer scorer;  // used on the engine thread only
  httplib::Server http;
  int port = 0;
  // Streams still writing from their own threads; the server waits for them on stop.
  std::mutex streams_mu;
  std::condition_variable streams_cv;
  int streams = 0;
  std::atomic<int64_t> next_id{1};

  std::vector<int32_t> encode_prompt(const std::string& text) const;  // the engine's BOS rule
  std::string piece(int32_t id) const;
  std::string new_id(const char* prefix);
  void completions(const httplib::Request& req, httplib::Response& res, bool chat);
  void scoring(const CompletionRequest& cr, httplib::Response& res);
  void generation(const CompletionRequest& cr, std::vector<std::string> prompts, httplib::Response& res);
  void stream(const CompletionRequest& cr, std::vector<engine::GenerateRequest> reqs, httplib::Response& res);
};

// Model text may hold invalid UTF-8 (a token split mid-character): sent as U+FFFD.
std::string dump_json(const nlohmann::json& j);
const char* finish_reason(engine::StopReason r);

}  // namespace ys::serve
