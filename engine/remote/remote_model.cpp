#include "engine/remote/remote_model.h"

#include "common/error.h"
#include "engine/runtime/encode_pair.h"
#include "engine/remote/openai_parse.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <thread>

namespace ys::engine::remote {

namespace {

using nlohmann::json;

// Model output and prompts may hold invalid UTF-8: it goes out as U+FFFD.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Runs work(i) for i in [0, n) on up to `threads` threads and calls done(i) on the calling
// thread as each finishes. The first exception (from work or done) stops the hand-out of
// new work; it is rethrown once the running items have returned.
void run_parallel(size_t n, int threads, const std::function<void(size_t)>& work,
                  const std::function<void(size_t)>& done) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<size_t> finished;
  size_t next = 0, reported = 0;
  bool stop = false;
  std::exception_ptr err;
  auto worker = [&] {
    for (;;) {
      size_t i = 0;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stop || next >= n) return;
        i = next++;
      }
      try {
        work(i);
        std::lock_guard<std::mutex> lock(mu);
        finished.push_back(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!err) err = std::current_exception();
        stop = true;
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (size_t k = 0; k < std::min<size_t>(n, size_t(std::max(1, threads))); ++k) pool.emplace_back(worker);
  try {
    while (reported < n) {
      std::deque<size_t> batch;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !finished.empty() || err != nullptr; });
        if (err) break;
        batch.swap(finished);
      }
      for (size_t i : batch) done(i), ++reported;
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu);
    if (!err) err = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  for (auto& t : pool) t.join();
  if (err) std::rethrow_exception(err);
}

std::string unsupported_ll(const RemoteOptions& o, const std::string& why) {
  return fmt::format(
      "{}: this endpoint cannot score loglikelihood requests ({}); loglikelihood suites (mmlu) need a server that "
      "returns right prompt logprobs (/v1/completions with echo + logprobs, or vLLM's prompt_logprobs: vLLM, "
      "yardstick serve; not llama.cpp's llama-server, which returns none, nor llama-cpp-python's, which are shifted "
      "by one token). Generation suites (gsm8k, humaneval, wmt) still run here",
      o.endpoint.spec(), why);
}

}  // namespace

RemoteUsage operator-(const RemoteUsage& a, const RemoteUsage& b) {
  RemoteUsage d;
  d.requests = a.requests - b.requests;
  d.cached = a.cached - b.cached;
  d.failed = a.failed - b.failed;
  d.retries = a.retries - b.retries;
  d.prompt_tokens = a.prompt_tokens - b.prompt_tokens;
  d.completion_tokens = a.completion_tokens - b.completion_tokens;
  d.sent_prompt_tokens = a.sent_prompt_tokens - b.sent_prompt_tokens;
  d.sent_completion_tokens = a.sent_completion_tokens - b.sent_completion_tokens;
  return d;
}

