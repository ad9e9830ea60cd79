// Default implementations of optional Model capabilities.
#include "engine/model/model.h"

#include "common/error.h"

namespace ys::engine {

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::stop_string: return "stop_string";
    case StopReason::eos: return "eos";
    case StopReason::max_tokens: return "max_tokens";
    case StopReason::context_full: return "context_full";
  }
  return "?";
}

void Model::next_token_logits(const std::vector<int32_t>& /*ids*/, const LogitsFn& /*fn*/) {
  fail(ErrorKind::unsupported, "{}: this engine does not expose next-token logits", info().path);
}

void Model::next_token_logits_from(const std::vector<int32_t>& ids, int64_t first, const LogitsFn& fn) {
  next_token_logits(ids, [&](int64_t pos, const float* logits, int64_t n_vocab) {
    if (pos >= first) fn(pos, logits, n_vocab);
  });
}

std::string Model::apply_chat_template(const std::vector<ChatMessage>& /*messages*/, const ChatOptions& /*options*/) const {
  fail(ErrorKind::unsupported, "{}: this engine does not render chat templates", info().path);
}

GenerateStats operator-(const GenerateStats& after, const GenerateStats& before) {
  GenerateStats d;
  d.prompt_tokens = after.prompt_tokens - before.prompt_tokens;
  d.reused_tokens = after.reused_tokens - before.reused_tokens;
  d.generated_tokens = after.generated_tokens - before.generated_tokens;
  d.prefill_steps = after.prefill_steps - before.prefill_steps;
  d.decode_steps = after.decode_steps - before.decode_steps;
  d.decode_rows = after.decode_rows - before.decode_rows;
  d.prefill_seconds = after.prefill_seconds - before.prefill_seconds;
  d.decode_seconds = after.decode_seconds - before.decode_seconds;
  return d;
}

std::vector<GenerateResult> Model::generate_streamed(const std::vector<GenerateRequest>& reqs, const DoneFn& on_done) {
  std::vector<GenerateResult> out = generate(reqs);
  for (size_t i = 0; i < out.size(); ++i) on_done(i, out[i]);
  return out;
}

}  // namespace ys::engine
