#include "engine/remote/openai_parse.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ys::engine::remote {

namespace {

using OJson = nlohmann::ordered_json;  // keeps key order (vLLM's prompt_logprobs put the prompt token first)

constexpr size_t kMaxChoices = 1 << 16;

OJson parse_body(std::string_view body, const char* what) {
  OJson j = OJson::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) fail(ErrorKind::format, "{} response: not valid JSON", what);
  if (!j.is_object()) fail(ErrorKind::format, "{} response: expected a JSON object", what);
  return j;
}

const OJson* find(const OJson& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

std::string str_field(const OJson& o, const char* key, const std::string& where) {
  const OJson* v = find(o, key);
  if (v == nullptr) return "";
  if (!v->is_string()) fail(ErrorKind::format, "{}.{}: expected a string", where, key);
  return v->get<std::string>();
}

double number(const OJson& v, const std::string& where) {
  if (!v.is_number()) fail(ErrorKind::format, "{}: expected a number", where);
  const double d = v.get<double>();
  if (std::isnan(d)) fail(ErrorKind::format, "{}: NaN", where);
  return d;
}

int64_t integer(const OJson& v, const std::string& where, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) fail(ErrorKind::format, "{}: expected an integer", where);
  const int64_t i = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())
                        ? std::numeric_limits<int64_t>::max()
                        : v.get<int64_t>();
  if (i < lo || i > hi) fail(ErrorKind::format, "{}: {} is out of range [{}, {}]", where, i, lo, hi);
  return i;
}

const OJson& array_field(const OJson& o, const char* key, const std::string& where) {
  const OJson* v = find(o, key);
  if (v == nullptr || !v->is_array()) fail(ErrorKind::format, "{}.{}: expected an array", where, key);
  return *v;
}

TokenLogprobs parse_logprobs(const OJson& lp, const std::string& where) {
  if (!lp.is_object()) fail(ErrorKind::format, "{}: expected an object", where);
  TokenLogprobs t;
  const OJson& tokens = array_field(lp, "tokens", where);
  const OJson& lps = array_field(lp, "token_logprobs", where);
  if (tokens.size() != lps.size())
    fail(ErrorKind::format, "{}: {} tokens but {} token_logprobs", where, tokens.size(), lps.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].is_string()) fail(ErrorKind::format, "{}.tokens[{}]: expected a string", where, i);
    t.tokens.push_back(tokens[i].get<std::string>());
    if (lps[i].is_null()) t.logprob.emplace_back();
    else t.logprob.emplace_back(number(lps[i], where + ".token_logprobs[" + std::to_string(i) + "]"));
  }
  t.top_max.assign(tokens.size(), std::nullopt);
  if (const OJson* top = find(lp, "top_logprobs")) {
    if (!top->is_array() || top->size() != tokens.size())
      fail(ErrorKind::format, "{}.top_logprobs: expected an array of {} entries", where, tokens.size());
    for (size_t i = 0; i < top->size(); ++i) {
      const OJson& d = (*top)[i];
      if (d.is_null()) continue;
      if (!d.is_object()) fail(ErrorKind::format, "{}.top_logprobs[{}]: expected an object or null", where, i);
      for (auto it = d.begin(); it != d.end(); ++it) {
        const double v = number(it.value(), where + ".top_logprobs[" + std::to_string(i) + "]");
        if (!t.top_max[i] || v > *t.top_max[i]) t.top_max[i] = v;
      }
    }
  }
  return t;
}

std::vector<std::optional<PromptLogprob>> parse_prompt_logprobs(const OJson& pl, const std::string& where) {
  if (!pl.is_array()) fail(ErrorKind::format, "{}: expected an array", where);
  std::vector<std::optional<PromptLogprob>> out;
  for (size_t i = 0; i < pl.size(); ++i) {
    const OJson& d = pl[i];
    const std::string w = where + "[" + std::to_string(i) + "]";
    if (d.is_null()) {
      out.emplace_back();
      continue;
    }
    if (!d.is_object() || d.empty()) fail(ErrorKind::format, "{}: expected a non-empty object or null", w);
    auto first = d.begin();  // the prompt token comes first
    PromptLogprob p;
    const std::string& key = first.key();
    if (key.empty() || key.size() > 12 || key.find_first_not_of("0123456789") != std::string::npos)
      fail(ErrorKind::format, "{}: key \"{}\" is not a token id", w, key.substr(0, 40));
    p.token_id = std::stoll(key);
    const OJson& e = first.value();
    if (!e.is_object()) fail(ErrorKind::format, "{}.{}: expected an object", w, key);
    const OJson* lp = find(e, "logprob");
    if (lp == nullptr) fail(ErrorKind::format, "{}.{}.logprob: missing", w, key);
    p.logprob = number(*lp, w + ".logprob");
    const OJson* rank = find(e, "rank");
    p.rank = rank == nullptr ? 0 : integer(*rank, w + ".rank", 0, std::numeric_limits<int64_t>::max());
    out.push_back(p);
  }
  return out;
}

}  // namespace

