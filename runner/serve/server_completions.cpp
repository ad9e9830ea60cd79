// /v1/completions and /v1/chat/completions of `yardstick serve`.
#include "common/error.h"
#include "runner/serve/server_impl.h"

#include <fmt/core.h>

#include <ctime>
#include <deque>
#include <thread>

namespace ys::serve {

using nlohmann::json;

namespace {

void send_json_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(error_body(message, status < 500 ? "invalid_request_error" : "server_error", status),
                  "application/json");
}

std::string cut_at_stop(std::string text, const std::vector<std::string>& stop, bool* cut) {
  size_t at = std::string::npos;
  for (const auto& s : stop)
    if (!s.empty()) at = std::min(at, text.find(s));
  *cut = at != std::string::npos;
  if (*cut) text.resize(at);
  return text;
}

}  // namespace

void Server::Impl::completions(const httplib::Request& req, httplib::Response& res, bool chat) {
  try {
    CompletionRequest cr = parse_completion_request(req.body, chat, opt.limits);
    if (!cr.model.empty() && cr.model != opt.served_name)
      return send_json_error(res, 404, fmt::format("model \"{}\" is not served here (this server serves \"{}\")",
                                                   cr.model.substr(0, 200), opt.served_name));
    if (cr.scoring()) return scoring(cr, res);
    std::vector<std::string> prompts;
    if (chat) {
      std::vector<tok::ChatMessage> msgs;
      for (const auto& m : cr.messages) msgs.push_back({m.role, m.content});
      prompts.push_back(tok::apply_chat_template(tok.vocab(), msgs, true));
    } else {
      for (const Prompt& p : cr.prompts) prompts.push_back(p.is_ids ? tok.decode(p.ids) : p.text);
    }
    generation(cr, std::move(prompts), res);
  } catch (const Error& e) {
    const int status = e.kind() == ErrorKind::invalid_input || e.kind() == ErrorKind::unsupported ||
                               e.kind() == ErrorKind::format
                           ? 400
                           : 500;
    send_json_error(res, status, e.what());
  } catch (const std::exception& e) {
    send_json_error(res, 500, e.what());
  }
}