RemoteModel::RemoteModel(RemoteOptions options) : opt_(std::move(options)), http_(opt_.http) {
  if (opt_.api != "completions" && opt_.api != "chat")
    fail(ErrorKind::invalid_input, "--remote-api: expected completions or chat, got \"{}\"", opt_.api);
  if (opt_.logprobs != "echo" && opt_.logprobs != "prompt_logprobs")
    fail(ErrorKind::invalid_input, "--remote-logprobs: expected echo or prompt_logprobs, got \"{}\"", opt_.logprobs);
  if (opt_.concurrency < 1 || opt_.concurrency > 1024)
    fail(ErrorKind::invalid_input, "--concurrency: expected 1..1024, got {}", opt_.concurrency);
  if (opt_.max_stop < 0) fail(ErrorKind::invalid_input, "--remote-max-stop: expected >= 0, got {}", opt_.max_stop);
  if (opt_.max_prompts_per_request < 1)
    fail(ErrorKind::invalid_input, "max_prompts_per_request: expected >= 1, got {}", opt_.max_prompts_per_request);
  if (!(opt_.http.timeout_s > 0)) fail(ErrorKind::invalid_input, "--request-timeout: expected > 0 s, got {}", opt_.http.timeout_s);
  if (opt_.http.max_retries < 0) fail(ErrorKind::invalid_input, "--retries: expected >= 0, got {}", opt_.http.max_retries);
  if (!opt_.extra_json.empty()) {
    const json extra = json::parse(opt_.extra_json, nullptr, false);
    if (!extra.is_object())
      fail(ErrorKind::invalid_input, "--remote-extra: expected a JSON object such as {{\"repeat_penalty\": 1.0}}, got {}",
           opt_.extra_json);
  }
  info_.name = opt_.endpoint.model;
  info_.architecture = "remote";
  info_.path = opt_.endpoint.spec();
  info_.weight_type = "remote";
  info_.isa = "remote";
  info_.activations = "";
  if (!opt_.probe) return;
  const std::string url = opt_.endpoint.base_url + "/models";
  HttpResponse r = http_.get(url);
  if (r.status == 0) fail(ErrorKind::io, "cannot reach the model server: {}", r.error);
  if (!r.ok) return;  // some servers have no /v1/models; requests will tell
  std::vector<std::string> ids;
  ServedModel s;
  try {
    s = parse_models_response(r.body, opt_.endpoint.model, &ids);
  } catch (const Error&) {
    return;  // not the OpenAI shape: nothing to check against
  }
  if (!s.listed && !ids.empty()) {
    std::string list;
    for (size_t i = 0; i < ids.size() && i < 20; ++i) list += (i ? ", " : "") + ids[i];
    fail(ErrorKind::invalid_input, "{}: the server does not serve model \"{}\" (it lists: {})", opt_.endpoint.base_url,
         opt_.endpoint.model, list);
  }
  info_.n_ctx = int(s.max_model_len);
  if (!s.sha256.empty()) info_.sha256 = s.sha256;
  if (!s.weight_type.empty()) info_.weight_type = s.weight_type;
  if (!s.architecture.empty()) info_.architecture = s.architecture;
}

RemoteModel::~RemoteModel() = default;

void RemoteModel::set_cache_scope(const std::string& scope) {
  std::lock_guard<std::mutex> lock(mu_);
  scope_ = scope;
}

RemoteUsage RemoteModel::usage() const {
  std::lock_guard<std::mutex> lock(mu_);
  RemoteUsage u = usage_;
  u.retries = http_.retries();
  return u;
}

RemoteModel::Fetched RemoteModel::fetch(const std::string& path, const std::string& body) {
  Fetched f;
  {
    std::lock_guard<std::mutex> lock(mu_);
    f.key = {opt_.endpoint.base_url, opt_.endpoint.model, body, std::string(kWireProtocol) + "|" + scope_};
  }
  if (opt_.cache != nullptr && !opt_.no_cache) {
    if (std::optional<std::string> hit = opt_.cache->get(f.key)) {
      f.ok = true;
      f.body = std::move(*hit);
      f.cached = true;
      return f;
    }
  }
  HttpResponse r = http_.post_json(opt_.endpoint.base_url + path, body);
  f.ok = r.ok;
  f.status = r.status;
  f.body = std::move(r.body);
  f.error = std::move(r.error);
  if (!f.ok) {
    std::lock_guard<std::mutex> lock(mu_);
    ++usage_.failed;
  }
  return f;
}

void RemoteModel::remember(const Fetched& f, const std::optional<Usage>& usage) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++usage_.requests;
    if (f.cached) ++usage_.cached;
    if (usage) {
      usage_.prompt_tokens += usage->prompt_tokens;
      usage_.completion_tokens += usage->completion_tokens;
      if (!f.cached) usage_.sent_prompt_tokens += usage->prompt_tokens, usage_.sent_completion_tokens += usage->completion_tokens;
    }
  }
  if (opt_.cache != nullptr && !f.cached) opt_.cache->put(f.key, f.body);
}

std::string RemoteModel::loglikelihood_body(const std::string& context, const std::vector<std::string>& conts) const {
  json prompts = json::array({context});
  for (const auto& c : conts) prompts.push_back(context + c);
  json j = {{"model", opt_.endpoint.model}, {"prompt", prompts}, {"max_tokens", 1}, {"temperature", 0}};
  if (opt_.logprobs == "echo") j["echo"] = true, j["logprobs"] = 1;
  else j["prompt_logprobs"] = 1;
  if (!opt_.extra_json.empty()) j.update(json::parse(opt_.extra_json));
  return dump(j);
}

