#include "runner/serve/protocol.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

namespace ys::serve {

namespace {

using nlohmann::json;

json parse_object(std::string_view body, const char* what) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) fail(ErrorKind::invalid_input, "{}: the request body is not valid JSON", what);
  if (!j.is_object()) fail(ErrorKind::invalid_input, "{}: expected a JSON object", what);
  return j;
}

const json* get(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& j, const char* key, double lo, double hi, double def) {
  const json* v = get(j, key);
  if (v == nullptr) return def;
  if (!v->is_number()) fail(ErrorKind::invalid_input, "\"{}\": expected a number", key);
  const double d = v->get<double>();
  if (!(d >= lo && d <= hi)) fail(ErrorKind::invalid_input, "\"{}\": expected a number in [{}, {}], got {}", key, lo, hi, d);
  return d;
}

std::optional<int64_t> integer(const json& j, const char* key, int64_t lo, int64_t hi) {
  const json* v = get(j, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean() || !(v->is_number_integer() || (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>())))
    fail(ErrorKind::invalid_input, "\"{}\": expected an integer", key);
  const double d = v->get<double>();
  if (!(d >= double(lo) && d <= double(hi)))
    fail(ErrorKind::invalid_input, "\"{}\": expected an integer in [{}, {}], got {}", key, lo, hi, v->dump());
  return v->is_number_unsigned() ? int64_t(v->get<uint64_t>()) : v->is_number_integer() ? v->get<int64_t>() : int64_t(d);
}

bool boolean(const json& j, const char* key, bool def) {
  const json* v = get(j, key);
  if (v == nullptr) return def;
  if (!v->is_boolean()) fail(ErrorKind::invalid_input, "\"{}\": expected true or false", key);
  return v->get<bool>();
}

std::string text(const json& v, const std::string& where, size_t max_bytes) {
  if (!v.is_string()) fail(ErrorKind::invalid_input, "{}: expected a string", where);
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() > max_bytes) fail(ErrorKind::invalid_input, "{}: {} bytes, more than the limit of {}", where, s.size(), max_bytes);
  return s;
}

std::vector<int32_t> token_ids(const json& v, const std::string& where, const Limits& limits) {
  if (v.size() > limits.max_prompt_tokens)
    fail(ErrorKind::invalid_input, "{}: {} tokens, more than the limit of {}", where, v.size(), limits.max_prompt_tokens);
  std::vector<int32_t> ids;
  ids.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const json& t = v[i];
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= limits.n_vocab)
      fail(ErrorKind::invalid_input, "{}[{}]: expected a token id in [0, {})", where, i, limits.n_vocab);
    ids.push_back(int32_t(t.get<int64_t>()));
  }
  return ids;
}

Prompt prompt_of(const json& v, const std::string& where, const Limits& limits) {
  Prompt p;
  if (v.is_string()) {
    p.text = text(v, where, limits.max_prompt_bytes);
  } else if (v.is_array()) {
    p.ids = token_ids(v, where, limits);
    p.is_ids = true;
  } else {
    fail(ErrorKind::invalid_input, "{}: expected a string or an array of token ids", where);
  }
  return p;
}

std::vector<Prompt> prompts_of(const json& j, const Limits& limits) {
  const json* v = get(j, "prompt");
  if (v == nullptr) fail(ErrorKind::invalid_input, "\"prompt\": missing");
  std::vector<Prompt> out;
  if (v->is_string()) {
    out.push_back(prompt_of(*v, "\"prompt\"", limits));
  } else if (v->is_array()) {
    if (v->empty()) fail(ErrorKind::invalid_input, "\"prompt\": an empty array");
    const bool many = (*v)[0].is_string() || (*v)[0].is_array();
    if (!many) {
      out.push_back(prompt_of(*v, "\"prompt\"", limits));  // one prompt of token ids
    } else {
      if (v->size() > limits.max_prompts)
        fail(ErrorKind::invalid_input, "\"prompt\": {} prompts, more than the limit of {}", v->size(), limits.max_prompts);
      for (size_t i = 0; i < v->size(); ++i) out.push_back(prompt_of((*v)[i], "\"prompt\"[" + std::to_string(i) + "]", limits));
    }
  } else {
    fail(ErrorKind::invalid_input, "\"prompt\": expected a string, an array of strings or of token ids");
  }
  return out;
}

std::vector<std::string> stops_of(const json& j, const Limits& limits) {
  const json* v = get(j, "stop");
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) {
    out.push_back(text(*v, "\"stop\"", limits.max_stop_bytes));
  } else if (v->is_array()) {
    if (v->size() > limits.max_stop)
      fail(ErrorKind::invalid_input, "\"stop\": {} strings, more than the limit of {}", v->size(), limits.max_stop);
    for (size_t i = 0; i < v->size(); ++i) out.push_back(text((*v)[i], "\"stop\"[" + std::to_string(i) + "]", limits.max_stop_bytes));
  } else {
    fail(ErrorKind::invalid_input, "\"stop\": expected a string or an array of strings");
  }
  return out;
}

