// Engine::generate (PROTOCOLS.md §1.4) with continuous batching.
//
// Up to LoadOptions::batch_size sequences are active, each with its own block table. A step
// is either a prompt step (chunks of the prompts still to be prefilled, up to
// Backend::step_rows rows in all) or a decode step (one token of every active sequence),
// run through the architecture as ONE step, so each weight is streamed once per step for
// all its sequences. A sequence leaves when it ends (stop string, EOS, max tokens, full
// context) and the next request joins; its memory (the blocks for its prompt plus
// max_tokens, less what it shares) is reserved when it joins, so a joined sequence never
// runs out. With LoadOptions::prefix_cache, a joining prompt shares the prefix it has in
// common with the request before it or with the indexed blocks of earlier prompts (a
// few-shot prefix shared by all prompts is computed once). Each request samples with its
// own RNG from logits whose bits do not depend on the batch (on a batch-invariant
// backend), so its result equals generating it alone.
#include "common/error.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/engine_seq.h"
#include "engine/runtime/sampler.h"

#include <algorithm>
#include <chrono>
#include <optional>

namespace ys::runtime {

namespace {

struct Active {
  std::unique_ptr<Engine::Seq> seq;
  size_t req = 0;
  int64_t n_prompt = 0;
  size_t max_stop = 0;
  SamplingConfig cfg;
  std::optional<Rng> rng;
};

// Streams the requests' text in request order (the bytes a one-at-a-time run would send):
// request k streams live; later ones are flushed when every earlier one has finished.
class OrderedSink {
 public:
  OrderedSink(engine::TextSink sink, void* user, size_t n)
      : sink_(sink), user_(user), safe_(n, 0), sent_(n, 0), done_(n) {}
  void set_safe(size_t r, size_t upto) { safe_[r] = std::max(safe_[r], upto); }
  void finish(size_t r) { done_[r] = true; }
  void flush(const std::vector<engine::GenerateResult>& res) {
    while (next_ < safe_.size()) {
      const std::string& text = res[next_].text;
      const size_t upto = done_[next_] ? text.size() : std::min(safe_[next_], text.size());
      if (sink_ && upto > sent_[next_]) sink_(user_, text.substr(sent_[next_], upto - sent_[next_]));
      sent_[next_] = std::max(sent_[next_], upto);
      if (!done_[next_]) break;
      ++next_;
    }
  }