std::string RemoteModel::generate_body(const GenerateRequest& r) const {
  json j = {{"model", opt_.endpoint.model}, {"max_tokens", r.max_tokens}, {"temperature", r.sampler.temperature},
            {"seed", r.sampler.seed}};
  if (opt_.api == "chat") j["messages"] = json::array({{{"role", "user"}, {"content", r.prompt}}});
  else j["prompt"] = r.prompt;
  if (r.sampler.top_p < 1.0) j["top_p"] = r.sampler.top_p;
  if (r.sampler.top_k > 0) j["top_k"] = r.sampler.top_k;
  std::vector<std::string> stop;
  for (const auto& s : r.stop)
    if (!s.empty() && (opt_.max_stop == 0 || int(stop.size()) < opt_.max_stop)) stop.push_back(s);
  if (!stop.empty()) j["stop"] = stop;
  if (!opt_.extra_json.empty()) j.update(json::parse(opt_.extra_json));
  return dump(j);
}

void RemoteModel::score_group(const std::string& context, const std::vector<std::string>& conts,
                              std::vector<LoglikelihoodResult>& out, long* status) {
  out.assign(conts.size(), LoglikelihoodResult{});
  auto fail_all = [&](const std::string& why) {
    for (auto& r : out) r.error = why;
  };
  if (context.empty()) {
    fail_all("empty context: a remote server cannot be asked for log p(continuation | BOS) through echo; the local "
             "engine scores it with a BOS/EOS prefix");
    return;
  }
  // One request of all prompts, or (one_prompt_per_request) one request each, merged.
  std::vector<std::string> bodies;
  if (!opt_.one_prompt_per_request) {
    bodies.push_back(loglikelihood_body(context, conts));
  } else {
    const nlohmann::json all = nlohmann::json::parse(loglikelihood_body(context, conts));
    for (const auto& p : all["prompt"]) {
      nlohmann::json one = all;
      one["prompt"] = p;
      bodies.push_back(dump(one));
    }
  }
  std::vector<Fetched> fetched;
  CompletionResponse resp;
  for (const std::string& body : bodies) {
    fetched.push_back(fetch("/completions", body));
    const Fetched& f = fetched.back();
    if (status != nullptr) *status = f.status;
    if (!f.ok) return fail_all(f.error);
    try {
      CompletionResponse part = parse_completion_response(f.body);
      for (Choice& c : part.choices) c.index = resp.choices.size(), resp.choices.push_back(std::move(c));
      if (part.usage) {
        if (!resp.usage) resp.usage = Usage{};
        resp.usage->prompt_tokens += part.usage->prompt_tokens;
        resp.usage->completion_tokens += part.usage->completion_tokens;
      }
    } catch (const Error& e) {
      return fail_all(fmt::format("{}/completions: malformed response: {}", opt_.endpoint.base_url, e.what()));
    }
  }
  const size_t n_prompts = conts.size() + 1;
  if (resp.choices.size() != n_prompts)
    return fail_all(fmt::format("{}/completions: {} choices for {} prompts", opt_.endpoint.base_url,
                                resp.choices.size(), n_prompts));
  // Prompt tokens of each choice, and where the continuation starts.
  std::vector<size_t> n_prompt(n_prompts);
  if (opt_.logprobs == "echo") {
    size_t n_gen = 1;  // max_tokens = 1: one generated entry after the prompt's (lm-eval drops it the same way)
    if (resp.usage && resp.usage->completion_tokens == 0) n_gen = 0;
    else if (resp.usage && resp.usage->completion_tokens != int64_t(n_prompts))
      return fail_all(fmt::format("{}/completions: {} completion tokens for {} prompts of max_tokens 1: cannot tell "
                                  "the prompt's logprobs from the generated ones",
                                  opt_.endpoint.base_url, resp.usage->completion_tokens, n_prompts));
    for (size_t k = 0; k < n_prompts; ++k) {
      const auto& lp = resp.choices[k].logprobs;
      if (!lp || lp->tokens.size() <= n_gen) fail(ErrorKind::unsupported, "{}", unsupported_ll(opt_, "no prompt logprobs in an echo response"));
      n_prompt[k] = lp->tokens.size() - n_gen;
    }
  } else {
    for (size_t k = 0; k < n_prompts; ++k) {
      if (!resp.choices[k].prompt_logprobs) fail(ErrorKind::unsupported, "{}", unsupported_ll(opt_, "no prompt_logprobs in the response"));
      n_prompt[k] = resp.choices[k].prompt_logprobs->size();
    }
  }
  const size_t n_ctx = n_prompt[0];
  for (size_t c = 0; c < conts.size(); ++c) {
    LoglikelihoodResult& r = out[c];
    const size_t k = c + 1;
    if (n_prompt[k] < n_ctx) {
      r.error = fmt::format("the server tokenized context + continuation into {} tokens, fewer than the context's {}",
                            n_prompt[k], n_ctx);
      continue;
    }
    double sum = 0.0;
    bool greedy = true;
    for (size_t i = n_ctx; i < n_prompt[k] && r.error.empty(); ++i) {
      if (opt_.logprobs == "echo") {
        const TokenLogprobs& lp = *resp.choices[k].logprobs;
        if (!lp.logprob[i]) {
          r.error = fmt::format("no logprob for prompt token {} (the first prompt token has none)", i);
          break;
        }
        sum += *lp.logprob[i];
        if (!lp.top_max[i] || *lp.logprob[i] != *lp.top_max[i]) greedy = false;
      } else {
        const auto& e = (*resp.choices[k].prompt_logprobs)[i];
        if (!e) {
          r.error = fmt::format("no prompt_logprobs entry for prompt token {}", i);
          break;
        }
        sum += e->logprob;
        if (e->rank != 1) greedy = false;
      }
    }
    if (!r.error.empty()) continue;
    r.logprob = sum;
    r.is_greedy = greedy;
    r.n_tokens = int(n_prompt[k] - n_ctx);
  }
  for (size_t i = 0; i < fetched.size(); ++i) {
    std::optional<Usage> u;
    if (i == 0) u = resp.usage;  // summed over the requests: counted once
    remember(fetched[i], u);
  }
}

