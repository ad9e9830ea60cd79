// `yardstick serve`: an engine model behind an OpenAI-compatible HTTP API (cpp-httplib).
//
//   GET  /health, /metrics (Prometheus text), /v1/models, /tokenizer_info
//   POST /v1/completions (echo, logprobs, vLLM's prompt_logprobs, SSE streaming),
//        /v1/chat/completions (the model's chat template, SSE streaming),
//        /tokenize, /detokenize (vLLM's shapes; lm-eval's remote tokenizer uses them)
//
// Generation requests of concurrent clients share the engine's continuous batching
// (EngineWorker). Scoring requests (logprobs) use the engine's loglikelihood arithmetic
// (scoring.h), so a remote client reproduces a local run's numbers bit for bit. Bodies are
// bounded (413 past the limit); malformed JSON or a bad field is a 400 with a message; any
// failure inside a request is that request's 4xx/5xx, never the server's end.
#pragma once

#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "runner/serve/protocol.h"

#include <memory>
#include <string>

namespace ys::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                  // 0: any free port (see Server::port())
  std::string served_name;          // the "model" clients name
  std::string bos = "auto";         // how text prompts are tokenized: as the engine does (LoadOptions::bos)
  std::string api_key;              // non-empty: requests need "Authorization: Bearer <key>"
  size_t max_body_bytes = 16 << 20;
  size_t http_threads = 32;         // connections handled at once (streams hold one each)
  Limits limits;
};

class Server {
 public:
  // `model` and `tokenizer` must outlive the server. Binds the port (throws ys::Error(io)
  // when it cannot).
  Server(engine::Model& model, const tok::Tokenizer& tokenizer, ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Serves until stop() (from another thread or a signal handler's thread).
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ys::serve
