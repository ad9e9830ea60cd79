// The request/response cache the remote client consults before sending a request. The
// client only sees this interface; the runner implements it over the result store
// (runner/store: table remote_cache), so a repeated or resumed run costs nothing.
//
// A key always includes the endpoint and the served model (lm-eval's cache keyed without
// the model served one model's answers to another: its issue #2715), the full canonical
// request JSON and a protocol string (the client's wire format and the suite's protocol
// version), so a change to any of them misses.
#pragma once

#include <optional>
#include <string>

namespace ys::engine::remote {

struct CacheKey {
  std::string endpoint;      // base URL
  std::string model;         // served model name
  std::string request_json;  // the exact request body sent (canonical: sorted keys)
  std::string protocol;      // e.g. "openai-client/1|mmlu@1"
  // sha256 over all four fields (length-prefixed, so no two keys collide by concatenation).
  std::string digest() const;
};

class ResponseCache {
 public:
  virtual ~ResponseCache() = default;
  // The stored response body for this key, or nothing. Must be safe to call from several
  // threads at once.
  virtual std::optional<std::string> get(const CacheKey& key) = 0;
  // Stores (or replaces) the response body of a successful request.
  virtual void put(const CacheKey& key, const std::string& response_body) = 0;
};

}  // namespace ys::engine::remote
