// A model served by an OpenAI-compatible server (vLLM, TGI, llama.cpp's server, an API, or
// `yardstick serve`) behind the Model interface.
//
// Loglikelihood (PROTOCOLS.md §1.3), as lm-eval's local-completions client: /v1/completions
// with echo + logprobs=1 + max_tokens=1, the prompt's token logprobs summed over the
// continuation, is_greedy when each continuation token's logprob equals the top logprob,
// the last (generated) entry dropped. The continuation's tokens are those of
// enc(context + continuation) past len(enc(context)): both strings go to the server in one
// request (prompt = [context, context + continuation_1, ...]) and the context's echoed
// token count is the split, so the server's own tokenizer and BOS rule decide, exactly as a
// local run splits. With logprobs = "prompt_logprobs" it reads vLLM's prompt_logprobs
// instead (the prompt token's rank 1 = greedy). An endpoint that returns no prompt logprobs
// is refused for loglikelihood with ys::Error(unsupported).
//
// Generation: /v1/completions or /v1/chat/completions (the prompt as one user message),
// with stop strings, max_tokens, temperature, top_p, seed; the text is cut at the earliest
// stop string here too, so a server that honours fewer stop strings gives the same text.
//
// Up to `concurrency` requests are in flight; retries are HttpClient's. A request that
// still fails returns results whose `error` holds the server's message (the caller marks
// those samples failed); the call itself throws only for misuse or a missing capability.
// Every successful response is stored in the ResponseCache (when one is given).
#pragma once

#include "engine/model/model.h"
#include "engine/remote/endpoint.h"
#include "engine/remote/http.h"
#include "engine/remote/openai_parse.h"
#include "engine/remote/response_cache.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ys::engine::remote {

// Bump when the requests this client builds or the way it reads responses change: cached
// responses of the old protocol then miss.
inline constexpr const char* kWireProtocol = "openai-client/1";

struct RemoteOptions {
  Endpoint endpoint;
  std::string api = "completions";  // completions | chat (generation; chat has no loglikelihood)
  std::string logprobs = "echo";    // echo | prompt_logprobs (vLLM)
  int concurrency = 8;              // requests in flight
  int max_stop = 0;                 // send at most this many stop strings (0 = all); the text is cut here anyway
  int max_prompts_per_request = 16; // loglikelihood: continuations sharing a context per request
  bool one_prompt_per_request = false;  // servers that take a single prompt (llama-cpp-python's)
  std::string extra_json;           // a JSON object merged into every request body (server-specific knobs)
  HttpOptions http;
  ResponseCache* cache = nullptr;   // not owned; may be null
  bool no_cache = false;            // do not read the cache (fresh answers are still stored)
  bool probe = true;                // check /v1/models when constructed
};

// Counters of the requests answered since construction.
struct RemoteUsage {
  int64_t requests = 0;          // answered requests (sent or cached)
  int64_t cached = 0;            // of which answered from the cache
  int64_t failed = 0;            // requests that failed after their retries
  int64_t retries = 0;
  int64_t prompt_tokens = 0;     // as the server reported them (cached answers included)
  int64_t completion_tokens = 0;
  int64_t sent_prompt_tokens = 0;      // those of requests sent in this process (what was paid for now)
  int64_t sent_completion_tokens = 0;
};
RemoteUsage operator-(const RemoteUsage& after, const RemoteUsage& before);

class RemoteModel final : public Model {
 public:
  // Throws ys::Error: invalid options, an unreachable server or (probe) a model it does not serve.
  explicit RemoteModel(RemoteOptions options);
  ~RemoteModel() override;

  const ModelInfo& info() const override { return info_; }
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs) override;
  std::vector<GenerateResult> generate(const std::vector<GenerateRequest>& reqs, TextSink sink = nullptr,
                                       void* user = nullptr) override;
  std::vector<GenerateResult> generate_streamed(const std::vector<GenerateRequest>& reqs, const DoneFn& on_done) override;
  // Needs token ids, which OpenAI responses do not carry: ys::Error(unsupported).
  std::vector<TokenLogprob> token_logprobs(const std::string& text) override;
  // Through the server's /tokenize and /detokenize (vLLM, yardstick serve); ys::Error(unsupported) without them.
  std::vector<int32_t> tokenize(const std::string& text, bool add_bos) const override;
  std::string detokenize(const std::vector<int32_t>& ids) const override;

  // Part of every cache key (e.g. the suite's name and protocol version).
  void set_cache_scope(const std::string& scope);
  RemoteUsage usage() const;
  const RemoteOptions& options() const { return opt_; }

  // The request bodies, exposed for tests (canonical JSON text, sorted keys).
  std::string loglikelihood_body(const std::string& context, const std::vector<std::string>& continuations) const;
  std::string generate_body(const GenerateRequest& r) const;

 private:
  struct Fetched {
    bool ok = false;
    std::string body, error;
    bool cached = false;
    long status = 0;  // HTTP status of a request sent (0: transport error or cached)
    CacheKey key;
  };
  Fetched fetch(const std::string& path, const std::string& body);
  void remember(const Fetched& f, const std::optional<Usage>& usage);
  void score_group(const std::string& context, const std::vector<std::string>& conts,
                   std::vector<LoglikelihoodResult>& out, long* status = nullptr);
  GenerateResult generate_one(const GenerateRequest& r);
  void check_loglikelihood_support();

  RemoteOptions opt_;
  ModelInfo info_;
  mutable HttpClient http_;
  mutable std::mutex mu_;
  std::string scope_;
  RemoteUsage usage_;
  bool ll_checked_ = false;
};

}  // namespace ys::engine::remote
