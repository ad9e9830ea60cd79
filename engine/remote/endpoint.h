// Where a remote model lives: an OpenAI-compatible base URL (".../v1") and the served
// model name, parsed from `--model openai:URL#MODEL` or `--endpoint URL --remote-model NAME`.
#pragma once

#include <string>

namespace ys::engine::remote {

struct Endpoint {
  std::string base_url;  // "http://127.0.0.1:8080/v1": no trailing slash, no credentials
  std::string model;     // the served model name sent in every request
  std::string host;      // "127.0.0.1:8080" (for the run's hardware record)
  // "openai:URL#MODEL", the canonical spelling stored with a run.
  std::string spec() const;
  // The server root: base_url without a trailing "/v1" (where /tokenize and /health live).
  std::string root() const;
};

// True when `model` names a remote model ("openai:...").
bool is_remote_spec(const std::string& model);
// Parses "openai:URL#MODEL". Throws ys::Error(invalid_input) naming --model.
Endpoint parse_model_spec(const std::string& spec);
// Checks and normalises a URL and model name. Throws ys::Error(invalid_input) naming `flag`
// for a URL that is not http(s)://host[:port][/path], carries credentials, or an empty model.
Endpoint make_endpoint(const std::string& url, const std::string& model, const std::string& flag = "--endpoint");

}  // namespace ys::engine::remote
