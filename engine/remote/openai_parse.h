// Parsers of OpenAI-compatible responses (untrusted input: every field is type-checked,
// array lengths agree, indices are in range). A malformed body is ys::Error(format) naming
// the field; nothing here crashes on bad input (fuzzed by fuzz/openai_response_fuzz.cpp).
//
//   /v1/completions: choices[].{index, text, finish_reason, stop_reason (vLLM),
//                    logprobs{tokens, token_logprobs, top_logprobs, text_offset},
//                    prompt_logprobs (vLLM)}, usage{prompt_tokens, completion_tokens}
//   /v1/chat/completions: choices[].{index, message{content}, finish_reason}, usage
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ys::engine::remote {

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

// OpenAI's legacy "logprobs" object of one choice (with echo it covers the prompt too).
struct TokenLogprobs {
  std::vector<std::string> tokens;
  std::vector<std::optional<double>> logprob;  // null for the first prompt token
  std::vector<std::optional<double>> top_max;  // max over top_logprobs[i]; null when absent/empty
};

// vLLM's prompt_logprobs entry for one prompt position: the prompt token is the first key.
struct PromptLogprob {
  int64_t token_id = 0;
  double logprob = 0;
  int64_t rank = 0;  // 1 = the most likely token
};

struct Choice {
  size_t index = 0;
  std::string text;
  std::string finish_reason;              // "stop", "length", ... ("" when null)
  std::optional<std::string> stop_string;  // vLLM's stop_reason when it is the matched stop string
  std::optional<TokenLogprobs> logprobs;
  // Present when the server returned prompt_logprobs: null for position 0, then one entry each.
  std::optional<std::vector<std::optional<PromptLogprob>>> prompt_logprobs;
};

struct CompletionResponse {
  std::vector<Choice> choices;  // sorted by index, which runs 0..n-1
  std::optional<Usage> usage;
};

// A /v1/completions body. `chat` = a /v1/chat/completions body (text from message.content).
CompletionResponse parse_completion_response(std::string_view body, bool chat = false);

// A /tokenize body: {"tokens": [ints]} (vLLM, llama.cpp's server and yardstick serve).
std::vector<int32_t> parse_tokenize_response(std::string_view body);

// A /v1/models body: the ids listed, and for `model` the context length the server
// states (vLLM's max_model_len) and yardstick serve's extras, when present.
struct ServedModel {
  bool listed = false;
  int64_t max_model_len = 0;
  std::string sha256, weight_type, architecture;
};
ServedModel parse_models_response(std::string_view body, const std::string& model, std::vector<std::string>* ids);

}  // namespace ys::engine::remote
