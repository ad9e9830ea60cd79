// lm-eval's prompt assembly (see fewshot_context.h).
#include "suites/prompt/fewshot_context.h"

#include "common/error.h"
#include "common/hash.h"
#include "suites/metrics/pystr.h"

#include <ctime>

namespace ys::suites {

namespace {

bool starts_with_space(const std::string& s) { return !s.empty() && metrics::py_space_len(s, 0) > 0; }
bool ends_with_space(const std::string& s) { return metrics::py_rstrip(s).size() < s.size(); }

// lm-eval's Message: role, content and the delimiter appended in plain text.
struct Message {
  std::string role, content, delimiter;
};

std::vector<Message> build_messages(const ContextParts& p, const ChatProtocol& chat) {
  std::vector<Message> msgs;
  const std::string system = maybe_delimit(chat.system_instruction, p.description, p.fewshot_delimiter);
  if (!system.empty()) msgs.push_back({"system", system, ""});
  for (const Shot& s : p.shots) {
    msgs.push_back({"user", s.question, p.target_delimiter});
    msgs.push_back({"assistant", s.answer, p.fewshot_delimiter});
  }
  msgs.push_back({"user", p.question, ""});
  return msgs;
}

std::string utc_date(int64_t now) {
  if (now < 0) return "";
  const auto t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

}  // namespace

std::string maybe_delimit(const std::optional<std::string>& prefix, const std::string& suffix,
                          const std::string& delimiter) {
  if (!prefix || prefix->empty()) return suffix;
  if (suffix.empty()) return *prefix;
  if (ends_with_space(*prefix) || starts_with_space(suffix)) return *prefix + suffix;
  return *prefix + delimiter + suffix;
}

void ChatProtocol::validate(const std::string& suite) const {
  if (fewshot_as_multiturn && !apply)
    fail(ErrorKind::invalid_input, "{}: --fewshot-as-multiturn needs --chat-template (as lm-eval's "
         "--fewshot_as_multiturn needs --apply_chat_template)", suite);
  if (apply && !render) fail(ErrorKind::internal, "{}: chat template requested but no renderer was given", suite);
}

nlohmann::json ChatProtocol::describe() const {
  nlohmann::json j = {{"chat_template", apply}, {"fewshot_as_multiturn", fewshot_as_multiturn},
                      {"system_instruction", system_instruction ? nlohmann::json(*system_instruction) : nlohmann::json()}};
  if (apply) {
    j["chat_template_sha256"] = template_sha256;
    j["chat_template_now"] = utc_date(now);
    j["chat_rendering"] = "lm-eval 0.4.13 fewshot_context + transformers apply_chat_template(tokenize=False); "
                          "system message dropped and rendered again if the template raises";
  }
  return j;
}

std::string ChatProtocol::version_suffix() const {
  std::string s;
  if (apply) s += fewshot_as_multiturn ? "+chat-multiturn" : "+chat";
  if (system_instruction) s += "+sys";
  return s;
}

ChatProtocol chat_protocol(const TaskOptions& o, const std::string& suite) {
  ChatProtocol c;
  c.apply = o.chat_template;
  c.fewshot_as_multiturn = o.fewshot_as_multiturn;
  c.system_instruction = o.system_instruction;
  c.render = o.chat_render;
  c.now = o.chat_now;
  if (c.apply) c.template_sha256 = sha256_hex(o.chat_template_source);
  c.validate(suite);
  return c;
}

std::vector<engine::ChatMessage> chat_messages(const ContextParts& p, const ChatProtocol& chat) {
  std::vector<Message> msgs = build_messages(p, chat);
  std::vector<engine::ChatMessage> out;
  if (chat.fewshot_as_multiturn) {
    for (const Message& m : msgs) out.push_back({m.role, m.content});
    return out;
  }
  // multiturn_to_singleturn: the system message stays; everything else becomes one user
  // message, the plain-text concatenation (the last message's delimiter is "").
  size_t first = 0;
  if (msgs.front().role == "system") {
    out.push_back({"system", msgs.front().content});
    first = 1;
  }
  std::string user;
  for (size_t i = first; i < msgs.size(); ++i) user += msgs[i].content + (i + 1 < msgs.size() ? msgs[i].delimiter : "");
  out.push_back({"user", user});
  return out;
}

std::string fewshot_context(const ContextParts& p, const ChatProtocol& chat) {
  if (!chat.apply) {
    std::string out;
    for (const Message& m : build_messages(p, chat)) out += m.content + m.delimiter;
    return out;
  }
  std::vector<engine::ChatMessage> msgs = chat_messages(p, chat);
  try {
    return chat.render(msgs, true);
  } catch (const engine::ChatTemplateError&) {
    // lm-eval's HFLM.apply_chat_template: on jinja2's TemplateError, drop the system role.
    std::vector<engine::ChatMessage> kept;
    for (auto& m : msgs)
      if (m.role != "system") kept.push_back(std::move(m));
    try {
      return chat.render(kept, true);
    } catch (const engine::ChatTemplateError& e) {
      fail(ErrorKind::invalid_input, "the model's chat template raised, with and without the system message: {}",
           e.what());
    }
  }
}

std::string choice_delimiter(const ContextParts& p, const ChatProtocol& chat) {
  return chat.apply ? std::string() : p.target_delimiter;
}

}  // namespace ys::suites
