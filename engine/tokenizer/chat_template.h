// Chat templates: a model's own template (GGUF tokenizer.chat_template, the Jinja source of
// Hugging Face's tokenizer_config.json "chat_template") rendered exactly as transformers'
// tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=...) renders
// it: jinja2's sandbox with trim_blocks, lstrip_blocks and loop controls; the variables
// messages, add_generation_prompt, tools (None), documents (None) and the special tokens
// (bos_token, eos_token, unk_token, pad_token); the globals raise_exception and
// strftime_now. One mechanism below `generate --chat`, `tokenize --chat` and the suites'
// chat protocols (through engine/model/model.h).
#pragma once

#include "engine/tokenizer/jinja/jinja.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ys::tok {

struct Vocab;

struct ChatMessage {
  std::string role, content;
};

struct ChatRenderOptions {
  bool add_generation_prompt = true;
  // strftime_now()'s clock, in seconds since the epoch (formatted in UTC); -1 = the current
  // time. transformers uses the local clock; suites pin one instant per run and record it.
  int64_t now = -1;
  jinja::Context extra;  // further template variables (e.g. enable_thinking)
};

// The jinja2 environment options transformers renders chat templates with.
jinja::Options chat_jinja_options();
// transformers' template globals: raise_exception(msg) and strftime_now(format) at `now`.
jinja::Context chat_globals(int64_t now);

class ChatTemplate {
 public:
  // Parses `source`; a construct the renderer does not implement is refused here with
  // ys::Error(unsupported) naming it and its line. `special_tokens` maps bos_token etc.
  ChatTemplate(std::string source, jinja::Context special_tokens);
  // The vocabulary's template and special tokens. Throws ys::Error(unsupported) when the
  // model has no chat template (tokenizer.chat_template is absent or empty).
  static ChatTemplate from_vocab(const Vocab& v);

  // Throws jinja::TemplateError when the template raises (raise_exception, undefined value),
  // ys::Error(invalid_input) for other render failures.
  std::string render(const std::vector<ChatMessage>& messages, const ChatRenderOptions& options) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  jinja::Context special_;
  std::shared_ptr<const jinja::Template> tpl_;
};

}  // namespace ys::tok
