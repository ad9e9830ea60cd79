// The OpenAI-compatible request bodies `yardstick serve` accepts, parsed and bounded
// (untrusted input: fuzzed by fuzz/serve_request_fuzz.cpp). A body that is not valid
// JSON, has a field of the wrong type or a value out of range is ys::Error(invalid_input)
// with a message naming the field; the server answers it with 400.
//
// /v1/completions: model, prompt (string | [string] | [int] | [[int]]), max_tokens (16),
//   temperature (1), top_p (1), top_k (0, vLLM's extension), seed, stop (string | [string]),
//   echo, logprobs (0..20), prompt_logprobs (vLLM: 0..20), stream, n (1 only).
// /v1/chat/completions: model, messages [{role, content}], max_tokens | max_completion_tokens,
//   temperature, top_p, top_k, seed, stop, stream, n (1 only).
// /tokenize: prompt | content, add_special_tokens (true) | add_special. /detokenize: tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ys::serve {

struct Limits {
  size_t max_prompts = 64;         // prompts in one completions request
  size_t max_prompt_bytes = 1 << 20;
  size_t max_prompt_tokens = 1 << 20;
  size_t max_stop = 32;            // stop strings
  size_t max_stop_bytes = 256;
  size_t max_messages = 256;
  int max_logprobs = 20;
  int max_tokens = 1 << 16;
  int32_t n_vocab = 1 << 30;       // token ids must be below this
};

struct Prompt {
  std::string text;              // when given as text
  std::vector<int32_t> ids;      // when given as token ids
  bool is_ids = false;
};

struct ChatMessage {
  std::string role, content;
};

struct CompletionRequest {
  bool chat = false;
  std::string model;                  // "" when absent
  std::vector<Prompt> prompts;        // completions
  std::vector<ChatMessage> messages;  // chat
  std::optional<int> max_tokens;      // absent: 16 (completions) or the rest of the context (chat)
  double temperature = 1.0;
  double top_p = 1.0;
  int top_k = 0;
  uint64_t seed = 0;
  std::vector<std::string> stop;
  bool echo = false;
  std::optional<int> logprobs;         // completions: top alternatives per token
  std::optional<int> prompt_logprobs;  // vLLM
  bool stream = false;
  // Scoring: the answer needs per-token logprobs (logprobs or prompt_logprobs given).
  bool scoring() const { return logprobs.has_value() || prompt_logprobs.has_value(); }
};

CompletionRequest parse_completion_request(std::string_view body, bool chat, const Limits& limits);

struct TokenizeRequest {
  std::string text;
  bool add_special = true;
};
TokenizeRequest parse_tokenize_request(std::string_view body, const Limits& limits);
std::vector<int32_t> parse_detokenize_request(std::string_view body, const Limits& limits);

// {"error": {"message", "type", "code"}} as OpenAI sends it.
std::string error_body(const std::string& message, const std::string& type, int code);

}  // namespace ys::serve