CompletionResponse parse_completion_response(std::string_view body, bool chat) {
  const char* what = chat ? "chat completion" : "completion";
  const OJson j = parse_body(body, what);
  CompletionResponse r;
  const OJson& choices = array_field(j, "choices", what);
  if (choices.empty() || choices.size() > kMaxChoices)
    fail(ErrorKind::format, "{} response: {} choices", what, choices.size());
  std::vector<bool> seen(choices.size(), false);
  for (size_t k = 0; k < choices.size(); ++k) {
    const OJson& c = choices[k];
    const std::string where = std::string(what) + " choices[" + std::to_string(k) + "]";
    if (!c.is_object()) fail(ErrorKind::format, "{}: expected an object", where);
    Choice ch;
    const OJson* index = find(c, "index");
    ch.index = index == nullptr ? k : size_t(integer(*index, where + ".index", 0, int64_t(choices.size()) - 1));
    if (seen[ch.index]) fail(ErrorKind::format, "{}: index {} appears twice", where, ch.index);
    seen[ch.index] = true;
    if (chat) {
      const OJson* msg = find(c, "message");
      if (msg == nullptr || !msg->is_object()) fail(ErrorKind::format, "{}.message: expected an object", where);
      ch.text = str_field(*msg, "content", where + ".message");
    } else {
      ch.text = str_field(c, "text", where);
    }
    ch.finish_reason = str_field(c, "finish_reason", where);
    if (const OJson* sr = find(c, "stop_reason"); sr != nullptr && sr->is_string()) ch.stop_string = sr->get<std::string>();
    if (const OJson* lp = find(c, "logprobs"); lp != nullptr && !chat) ch.logprobs = parse_logprobs(*lp, where + ".logprobs");
    if (const OJson* pl = find(c, "prompt_logprobs"))
      ch.prompt_logprobs = parse_prompt_logprobs(*pl, where + ".prompt_logprobs");
    r.choices.push_back(std::move(ch));
  }
  std::sort(r.choices.begin(), r.choices.end(), [](const Choice& a, const Choice& b) { return a.index < b.index; });
  if (const OJson* u = find(j, "usage")) {
    if (!u->is_object()) fail(ErrorKind::format, "{} response: usage: expected an object", what);
    Usage us;
    const int64_t big = int64_t(1) << 50;
    if (const OJson* p = find(*u, "prompt_tokens")) us.prompt_tokens = integer(*p, "usage.prompt_tokens", 0, big);
    if (const OJson* p = find(*u, "completion_tokens")) us.completion_tokens = integer(*p, "usage.completion_tokens", 0, big);
    r.usage = us;
  }
  return r;
}

std::vector<int32_t> parse_tokenize_response(std::string_view body) {
  const OJson j = parse_body(body, "tokenize");
  const OJson& tokens = array_field(j, "tokens", "tokenize response");
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    ids.push_back(int32_t(integer(tokens[i], "tokenize tokens[" + std::to_string(i) + "]", 0, INT32_MAX)));
  return ids;
}

ServedModel parse_models_response(std::string_view body, const std::string& model, std::vector<std::string>* ids) {
  const OJson j = parse_body(body, "models");
  const OJson& data = array_field(j, "data", "models response");
  ServedModel s;
  for (size_t i = 0; i < data.size(); ++i) {
    const OJson& m = data[i];
    const std::string where = "models data[" + std::to_string(i) + "]";
    if (!m.is_object()) fail(ErrorKind::format, "{}: expected an object", where);
    const std::string id = str_field(m, "id", where);
    if (ids != nullptr) ids->push_back(id);
    if (id != model) continue;
    s.listed = true;
    if (const OJson* len = find(m, "max_model_len")) s.max_model_len = integer(*len, where + ".max_model_len", 0, INT32_MAX);
    if (const OJson* y = find(m, "yardstick"); y != nullptr && y->is_object()) {
      s.sha256 = str_field(*y, "sha256", where + ".yardstick");
      s.weight_type = str_field(*y, "weight_type", where + ".yardstick");
      s.architecture = str_field(*y, "architecture", where + ".yardstick");
    }
  }
  return s;
}

}  // namespace ys::engine::remote
