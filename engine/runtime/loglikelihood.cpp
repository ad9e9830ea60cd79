// Scoring (PROTOCOLS.md §1.3): loglikelihood, eval, token_logprobs, next_token_logits.
//
// Every request becomes a job: input tokens, the first position whose logits are wanted,
// and what to do with each such row (score targets, or hand the whole row over). Jobs are
// admitted in order while the pending rows fit one step (Backend::step_rows): each shares
// the prefix it has in common with the job before it (engine.h), so MMLU's few-shot
// prefix is computed once and its questions share one step. Requests sorted by context put
// the four answers of a question next to each other; with the prefix cache on, requests
// whose inputs differ only in their one continuation token are scored from ONE row.
#include "common/error.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/engine_seq.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace ys::runtime {

namespace {
constexpr size_t kMaxScoring = 256;  // sequences admitted at once
}

struct Engine::ScoreJob {
  std::vector<int32_t> input;
  int64_t first_out = 0;
  bool use_index = false;
  const EvalFn* on_logits = nullptr;  // logits mode: the whole row
  // Score mode: output position p asks for target (*targets[m])[p + 1] for each member m
  // (targets[m] null: the argmax alone).
  std::vector<const std::vector<int32_t>*> targets;
  std::function<void(size_t m, int64_t pos, const engine::RowAnswer& a)> on_answer;
};

void Engine::score_jobs(std::vector<ScoreJob>& jobs) {
  std::vector<std::unique_ptr<Seq>> active;  // in admission order
  struct Abandon {                           // an exception ends the call: give the active sequences' memory back
    Engine& e;
    std::vector<std::unique_ptr<Seq>>& active;
    ~Abandon() {
      for (auto& s : active) {
        e.reserved_ -= s->reserved;
        e.pool_.release_all(s->blocks);
      }
    }
  } abandon{*this, active};
  const int64_t budget = std::max<int64_t>(1, be_->step_rows()), nv = h_.n_vocab;
  std::vector<Part> parts;
  std::vector<OutRow> outs;
  std::vector<engine::RowQuery> qs;
  std::vector<engine::RowAnswer> answers;
  std::vector<float> logits;
  size_t next = 0;
  while (next < jobs.size() || !active.empty()) {
    int64_t pending = 0;
    for (const auto& s : active) pending += s->pending();
    while (next < jobs.size() && pending < budget && active.size() < kMaxScoring) {
      const ScoreJob& j = jobs[next];
      auto s = std::make_unique<Seq>();
      s->tokens = j.input;
      s->first_out = j.first_out;
      s->job = next;
      s->index_limit = j.use_index && opt_.prefix_cache ? int64_t(j.input.size()) : 0;
      const Seq* prev = active.empty() ? last_.get() : active.back().get();
      if (!admit(*s, int64_t(s->tokens.size()), j.first_out, prev)) break;
      stats_.tokens_reused += s->n_done;
      stats_.tokens_evaluated += s->pending();
      pending += s->pending();
      ++next;
      if (s->pending() == 0) {
        finish(*s);  // nothing to compute (no output row asked for)
        continue;
      }
      active.push_back(std::move(s));
    }
    if (active.empty()) {
      if (next < jobs.size())
        fail(ErrorKind::internal,
             "scheduler: job {} ({} tokens) could not be admitted alone ({} of {} KV blocks in use)", next,
             jobs[next].input.size(), pool_.in_use(), pool_.max_blocks());
      break;
    }
    parts.clear();
    int64_t left = budget;
    for (auto& s : active) {
      const int64_t take = std::min(s->pending(), left);
      if (take <= 0) break;
      parts.push_back({s.get(), take});
      left -= take;
    }
    run_step(parts, outs);
    // Outputs, in step order (per job: positions ascending).
    qs.clear();
    bool any_logits = false;
    for (size_t r = 0; r < outs.size(); ++r) {
      const ScoreJob& j = jobs[outs[r].seq->job];
      if (j.on_logits) {
        any_logits = true;
        continue;
      }
      for (const auto* t : j.targets) qs.push_back({int64_t(r), t ? (*t)[size_t(outs[r].pos + 1)] : -1});
    }
    if (any_logits) {
      logits.resize(outs.size() * size_t(nv));
      be_->read_logits(logits.data());
    }
    answers.resize(qs.size());
    if (!qs.empty()) be_->score(qs.data(), int64_t(qs.size()), answers.data());
    size_t q = 0;
    for (size_t r = 0; r < outs.size(); ++r) {
      const ScoreJob& j = jobs[outs[r].seq->job];
      if (j.on_logits) {
        (*j.on_logits)(outs[r].pos, &logits[r * size_t(nv)]);
        continue;
      }
      for (size_t m = 0; m < j.targets.size(); ++m, ++q) j.on_answer(m, outs[r].pos, answers[q]);
    }
    // Finished sequences leave (the last one stays the previous sequence of the next job).
    for (size_t i = 0; i < active.size();) {
      if (active[i]->pending() > 0) {
        ++i;
        continue;
      }
      finish(*active[i]);
      active.erase(active.begin() + std::ptrdiff_t(i));
    }
  }
}

void Engine::eval(const std::vector<int32_t>& tokens, int64_t first_out, const EvalFn& on_logits, bool use_store) {
  const int64_t n = int64_t(tokens.size());
  if (n > n_ctx_) fail(ErrorKind::invalid_input, "{} tokens do not fit the context window of {}", n, n_ctx_);
  check_kv_budget(n, "eval");
  if (n == 0) return;
  std::vector<ScoreJob> jobs(1);
  jobs[0].input = tokens;
  jobs[0].first_out = std::clamp<int64_t>(first_out, 0, n);
  jobs[0].use_index = use_store;
  jobs[0].on_logits = &on_logits;
  score_jobs(jobs);
}