void RemoteModel::check_loglikelihood_support() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ll_checked_) return;
  }
  if (opt_.api == "chat")
    fail(ErrorKind::unsupported, "{}", unsupported_ll(opt_, "--remote-api chat: chat completions return no prompt logprobs"));
  std::vector<LoglikelihoodResult> probe;
  long status = 0;
  score_group("The capital of France is", {" Paris"}, probe, &status);  // throws unsupported when the shape is missing
  if (!probe[0].error.empty()) {
    if (status == 0 || status >= 500 || status == 429 || status == 408)
      fail(ErrorKind::io, "loglikelihood probe of {}: {}", opt_.endpoint.spec(), probe[0].error);
    fail(ErrorKind::unsupported, "{}", unsupported_ll(opt_, probe[0].error));
  }
  std::lock_guard<std::mutex> lock(mu_);
  ll_checked_ = true;
}

std::vector<LoglikelihoodResult> RemoteModel::loglikelihood(const std::vector<LoglikelihoodRequest>& reqs) {
  std::vector<LoglikelihoodResult> out(reqs.size());
  if (reqs.empty()) return out;
  check_loglikelihood_support();
  // Requests sharing a context go together (MMLU's four answers: one request of five prompts).
  struct Group {
    std::string context;
    std::vector<size_t> members;
    std::vector<std::string> conts;
  };
  std::vector<Group> groups;
  std::map<std::string, size_t> open;  // context -> group still taking members
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::string ctx = reqs[i].context, cont = reqs[i].continuation;
    runtime::move_trailing_space(ctx, cont);
    auto it = open.find(ctx);
    if (it == open.end() || groups[it->second].members.size() >= size_t(opt_.max_prompts_per_request)) {
      groups.push_back({ctx, {}, {}});
      it = open.insert_or_assign(ctx, groups.size() - 1).first;
    }
    groups[it->second].members.push_back(i);
    groups[it->second].conts.push_back(cont);
  }
  run_parallel(
      groups.size(), opt_.concurrency,
      [&](size_t g) {
        std::vector<LoglikelihoodResult> res;
        score_group(groups[g].context, groups[g].conts, res);
        for (size_t k = 0; k < res.size(); ++k) out[groups[g].members[k]] = std::move(res[k]);
      },
      [](size_t) {});
  return out;
}