 private:
  engine::TextSink sink_;
  void* user_;
  std::vector<size_t> safe_, sent_;
  std::vector<bool> done_;
  size_t next_ = 0;
};

}  // namespace

std::vector<engine::GenerateResult> Engine::generate(const std::vector<engine::GenerateRequest>& reqs,
                                                     engine::TextSink sink, void* user) {
  return generate_impl(reqs, sink, user, nullptr);
}

std::vector<engine::GenerateResult> Engine::generate_streamed(const std::vector<engine::GenerateRequest>& reqs,
                                                              const DoneFn& on_done) {
  return generate_impl(reqs, nullptr, nullptr, &on_done);
}

std::vector<engine::GenerateResult> Engine::generate_impl(const std::vector<engine::GenerateRequest>& reqs,
                                                          engine::TextSink sink, void* user, const DoneFn* on_done) {
  const int64_t nv = h_.n_vocab;
  std::vector<engine::GenerateResult> out(reqs.size());
  std::vector<std::vector<int32_t>> prompts(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::vector<int32_t>& seq = prompts[i];
    seq = encode_input(reqs[i].prompt);
    if (seq.empty()) seq.push_back(tok_->bos() >= 0 ? tok_->bos() : std::max(0, tok_->eos()));
    const int64_t keep = std::max<int64_t>(1, n_ctx_ - std::max(0, reqs[i].max_tokens));
    if (int64_t(seq.size()) > keep) seq.erase(seq.begin(), seq.end() - keep);
    out[i].n_prompt_tokens = int(seq.size());
    check_kv_budget(std::min(n_ctx_, int64_t(seq.size()) + std::max(0, reqs[i].max_tokens)),
                    "generate request " + std::to_string(i));
  }
  const size_t max_batch = size_t(opt_.batch_size);
  std::vector<Active> active;
  struct Abandon {  // an exception ends the call: give the active sequences' memory back
    Engine& e;
    std::vector<Active>& active;
    ~Abandon() {
      for (auto& a : active) {
        e.reserved_ -= a.seq->reserved;
        e.pool_.release_all(a.seq->blocks);
      }
    }
  } abandon{*this, active};
  OrderedSink stream(sink, user, reqs.size());
  // GenerateRequest::on_text: each request's final text, handed over as soon as it can no
  // longer change (text that could still become a stop string is held back).
  std::vector<size_t> streamed(reqs.size(), 0);
  auto emit = [&](size_t req, size_t upto) {
    upto = std::min(upto, out[req].text.size());
    if (reqs[req].on_text && upto > streamed[req])
      reqs[req].on_text(out[req].text.substr(streamed[req], upto - streamed[req]));
    streamed[req] = std::max(streamed[req], upto);
  };
  size_t next = 0;
  std::vector<Part> parts;
  std::vector<OutRow> outs;
  std::vector<engine::RowQuery> qs;
  std::vector<engine::RowAnswer> answers;
  std::vector<float> logits;

  auto admit_more = [&]() {
    while (active.size() < max_batch && next < reqs.size()) {
      const engine::GenerateRequest& r = reqs[next];
      Active a;
      a.seq = std::make_unique<Seq>();
      a.seq->tokens = prompts[next];
      a.n_prompt = int64_t(a.seq->tokens.size());
      a.seq->first_out = a.n_prompt - 1;
      a.seq->index_limit = opt_.prefix_cache ? a.n_prompt : 0;
      const int64_t total = std::min(n_ctx_, a.n_prompt + std::max(0, r.max_tokens));
      const Seq* prev = active.empty() ? last_.get() : active.back().seq.get();
      if (!admit(*a.seq, total, r.max_tokens > 0 ? a.n_prompt - 1 : 0, prev)) return;  // wait
      gen_stats_.reused_tokens += a.seq->n_done;
      a.req = next;
      for (const auto& s : r.stop) a.max_stop = std::max(a.max_stop, s.size());
      a.cfg = {r.sampler.temperature, r.sampler.top_k, r.sampler.top_p};
      a.rng.emplace(r.sampler.seed);
      active.push_back(std::move(a));
      ++next;
    }
  };
  // Ends sequence `i` of `active` with `reason`.
  auto end_seq = [&](size_t i, engine::StopReason reason) {
    Active& a = active[i];
    const size_t req = a.req;
    out[req].reason = reason;
    emit(req, out[req].text.size());
    stream.finish(req);
    finish(*a.seq);
    active.erase(active.begin() + std::ptrdiff_t(i));
    if (on_done) (*on_done)(req, out[req]);
  };

  while (true) {
    admit_more();
    // The checks that precede each token (as in a one-at-a-time loop).
    for (size_t i = active.size(); i-- > 0;) {
      const Active& a = active[i];
      if (out[a.req].n_tokens >= reqs[a.req].max_tokens)
        end_seq(i, engine::StopReason::max_tokens);
      else if (int64_t(a.seq->tokens.size()) >= n_ctx_)
        end_seq(i, engine::StopReason::context_full);
    }
    stream.flush(out);
    if (active.empty()) {
      if (next >= reqs.size()) break;
      continue;
    }
    // One step: prompt chunks of the sequences still prefilling (up to step_rows tokens in
    // all) if there are any, otherwise one token of every active sequence. Keeping the two
    // kinds of step apart times generation on its own (GenerateStats) and costs one extra
    // pass over the weights per prompt chunk.
    parts.clear();
    bool prefill = false;
    for (const Active& a : active) prefill = prefill || a.seq->pending() > 1;
    int64_t rows = 0, prefill_left = std::max<int64_t>(1, be_->step_rows()), prompt_rows = 0;
    for (Active& a : active) {
      Seq& s = *a.seq;
      const int64_t pending = s.pending();
      if (prefill != (pending > 1)) continue;
      const int64_t take = prefill ? std::min(pending, prefill_left) : pending;
      if (take <= 0) continue;
      if (prefill) prefill_left -= take;
      parts.push_back({&s, take});
      rows += take;
      prompt_rows += std::max<int64_t>(0, std::min(a.n_prompt, s.n_done + take) - s.n_done);
    }
    const auto t_step = std::chrono::steady_clock::now();
    run_step(parts, outs);
    // Greedy rows need the argmax alone (computed where the logits are); sampled rows the whole row.
    bool need_rows = false;
    qs.clear();
    std::vector<size_t> out_active(outs.size());
    for (size_t r = 0; r < outs.size(); ++r) {
      size_t i = 0;
      while (active[i].seq.get() != outs[r].seq) ++i;
      out_active[r] = i;
      if (active[i].cfg.temperature <= 0.0 || active[i].cfg.top_k == 1)
        qs.push_back({int64_t(r), -1});
      else
        need_rows = true;
    }
    if (need_rows) {
      logits.resize(outs.size() * size_t(nv));
      be_->read_logits(logits.data());
    }
    answers.resize(qs.size());
    if (!qs.empty()) be_->score(qs.data(), int64_t(qs.size()), answers.data());
    std::vector<int32_t> sampled(outs.size());
    for (size_t r = 0, q = 0; r < outs.size(); ++r) {
      Active& a = active[out_active[r]];
      if (q < qs.size() && qs[q].row == int64_t(r))
        sampled[r] = answers[q++].argmax;
      else
        sampled[r] = sample(&logits[r * size_t(nv)], nv, a.cfg, *a.rng);
    }
    // Sample, in reverse so that finishing a sequence keeps the lower indices valid.
    for (size_t r = outs.size(); r-- > 0;) {
      const size_t i = out_active[r];
      Active& a = active[i];
      engine::GenerateResult& res = out[a.req];
      const int32_t t = sampled[r];
      if (tok_->is_eog(t)) {
        end_seq(i, engine::StopReason::eos);
        continue;
      }
      a.seq->tokens.push_back(t);
      a.seq->first_out = int64_t(a.seq->tokens.size()) - 1;
      ++res.n_tokens;
      res.text += tok_->piece(t);
      size_t cut = std::string::npos;
      for (const auto& s : reqs[a.req].stop)
        if (!s.empty()) cut = std::min(cut, res.text.find(s));
      if (cut != std::string::npos) {
        res.text.resize(cut);
        end_seq(i, engine::StopReason::stop_string);
        continue;
      }
      if (res.text.size() + 1 > a.max_stop) {
        const size_t safe = res.text.size() + 1 - std::max<size_t>(1, a.max_stop);
        stream.set_safe(a.req, safe);
        emit(a.req, safe);
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_step).count();
    gen_stats_.prompt_tokens += prompt_rows;
    gen_stats_.generated_tokens += int64_t(outs.size());
    if (prefill)
      ++gen_stats_.prefill_steps, gen_stats_.prefill_seconds += secs;
    else
      ++gen_stats_.decode_steps, gen_stats_.decode_rows += rows, gen_stats_.decode_seconds += secs;
    stream.flush(out);
  }
  return out;
}

}  // namespace ys::runtime
