// libFuzzer entry point: an arbitrary HTTP body as a `yardstick serve` request (the parsers
// runner/serve/protocol.h applies before anything reaches the engine). ys::Error is the
// expected outcome for bad input; anything else (a crash, a sanitizer report, another
// exception type, a timeout or an out-of-memory) is a bug. The first byte picks the route.
#include "common/error.h"
#include "runner/serve/protocol.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  ys::serve::Limits limits;
  limits.n_vocab = 49152;
  try {
    switch (data[0] % 4) {
      case 0:
      case 1: {
        const auto r = ys::serve::parse_completion_request(body, data[0] % 4 == 1, limits);
        // The limits hold for whatever was accepted.
        if (r.prompts.size() > limits.max_prompts || r.stop.size() > limits.max_stop) __builtin_trap();
        for (const auto& p : r.prompts) {
          if (p.text.size() > limits.max_prompt_bytes || p.ids.size() > limits.max_prompt_tokens) __builtin_trap();
          for (int32_t id : p.ids)
            if (id < 0 || id >= limits.n_vocab) __builtin_trap();
        }
        if (r.max_tokens && (*r.max_tokens < 0 || *r.max_tokens > limits.max_tokens)) __builtin_trap();
        if (r.logprobs && (*r.logprobs < 0 || *r.logprobs > limits.max_logprobs)) __builtin_trap();
        if (!(r.top_p > 0 && r.top_p <= 1) || !(r.temperature >= 0)) __builtin_trap();
        if (r.chat && r.messages.empty()) __builtin_trap();
        break;
      }
      case 2:
        (void)ys::serve::parse_tokenize_request(body, limits);
        break;
      default: {
        const auto ids = ys::serve::parse_detokenize_request(body, limits);
        for (int32_t id : ids)
          if (id < 0 || id >= limits.n_vocab) __builtin_trap();
      }
    }
  } catch (const ys::Error&) {
    // expected for malformed input
  }
  return 0;
}