void Engine::eval_argmax(const std::vector<int32_t>& tokens, int64_t first_out, const ArgmaxFn& fn) {
  const int64_t n = int64_t(tokens.size());
  if (n > n_ctx_) fail(ErrorKind::invalid_input, "{} tokens do not fit the context window of {}", n, n_ctx_);
  check_kv_budget(n, "eval");
  if (n == 0) return;
  std::vector<ScoreJob> jobs(1);
  jobs[0].input = tokens;
  jobs[0].first_out = std::clamp<int64_t>(first_out, 0, n);
  jobs[0].targets = {nullptr};
  jobs[0].on_answer = [&](size_t, int64_t pos, const engine::RowAnswer& a) { fn(pos, a.argmax); };
  score_jobs(jobs);
}

void Engine::next_token_logits(const std::vector<int32_t>& ids, const LogitsFn& fn) {
  if (ids.size() < 2) return;
  const std::vector<int32_t> input(ids.begin(), ids.end() - 1);
  eval(input, 0, [&](int64_t pos, const float* logits) { fn(pos, logits, h_.n_vocab); });
}

void Engine::next_token_logits_from(const std::vector<int32_t>& ids, int64_t first, const LogitsFn& fn) {
  if (ids.size() < 2) return;
  const std::vector<int32_t> input(ids.begin(), ids.end() - 1);
  eval(input, std::max<int64_t>(0, first), [&](int64_t pos, const float* logits) { fn(pos, logits, h_.n_vocab); },
       /*use_store=*/true);
}

std::vector<engine::TokenLogprob> Engine::token_logprobs(const std::string& text) {
  const std::vector<int32_t> ids = encode_input(text);
  std::vector<engine::TokenLogprob> out(ids.size());
  if (ids.empty()) return out;
  out[0] = {ids[0], 0.0, ids[0]};
  if (ids.size() < 2) return out;
  const int64_t n = int64_t(ids.size()) - 1;
  if (n > n_ctx_) fail(ErrorKind::invalid_input, "{} tokens do not fit the context window of {}", n, n_ctx_);
  check_kv_budget(n, "token_logprobs");
  std::vector<ScoreJob> jobs(1);
  jobs[0].input.assign(ids.begin(), ids.end() - 1);
  jobs[0].targets = {&ids};
  jobs[0].on_answer = [&](size_t, int64_t pos, const engine::RowAnswer& a) {
    out[size_t(pos + 1)] = {ids[size_t(pos + 1)], a.logprob, a.argmax};
  };
  score_jobs(jobs);
  return out;
}

// Requests run in the order of their context strings so that those sharing a context
// (MMLU's four answers) share its keys/values; with the prefix cache on, consecutive
// one-token continuations of the same input are read off one row. Results do not depend
// on the order or the grouping (each logits row has the same bits either way).
std::vector<engine::LoglikelihoodResult> Engine::loglikelihood(const std::vector<engine::LoglikelihoodRequest>& reqs) {
  std::vector<size_t> order(reqs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return reqs[a].context < reqs[b].context; });
  std::vector<EncodedPair> enc(reqs.size());
  // Requests sharing a context (MMLU's four answers) tokenize it once.
  std::unordered_map<std::string, std::vector<int32_t>> memo;
  const EncodeInputFn input_of = [&](const std::string& t) {
    const auto it = memo.find(t);
    if (it != memo.end()) return it->second;
    return memo.emplace(t, encode_input(t)).first->second;
  };
  for (size_t i = 0; i < reqs.size(); ++i) enc[i] = encode_pair(*tok_, input_of, reqs[i], n_ctx_);
  auto same_input = [&](size_t a, size_t b) {
    const EncodedPair &x = enc[a], &y = enc[b];
    return x.n_cont == 1 && y.n_cont == 1 && x.full.size() == y.full.size() &&
           std::equal(x.full.begin(), x.full.end() - 1, y.full.begin());
  };
  std::vector<engine::LoglikelihoodResult> out(reqs.size());
  std::vector<ScoreJob> jobs;
  std::vector<std::vector<size_t>> members;  // per job: request indices
  for (size_t k = 0; k < order.size();) {
    std::vector<size_t> group(1, order[k]);
    size_t j = k + 1;
    while (opt_.prefix_cache && j < order.size() && same_input(order[k], order[j])) group.push_back(order[j++]);
    k = j;
    for (size_t i : group) {
      out[i].truncated = enc[i].truncated;
      out[i].n_tokens = int(enc[i].n_cont);
      out[i].is_greedy = true;
    }
    const EncodedPair& e = enc[group.front()];
    if (e.n_cont <= 0) continue;
    check_kv_budget(int64_t(e.full.size()) - 1, "loglikelihood");
    ScoreJob job;
    job.input.assign(e.full.begin(), e.full.end() - 1);
    job.first_out = int64_t(job.input.size()) - e.n_cont;
    job.use_index = true;
    for (size_t i : group) job.targets.push_back(&enc[i].full);
    jobs.push_back(std::move(job));
    members.push_back(std::move(group));
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    jobs[j].on_answer = [&, j](size_t m, int64_t pos, const engine::RowAnswer& a) {
      engine::LoglikelihoodResult& r = out[members[j][m]];
      r.logprob += a.logprob;
      r.is_greedy = r.is_greedy && a.argmax == enc[members[j][m]].full[size_t(pos + 1)];
    };
  }
  score_jobs(jobs);
  return out;
}

}  // namespace ys::runtime