void Server::Impl::scoring(const CompletionRequest& cr, httplib::Response& res) {
  const int max_tokens = cr.max_tokens.value_or(16);
  if (max_tokens > 1)
    fail(ErrorKind::invalid_input,
         "\"logprobs\"/\"prompt_logprobs\" are served with max_tokens 0 or 1 only (scoring a prompt, as lm-eval's "
         "loglikelihood does), got max_tokens {}",
         max_tokens);
  if (max_tokens == 1 && cr.temperature > 0)
    fail(ErrorKind::invalid_input, "\"logprobs\" with max_tokens 1 needs temperature 0 (the greedy token), got {}",
         cr.temperature);
  const int k = std::max(cr.logprobs.value_or(0), cr.prompt_logprobs.value_or(0));
  const int64_t n_ctx = model.info().n_ctx;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::string> texts;
  for (size_t i = 0; i < cr.prompts.size(); ++i) {
    const Prompt& p = cr.prompts[i];
    ids.push_back(p.is_ids ? p.ids : encode_prompt(p.text));
    texts.push_back(p.is_ids ? tok.decode(p.ids) : p.text);
    if (ids.back().empty()) fail(ErrorKind::invalid_input, "\"prompt\"[{}]: no tokens to score", i);
    if (n_ctx > 0 && int64_t(ids.back().size()) + max_tokens > n_ctx)
      fail(ErrorKind::invalid_input, "\"prompt\"[{}]: {} tokens{} do not fit the context window of {}", i,
           ids.back().size(), max_tokens ? " + 1 generated" : "", n_ctx);
  }
  std::vector<ScoredPrompt> scored(ids.size());
  worker.run([&] {
    for (size_t i = 0; i < ids.size(); ++i) scored[i] = scorer.score(ids[i], k, max_tokens == 1);
  });
  using OJson = nlohmann::ordered_json;  // keeps vLLM's key order: the prompt token first
  OJson choices = OJson::array();
  int64_t prompt_tokens = 0, completion_tokens = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::vector<int32_t>& p = ids[i];
    const ScoredPrompt& sp = scored[i];
    prompt_tokens += int64_t(p.size());
    std::string gen_text, finish = "length";
    std::optional<TopEntry> gen;
    if (max_tokens == 1) {
      gen = sp.next_top.at(0);
      ++completion_tokens;
      bool cut = false;
      if (tok.is_eog(gen->id)) finish = "stop";
      else gen_text = cut_at_stop(piece(gen->id), cr.stop, &cut), finish = cut ? "stop" : "length";
    }
    OJson choice = {{"index", i}, {"text", cr.echo ? texts[i] + gen_text : gen_text}, {"finish_reason", finish},
                   {"logprobs", nullptr}};
    if (cr.logprobs) {
      OJson tokens = OJson::array(), lps = OJson::array(), tops = OJson::array(), offsets = OJson::array();
      size_t offset = 0;
      auto add = [&](int32_t id, std::optional<double> lp, const std::vector<TopEntry>* top) {
        const std::string s = piece(id);
        tokens.push_back(s);
        lps.push_back(lp ? OJson(*lp) : OJson(nullptr));
        if (top == nullptr) {
          tops.push_back(nullptr);
        } else {
          OJson t = OJson::object();
          for (const TopEntry& e : *top) {
            const std::string key = piece(e.id);
            if (!t.contains(key)) t[key] = e.logprob;  // two ids with one text: the likelier one
          }
          tops.push_back(t);
        }
        offsets.push_back(offset);
        offset += s.size();
      };
      if (cr.echo) {
        add(p[0], std::nullopt, nullptr);
        for (size_t q = 1; q < p.size(); ++q) add(p[q], sp.rows[q].logprob, &sp.rows[q].top);
      }
      if (gen) {
        std::vector<TopEntry> top(sp.next_top.begin(), sp.next_top.begin() + std::min<size_t>(sp.next_top.size(), size_t(*cr.logprobs)));
        add(gen->id, gen->logprob, &top);
      }
      choice["logprobs"] = {{"tokens", tokens}, {"token_logprobs", lps}, {"top_logprobs", tops}, {"text_offset", offsets}};
    }
    if (cr.prompt_logprobs) {
      // vLLM's shape: null for the first token, then {id: {logprob, rank, decoded_token}}
      // with the prompt token first and then the top alternatives.
      OJson pl = OJson::array({nullptr});
      for (size_t q = 1; q < p.size(); ++q) {
        const TokenRow& r = sp.rows[q];
        OJson d = OJson::object();
        d[std::to_string(r.token)] = {{"logprob", r.logprob}, {"rank", r.rank}, {"decoded_token", piece(r.token)}};
        for (size_t t = 0; t < r.top.size() && t < size_t(*cr.prompt_logprobs); ++t) {
          const std::string key = std::to_string(r.top[t].id);
          if (!d.contains(key)) d[key] = {{"logprob", r.top[t].logprob}, {"rank", t + 1}, {"decoded_token", piece(r.top[t].id)}};
        }
        pl.push_back(d);
      }
      choice["prompt_logprobs"] = std::move(pl);
      choice["prompt_token_ids"] = p;
    }
    choices.push_back(choice);
  }
  metrics.tokens(prompt_tokens, completion_tokens);
  const OJson out = {{"id", new_id("cmpl")}, {"object", "text_completion"}, {"created", int64_t(std::time(nullptr))},
                    {"model", opt.served_name}, {"choices", choices},
                    {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens},
                               {"total_tokens", prompt_tokens + completion_tokens}}}};
  res.set_content(out.dump(-1, ' ', false, OJson::error_handler_t::replace), "application/json");
}

void Server::Impl::generation(const CompletionRequest& cr, std::vector<std::string> prompts, httplib::Response& res) {
  const int64_t n_ctx = model.info().n_ctx;
  std::vector<engine::GenerateRequest> reqs;
  for (const std::string& text : prompts) {
    engine::GenerateRequest g;
    g.prompt = text;
    int max_tokens = cr.max_tokens.value_or(16);
    if (cr.chat && !cr.max_tokens) {  // OpenAI's chat default: up to the end of the context
      const int64_t used = int64_t(encode_prompt(text).size());
      max_tokens = int(std::clamp<int64_t>(n_ctx - used, 0, opt.limits.max_tokens));
    }
    g.max_tokens = max_tokens;
    g.stop = cr.stop;
    g.sampler.temperature = cr.temperature;
    g.sampler.top_p = cr.top_p;
    g.sampler.top_k = cr.top_k;
    g.sampler.seed = cr.seed;
    reqs.push_back(std::move(g));
  }
  if (cr.stream) return stream(cr, std::move(reqs), res);
  const std::vector<engine::GenerateResult> results = worker.generate(reqs);
  json choices = json::array();
  int64_t prompt_tokens = 0, completion_tokens = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const engine::GenerateResult& r = results[i];
    if (!r.error.empty()) fail(ErrorKind::invalid_input, "prompt {}: {}", i, r.error);
    prompt_tokens += r.n_prompt_tokens;
    completion_tokens += r.n_tokens;
    json c = {{"index", i}, {"finish_reason", finish_reason(r.reason)}};
    if (cr.chat) c["message"] = {{"role", "assistant"}, {"content", r.text}};
    else c["text"] = cr.echo ? prompts[i] + r.text : r.text, c["logprobs"] = nullptr;
    choices.push_back(c);
  }
  metrics.tokens(prompt_tokens, completion_tokens);
  const json out = {{"id", new_id(cr.chat ? "chatcmpl" : "cmpl")},
                    {"object", cr.chat ? "chat.completion" : "text_completion"},
                    {"created", int64_t(std::time(nullptr))},
                    {"model", opt.served_name},
                    {"choices", choices},
                    {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens},
                               {"total_tokens", prompt_tokens + completion_tokens}}}};
  res.set_content(dump_json(out), "application/json");
}