GenerateResult RemoteModel::generate_one(const GenerateRequest& r) {
  GenerateResult res;
  const std::string path = opt_.api == "chat" ? "/chat/completions" : "/completions";
  const Fetched f = fetch(path, generate_body(r));
  if (!f.ok) {
    res.error = f.error;
    return res;
  }
  CompletionResponse resp;
  try {
    resp = parse_completion_response(f.body, opt_.api == "chat");
  } catch (const Error& e) {
    res.error = fmt::format("{}{}: malformed response: {}", opt_.endpoint.base_url, path, e.what());
    return res;
  }
  const Choice& c = resp.choices[0];
  res.text = c.text;
  size_t cut = std::string::npos;
  for (const auto& s : r.stop)
    if (!s.empty()) cut = std::min(cut, res.text.find(s));
  if (cut != std::string::npos) res.text.resize(cut), res.reason = StopReason::stop_string;
  else if (c.stop_string) res.reason = StopReason::stop_string;
  else if (c.finish_reason == "stop") res.reason = StopReason::eos;
  else res.reason = StopReason::max_tokens;
  if (resp.usage) res.n_tokens = int(resp.usage->completion_tokens), res.n_prompt_tokens = int(resp.usage->prompt_tokens);
  remember(f, resp.usage);
  return res;
}

std::vector<GenerateResult> RemoteModel::generate_streamed(const std::vector<GenerateRequest>& reqs,
                                                           const DoneFn& on_done) {
  std::vector<GenerateResult> out(reqs.size());
  run_parallel(
      reqs.size(), opt_.concurrency, [&](size_t i) { out[i] = generate_one(reqs[i]); },
      [&](size_t i) {
        if (on_done) on_done(i, out[i]);
      });
  return out;
}

std::vector<GenerateResult> RemoteModel::generate(const std::vector<GenerateRequest>& reqs, TextSink sink, void* user) {
  std::vector<GenerateResult> out = generate_streamed(reqs, nullptr);
  if (sink != nullptr)
    for (const auto& r : out) sink(user, r.text);
  return out;
}

std::vector<TokenLogprob> RemoteModel::token_logprobs(const std::string& /*text*/) {
  fail(ErrorKind::unsupported,
       "{}: per-token logprobs with token ids are not available from an OpenAI-compatible server (the quant suite "
       "and `yardstick logprobs` need a local GGUF model)",
       opt_.endpoint.spec());
}

std::vector<int32_t> RemoteModel::tokenize(const std::string& text, bool add_bos) const {
  const std::string url = opt_.endpoint.root() + "/tokenize";
  const json body = {{"model", opt_.endpoint.model}, {"prompt", text}, {"add_special_tokens", add_bos}};
  HttpResponse r = http_.post_json(url, dump(body));
  if (r.status == 404 || r.status == 405)
    fail(ErrorKind::unsupported, "{}: the server has no /tokenize endpoint", opt_.endpoint.spec());
  if (!r.ok) fail(ErrorKind::io, "tokenize: {}", r.error);
  return parse_tokenize_response(r.body);
}

std::string RemoteModel::detokenize(const std::vector<int32_t>& ids) const {
  const std::string url = opt_.endpoint.root() + "/detokenize";
  const json body = {{"model", opt_.endpoint.model}, {"tokens", ids}};
  HttpResponse r = http_.post_json(url, dump(body));
  if (r.status == 404 || r.status == 405)
    fail(ErrorKind::unsupported, "{}: the server has no /detokenize endpoint", opt_.endpoint.spec());
  if (!r.ok) fail(ErrorKind::io, "detokenize: {}", r.error);
  const json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string())
    fail(ErrorKind::format, "{}: detokenize response: expected {{\"prompt\": string}}", url);
  return j["prompt"].get<std::string>();
}

}  // namespace ys::engine::remote