// Options that would change an answer and that this server does not implement: refused
// rather than ignored.
void refuse_unsupported(const json& j) {
  if (auto n = integer(j, "n", 0, 1 << 20); n && *n != 1) fail(ErrorKind::invalid_input, "\"n\": only 1 is supported, got {}", *n);
  if (auto b = integer(j, "best_of", 0, 1 << 20); b && *b != 1)
    fail(ErrorKind::invalid_input, "\"best_of\": only 1 is supported, got {}", *b);
  for (const char* key : {"presence_penalty", "frequency_penalty", "repetition_penalty"}) {
    const double neutral = std::string(key) == "repetition_penalty" ? 1.0 : 0.0;
    if (number(j, key, -1e9, 1e9, neutral) != neutral)
      fail(ErrorKind::invalid_input, "\"{}\": not supported (only {} is)", key, neutral);
  }
  for (const char* key : {"logit_bias", "tools", "functions", "response_format", "suffix", "guided_json", "guided_regex"}) {
    const json* v = get(j, key);
    if (v != nullptr && !(v->is_object() && v->empty()) && !(v->is_array() && v->empty()))
      fail(ErrorKind::invalid_input, "\"{}\": not supported by yardstick serve", key);
  }
}

}  // namespace

CompletionRequest parse_completion_request(std::string_view body, bool chat, const Limits& limits) {
  const json j = parse_object(body, chat ? "/v1/chat/completions" : "/v1/completions");
  CompletionRequest r;
  r.chat = chat;
  if (const json* m = get(j, "model")) r.model = text(*m, "\"model\"", 1024);
  refuse_unsupported(j);
  if (chat) {
    const json* msgs = get(j, "messages");
    if (msgs == nullptr || !msgs->is_array() || msgs->empty())
      fail(ErrorKind::invalid_input, "\"messages\": expected a non-empty array of {{\"role\", \"content\"}}");
    if (msgs->size() > limits.max_messages)
      fail(ErrorKind::invalid_input, "\"messages\": {} messages, more than the limit of {}", msgs->size(), limits.max_messages);
    for (size_t i = 0; i < msgs->size(); ++i) {
      const json& m = (*msgs)[i];
      const std::string where = "\"messages\"[" + std::to_string(i) + "]";
      if (!m.is_object()) fail(ErrorKind::invalid_input, "{}: expected an object", where);
      const json* role = get(m, "role");
      const json* content = get(m, "content");
      if (role == nullptr || content == nullptr) fail(ErrorKind::invalid_input, "{}: needs \"role\" and \"content\"", where);
      ChatMessage cm{text(*role, where + ".role", 64), ""};
      if (content->is_array()) {  // [{"type": "text", "text": ...}]
        for (size_t k = 0; k < content->size(); ++k) {
          const json& part = (*content)[k];
          const json* t = part.is_object() ? get(part, "text") : nullptr;
          if (t == nullptr) fail(ErrorKind::invalid_input, "{}.content[{}]: only text parts are supported", where, k);
          cm.content += text(*t, where + ".content", limits.max_prompt_bytes);
        }
      } else {
        cm.content = text(*content, where + ".content", limits.max_prompt_bytes);
      }
      if (cm.content.size() > limits.max_prompt_bytes)
        fail(ErrorKind::invalid_input, "{}.content: more than {} bytes", where, limits.max_prompt_bytes);
      r.messages.push_back(std::move(cm));
    }
    if (get(j, "logprobs") != nullptr && boolean(j, "logprobs", false))
      fail(ErrorKind::invalid_input, "\"logprobs\": chat completions with logprobs are not supported; use /v1/completions");
    if (auto mt = integer(j, "max_completion_tokens", 0, limits.max_tokens)) r.max_tokens = int(*mt);
  } else {
    r.prompts = prompts_of(j, limits);
    r.echo = boolean(j, "echo", false);
    if (auto lp = integer(j, "logprobs", 0, limits.max_logprobs)) r.logprobs = int(*lp);
    if (auto pl = integer(j, "prompt_logprobs", 0, limits.max_logprobs)) r.prompt_logprobs = int(*pl);
  }
  if (auto mt = integer(j, "max_tokens", 0, limits.max_tokens)) r.max_tokens = int(*mt);
  r.temperature = number(j, "temperature", 0.0, 100.0, 1.0);
  r.top_p = number(j, "top_p", 0.0, 1.0, 1.0);
  if (r.top_p <= 0) fail(ErrorKind::invalid_input, "\"top_p\": expected a number in (0, 1], got 0");
  const auto top_k = integer(j, "top_k", -1, 1 << 30);
  r.top_k = top_k && *top_k > 0 ? int(*top_k) : 0;  // vLLM: -1 = off
  if (auto seed = integer(j, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()))
    r.seed = uint64_t(*seed);
  r.stop = stops_of(j, limits);
  r.stream = boolean(j, "stream", false);
  if (r.stream && r.scoring()) fail(ErrorKind::invalid_input, "\"stream\" with \"logprobs\": not supported");
  return r;
}

TokenizeRequest parse_tokenize_request(std::string_view body, const Limits& limits) {
  const json j = parse_object(body, "/tokenize");
  TokenizeRequest t;
  const json* p = get(j, "prompt");
  if (p == nullptr) p = get(j, "content");  // llama.cpp's server
  if (p == nullptr) fail(ErrorKind::invalid_input, "\"prompt\": missing");
  t.text = text(*p, "\"prompt\"", limits.max_prompt_bytes);
  t.add_special = boolean(j, "add_special_tokens", boolean(j, "add_special", true));
  return t;
}

std::vector<int32_t> parse_detokenize_request(std::string_view body, const Limits& limits) {
  const json j = parse_object(body, "/detokenize");
  const json* t = get(j, "tokens");
  if (t == nullptr || !t->is_array()) fail(ErrorKind::invalid_input, "\"tokens\": expected an array of token ids");
  return token_ids(*t, "\"tokens\"", limits);
}

std::string error_body(const std::string& message, const std::string& type, int code) {
  return json{{"error", {{"message", message}, {"type", type}, {"code", code}}}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ys::serve
