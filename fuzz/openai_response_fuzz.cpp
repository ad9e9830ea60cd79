// libFuzzer entry point: an arbitrary body as an OpenAI-compatible server's response to the
// remote client (engine/remote/openai_parse.h). ys::Error is the expected outcome for bad
// input; anything else is a bug. The first byte picks the parser.
#include "common/error.h"
#include "engine/remote/openai_parse.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0:
      case 1: {
        const auto r = ys::engine::remote::parse_completion_response(body, data[0] % 4 == 1);
        for (size_t i = 0; i < r.choices.size(); ++i) {
          const auto& c = r.choices[i];
          if (c.index != i) __builtin_trap();  // sorted, 0..n-1
          if (c.logprobs && (c.logprobs->logprob.size() != c.logprobs->tokens.size() ||
                             c.logprobs->top_max.size() != c.logprobs->tokens.size()))
            __builtin_trap();
        }
        if (r.usage && (r.usage->prompt_tokens < 0 || r.usage->completion_tokens < 0)) __builtin_trap();
        break;
      }
      case 2:
        (void)ys::engine::remote::parse_tokenize_response(body);
        break;
      default: {
        std::vector<std::string> ids;
        (void)ys::engine::remote::parse_models_response(body, "m", &ids);
      }
    }
  } catch (const ys::Error&) {
    // expected for malformed input
  }
  return 0;
}
