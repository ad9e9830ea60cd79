// HTTP for the remote client (libcurl): JSON POST/GET with a per-request timeout and
// retries with exponential backoff and full jitter on transport errors, timeouts, 408,
// 429 and 5xx, honouring Retry-After. After one request has used up its retries on
// transport errors (the server is gone), later requests get a single try each until one
// succeeds, so a dead server fails the rest of a run quickly instead of stalling it.
// The API key is sent as a Bearer header and appears in no message.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ys::engine::remote {

struct HttpOptions {
  double timeout_s = 300;        // whole request (connect + send + wait + read)
  double connect_timeout_s = 10;
  int max_retries = 6;           // tries after the first
  double backoff_base_s = 0.5;   // wait before retry k (0-based): U(0.5, 1) * min(max, base * 2^k)
  double backoff_max_s = 30;
  double retry_after_max_s = 120;  // a longer Retry-After is cut to this
  std::string api_key;           // empty: no Authorization header
  int64_t max_response_bytes = int64_t(256) << 20;
};

struct HttpResponse {
  bool ok = false;      // 2xx
  long status = 0;      // 0: no HTTP answer (transport error)
  std::string body;
  std::string error;    // when !ok: what went wrong, with the server's message when it sent one
  int attempts = 0;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse post_json(const std::string& url, const std::string& body);
  HttpResponse get(const std::string& url);
  // A single GET without retries (probes such as /tokenize support).
  HttpResponse get_once(const std::string& url);
  HttpResponse post_json_once(const std::string& url, const std::string& body);

  int64_t retries() const { return retries_.load(); }

 private:
  struct Handle;
  HttpResponse request(const std::string& url, const std::string* body, bool retry);
  HttpResponse perform(Handle& h, const std::string& url, const std::string* body, double& retry_after_s);
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> h);

  HttpOptions opt_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;  // easy handles kept for connection reuse
  std::atomic<bool> server_gone_{false};
  std::atomic<int64_t> retries_{0};
};

// The server's own words from an error body: OpenAI's {"error": {"message": ...}}, vLLM's
// {"message": ...}, or the first 300 bytes of the text.
std::string server_message(const std::string& body);

}  // namespace ys::engine::remote
