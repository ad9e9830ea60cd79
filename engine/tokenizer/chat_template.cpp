// Chat templates rendered with the Jinja renderer (see chat_template.h).
#include "engine/tokenizer/chat_template.h"

#include "common/error.h"
#include "engine/tokenizer/tokenizer.h"

#include <ctime>

namespace ys::tok {

jinja::Options chat_jinja_options() {
  jinja::Options o;
  o.trim_blocks = true;
  o.lstrip_blocks = true;
  return o;
}

jinja::Context chat_globals(int64_t now) {
  jinja::Context g;
  g["raise_exception"] = jinja::Value::callable("raise_exception", [](jinja::CallArgs& a) -> jinja::Value {
    throw jinja::TemplateError(a.positional.empty() ? std::string() : jinja::to_str(a.positional[0]));
  });
  const std::time_t t = now >= 0 ? static_cast<std::time_t>(now) : std::time(nullptr);
  g["strftime_now"] = jinja::Value::callable("strftime_now", [t](jinja::CallArgs& a) {
    const std::string fmt = a.positional.empty() ? std::string() : jinja::to_str(a.positional[0]);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[256];
    const size_t n = fmt.empty() ? 0 : std::strftime(buf, sizeof buf, fmt.c_str(), &tm);
    return jinja::Value(std::string(buf, n));
  });
  return g;
}

ChatTemplate::ChatTemplate(std::string source, jinja::Context special_tokens)
    : source_(std::move(source)),
      special_(std::move(special_tokens)),
      tpl_(std::make_shared<const jinja::Template>(source_, chat_jinja_options(), "chat template")) {}

ChatTemplate ChatTemplate::from_vocab(const Vocab& v) {
  if (v.chat_template.empty())
    fail(ErrorKind::unsupported, "the model has no chat template (GGUF key tokenizer.chat_template is absent or empty)");
  jinja::Context special;
  const std::pair<const char*, int32_t> ids[] = {
      {"bos_token", v.bos}, {"eos_token", v.eos}, {"unk_token", v.unk}, {"pad_token", v.pad}};
  for (const auto& [name, id] : ids) {
    if (id >= 0 && static_cast<size_t>(id) < v.tokens.size()) special[name] = jinja::Value(v.tokens[static_cast<size_t>(id)]);
  }
  return ChatTemplate(v.chat_template, std::move(special));
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, const ChatRenderOptions& options) const {
  jinja::Context ctx = chat_globals(options.now);
  for (const auto& [k, v] : special_) ctx[k] = v;
  jinja::ValueList msgs;
  for (const ChatMessage& m : messages) {
    msgs.push_back(jinja::Value::dict({{jinja::Value("role"), jinja::Value(m.role)},
                                       {jinja::Value("content"), jinja::Value(m.content)}}));
  }
  ctx["messages"] = jinja::Value::list(std::move(msgs));
  ctx["tools"] = jinja::Value::none();
  ctx["documents"] = jinja::Value::none();
  ctx["add_generation_prompt"] = jinja::Value(options.add_generation_prompt);
  for (const auto& [k, v] : options.extra) ctx[k] = v;
  return tpl_->render(ctx);
}

std::string apply_chat_template(const Vocab& v, const std::vector<ChatMessage>& msgs, bool add_generation_prompt) {
  ChatRenderOptions o;
  o.add_generation_prompt = add_generation_prompt;
  return ChatTemplate::from_vocab(v).render(msgs, o);
}

}  // namespace ys::tok