namespace {

// Events of one stream: written by the engine thread (on_text) and the generating thread,
// read by the HTTP thread; shared so that either side may go first.
struct StreamState {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> events;
  bool finished = false;
  void push(std::string e) {
    {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(std::move(e));
    }
    cv.notify_all();
  }
};

}  // namespace

void Server::Impl::stream(const CompletionRequest& cr, std::vector<engine::GenerateRequest> reqs, httplib::Response& res) {
  auto st = std::make_shared<StreamState>();
  const std::string id = new_id(cr.chat ? "chatcmpl" : "cmpl");
  const int64_t created = int64_t(std::time(nullptr));
  const bool chat = cr.chat;
  const std::string name = opt.served_name;
  auto chunk = [id, created, chat, name](size_t index, const std::string* text, const char* finish) {
    json c = {{"index", index}, {"finish_reason", finish ? json(finish) : json(nullptr)}};
    if (chat) c["delta"] = text ? json{{"content", *text}} : json::object();
    else c["text"] = text ? *text : "", c["logprobs"] = nullptr;
    json e = {{"id", id}, {"object", chat ? "chat.completion.chunk" : "text_completion"}, {"created", created},
              {"model", name}, {"choices", json::array({c})}};
    return "data: " + dump_json(e) + "\n\n";
  };
  auto streamed = std::make_shared<std::vector<size_t>>(reqs.size(), 0);  // bytes sent per request (engine thread)
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (chat) {
      json c = {{"index", i}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"finish_reason", nullptr}};
      st->push("data: " + dump_json({{"id", id}, {"object", "chat.completion.chunk"}, {"created", created},
                                     {"model", name}, {"choices", json::array({c})}}) + "\n\n");
    }
    reqs[i].on_text = [st, chunk, i, streamed](const std::string& piece) {
      (*streamed)[i] += piece.size();
      st->push(chunk(i, &piece, nullptr));
    };
  }
  {
    std::lock_guard<std::mutex> lock(streams_mu);
    ++streams;
  }
  std::thread([this, st, reqs = std::move(reqs), chunk, streamed]() mutable {
    int64_t pt = 0, ct = 0;
    try {
      const std::vector<engine::GenerateResult> results = worker.generate(reqs);
      for (size_t i = 0; i < results.size(); ++i) {
        const engine::GenerateResult& r = results[i];
        if (!r.error.empty()) {
          st->push("data: " + dump_json({{"error", {{"message", r.error}, {"code", 400}}}}) + "\n\n");
          continue;
        }
        pt += r.n_prompt_tokens, ct += r.n_tokens;
        if ((*streamed)[i] < r.text.size()) {  // an engine that does not stream: the rest now
          const std::string rest = r.text.substr((*streamed)[i]);
          st->push(chunk(i, &rest, nullptr));
        }
        st->push(chunk(i, nullptr, finish_reason(r.reason)));
      }
    } catch (const std::exception& e) {
      st->push("data: " + dump_json({{"error", {{"message", e.what()}, {"code", 500}}}}) + "\n\n");
    }
    metrics.tokens(pt, ct);
    st->push("data: [DONE]\n\n");
    {
      std::lock_guard<std::mutex> lock(st->mu);
      st->finished = true;
    }
    st->cv.notify_all();
    std::lock_guard<std::mutex> lock(streams_mu);
    --streams;
    streams_cv.notify_all();
  }).detach();
  res.set_chunked_content_provider("text/event-stream", [st](size_t, httplib::DataSink& sink) {
    std::unique_lock<std::mutex> lock(st->mu);
    st->cv.wait(lock, [&] { return !st->events.empty() || st->finished; });
    while (!st->events.empty()) {
      const std::string e = std::move(st->events.front());
      st->events.pop_front();
      lock.unlock();
      if (!sink.write(e.data(), e.size())) return false;  // the client went away; generation finishes unseen
      lock.lock();
    }
    if (st->finished) sink.done();
    return true;
  });
}

}  // namespace ys::serve
