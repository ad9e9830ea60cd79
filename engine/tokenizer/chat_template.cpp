// Chat templates for the common families, recognised from the Jinja source in
// tokenizer.chat_template and rendered natively (no Jinja interpreter):
//   ChatML (SmolLM2, Qwen): <|im_start|>{role}\n{content}<|im_end|>\n ... ; a default system
//     message written literally in the template is inserted when the first message is not
//     a system one (SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
//   Llama 3: <|begin_of_text|><|start_header_id|>{role}<|end_header_id|>\n\n{content|trim}<|eot_id|>
//   Llama 2: <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s><s>[INST] ...
//   Mistral: <s>[INST] {user} [/INST]{assistant}</s>[INST] ...
#include "engine/tokenizer/tokenizer.h"

#include <optional>

namespace ys::tok {

namespace {

enum class Family { chatml, llama3, llama2, mistral };

Family detect(const std::string& t) {
  if (t.find("<|start_header_id|>") != std::string::npos) return Family::llama3;
  if (t.find("[INST]") != std::string::npos) {
    return t.find("<<SYS>>") != std::string::npos ? Family::llama2 : Family::mistral;
  }
  return Family::chatml;
}

std::string strip(std::string_view s) {
  const char* ws = " \t\n\r\v\f";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

// The literal default system message of a ChatML template, if it has one: the text
// after "<|im_start|>system" + newline (real or the escape "\n") up to "<|im_end|>",
// provided it contains no template syntax.
std::optional<std::string> default_system(const std::string& t) {
  const std::string head = "<|im_start|>system";
  for (size_t pos = t.find(head); pos != std::string::npos; pos = t.find(head, pos + 1)) {
    size_t p = pos + head.size();
    if (t.compare(p, 1, "\n") == 0) {
      p += 1;
    } else if (t.compare(p, 2, "\\n") == 0) {
      p += 2;
    } else {
      continue;
    }
    const size_t end = t.find("<|im_end|>", p);
    if (end == std::string::npos) continue;
    const std::string body = t.substr(p, end - p);
    if (body.empty() || body.find_first_of("{}'\"+") != std::string::npos) continue;
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == 'n') {
        out.push_back('\n');
        ++i;
      } else {
        out.push_back(body[i]);
      }
    }
    return out;
  }
  return std::nullopt;
}

std::string token_or(const Vocab& v, int32_t id, const char* fallback) {
  return id >= 0 && static_cast<size_t>(id) < v.tokens.size() ? v.tokens[id] : std::string(fallback);
}

std::string render_chatml(const Vocab& v, const std::vector<ChatMessage>& msgs, bool gen) {
  std::string out;
  const auto sys = default_system(v.chat_template);
  if (sys && !msgs.empty() && msgs[0].role != "system") out += "<|im_start|>system\n" + *sys + "<|im_end|>\n";
  for (const auto& m : msgs) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (gen) out += "<|im_start|>assistant\n";
  return out;
}

std::string render_llama3(const Vocab& v, const std::vector<ChatMessage>& msgs, bool gen) {
  std::string out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i == 0) out += token_or(v, v.bos, "<|begin_of_text|>");
    out += "<|start_header_id|>" + msgs[i].role + "<|end_header_id|>\n\n" + strip(msgs[i].content) + "<|eot_id|>";
  }
  if (gen) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string render_inst(const Vocab& v, const std::vector<ChatMessage>& msgs, bool llama2) {
  const std::string bos = token_or(v, v.bos, "<s>");
  const std::string eos = token_or(v, v.eos, "</s>");
  size_t first = 0;
  std::string system;
  if (!msgs.empty() && msgs[0].role == "system") {
    system = msgs[0].content;
    first = 1;
  }
  std::string out = llama2 ? "" : bos;
  for (size_t i = first; i < msgs.size(); ++i) {
    std::string content = msgs[i].content;
    if (i == first && first == 1) {
      content = llama2 ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content : system + "\n\n" + content;
    }
    if (msgs[i].role == "user") {
      out += llama2 ? bos + "[INST] " + strip(content) + " [/INST]" : "[INST] " + content + " [/INST]";
    } else if (msgs[i].role == "assistant") {
      out += llama2 ? " " + strip(content) + " " + eos : content + eos;
    }
  }
  return out;
}

}  // namespace

std::string apply_chat_template(const Vocab& v, const std::vector<ChatMessage>& msgs, bool add_generation_prompt) {
  switch (detect(v.chat_template)) {
    case Family::llama3: return render_llama3(v, msgs, add_generation_prompt);
    case Family::llama2: return render_inst(v, msgs, true);
    case Family::mistral: return render_inst(v, msgs, false);
    case Family::chatml: break;
  }
  return render_chatml(v, msgs, add_generation_prompt);
}

}  // namespace ys::tok
