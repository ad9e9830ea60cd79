// CpuModel::generate (PROTOCOLS.md §1.4) with continuous batching.
//
// Up to LoadOptions::batch_size sequences are active, each with its own KV cache. A step
// is either a prompt step (chunks of the prompts still to be prefilled) or a decode step
// (one token of every active sequence), run through LlamaForward::forward_batch as ONE
// batch, so each weight is streamed once per step for all its sequences; attention stays
// per sequence. A sequence
// leaves when it ends (stop string, EOS, max tokens, full context) and the next request
// joins. With LoadOptions::prefix_cache, a joining prompt starts from the prefix blocks
// in the store (a few-shot prefix shared by all prompts is computed once) and a prefilled
// prompt saves its blocks. Each request samples with its own RNG from logits whose bits do not depend on
// the batch, so its result equals generating it alone.
#include "common/error.h"
#include "engine/model/cpu_model.h"
#include "engine/runtime/sampler.h"

#include <algorithm>
#include <chrono>
#include <optional>

namespace ys::engine {

namespace {

constexpr int64_t kPrefillChunk = 256;  // prompt tokens per step, over all prefilling sequences

struct Active {
  size_t req = 0;
  size_t slot = 0;
  std::vector<int32_t> seq;  // prompt + generated tokens
  int64_t n_cached = 0;      // positions already in the slot's KV cache
  int64_t cost = 0;          // positions charged to the memory budget
  int64_t n_prompt = 0;
  size_t max_stop = 0;
  runtime::SamplingConfig cfg;
  std::optional<runtime::Rng> rng;
};

// Streams the requests' text in request order (the bytes a one-at-a-time run would send):
// request k streams live; later ones are flushed when every earlier one has finished.
class OrderedSink {
 public:
  OrderedSink(TextSink sink, void* user, size_t n) : sink_(sink), user_(user), safe_(n, 0), sent_(n, 0), done_(n) {}
  void set_safe(size_t r, size_t upto) { safe_[r] = std::max(safe_[r], upto); }
  void finish(size_t r) { done_[r] = true; }
  void flush(const std::vector<GenerateResult>& res) {
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
  TextSink sink_;
  void* user_;
  std::vector<size_t> safe_, sent_;
  std::vector<bool> done_;
  size_t next_ = 0;
};

}  // namespace

std::vector<GenerateResult> CpuModel::generate(const std::vector<GenerateRequest>& reqs, TextSink sink, void* user) {
  return generate_impl(reqs, sink, user, nullptr);
}

std::vector<GenerateResult> CpuModel::generate_streamed(const std::vector<GenerateRequest>& reqs,
                                                        const DoneFn& on_done) {
  return generate_impl(reqs, nullptr, nullptr, &on_done);
}

std::vector<GenerateResult> CpuModel::generate_impl(const std::vector<GenerateRequest>& reqs, TextSink sink,
                                                    void* user, const DoneFn* on_done) {
  const int64_t n_ctx = kv_.n_ctx(), nv = h_.n_vocab, bpp = kv_.bytes_per_pos();
  const int64_t budget_pos = opt_.kv_memory_bytes / bpp;
  std::vector<GenerateResult> out(reqs.size());
  std::vector<std::vector<int32_t>> prompts(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::vector<int32_t>& seq = prompts[i];
    seq = encode_input(reqs[i].prompt);
    if (seq.empty()) seq.push_back(tok_->bos() >= 0 ? tok_->bos() : std::max(0, tok_->eos()));
    const int64_t keep = std::max<int64_t>(1, n_ctx - std::max(0, reqs[i].max_tokens));
    if (int64_t(seq.size()) > keep) seq.erase(seq.begin(), seq.end() - keep);
    out[i].n_prompt_tokens = int(seq.size());
    check_kv_budget(std::min(n_ctx, int64_t(seq.size()) + std::max(0, reqs[i].max_tokens)),
                    "generate request " + std::to_string(i));
  }
  const size_t max_batch = size_t(opt_.batch_size);
  std::vector<runtime::KvCache> slots;
  std::vector<size_t> free_slots;
  std::vector<Active> active;
  OrderedSink stream(sink, user, reqs.size());
  std::vector<size_t> streamed(reqs.size(), 0);  // bytes handed to GenerateRequest::on_text
  auto emit = [&](size_t req, size_t upto) {
    upto = std::min(upto, out[req].text.size());
    if (reqs[req].on_text && upto > streamed[req]) reqs[req].on_text(out[req].text.substr(streamed[req], upto - streamed[req]));
    streamed[req] = std::max(streamed[req], upto);
  };
  int64_t used_pos = 0;
  size_t next = 0;
  std::vector<LlamaForward::Seq> batch;
  std::vector<int64_t> out_rows;
  std::vector<size_t> out_seq;
  std::vector<float> logits;

  auto admit = [&]() {
    while (active.size() < max_batch && next < reqs.size()) {
      const GenerateRequest& r = reqs[next];
      const int64_t need = std::min(n_ctx, int64_t(prompts[next].size()) + std::max(0, r.max_tokens));
      if (free_slots.empty()) {
        slots.emplace_back(h_.n_layer, kv_.row_dim(), n_ctx);
        free_slots.push_back(slots.size() - 1);
      }
      const size_t slot = free_slots.back();
      const int64_t cost = std::max(need, slots[slot].capacity());
      if (!active.empty() && used_pos + cost > budget_pos - kv_.capacity()) return;  // wait for memory
      free_slots.pop_back();
      used_pos += cost;
      store_.shrink(opt_.kv_memory_bytes - (used_pos + kv_.capacity()) * bpp);
      slots[slot].set_growth_limit(need);
      slots[slot].set_n_pos(0);
      Active a;
      a.req = next, a.slot = slot, a.cost = cost;
      a.seq = std::move(prompts[next]);
      a.n_prompt = int64_t(a.seq.size());
      if (opt_.prefix_cache && r.max_tokens > 0) a.n_cached = store_.restore(a.seq.data(), 0, a.n_prompt - 1, slots[slot]);
      gen_stats_.reused_tokens += a.n_cached;
      for (const auto& s : r.stop) a.max_stop = std::max(a.max_stop, s.size());
      a.cfg = {r.sampler.temperature, r.sampler.top_k, r.sampler.top_p};
      a.rng.emplace(r.sampler.seed);
      active.push_back(std::move(a));
      ++next;
    }
  };
  // Ends sequence `i` of `active` with `reason`.
  auto finish = [&](size_t i, StopReason reason) {
    Active& a = active[i];
    const size_t req = a.req;
    out[req].reason = reason;
    emit(req, out[req].text.size());
    stream.finish(req);
    free_slots.push_back(a.slot);
    used_pos -= a.cost;
    active.erase(active.begin() + std::ptrdiff_t(i));
    if (on_done) (*on_done)(req, out[req]);
  };

  while (true) {
    admit();
    // The checks that precede each token (as in a one-at-a-time loop).
    for (size_t i = active.size(); i-- > 0;) {
      const Active& a = active[i];
      if (out[a.req].n_tokens >= reqs[a.req].max_tokens) finish(i, StopReason::max_tokens);
      else if (int64_t(a.seq.size()) >= n_ctx) finish(i, StopReason::context_full);
    }
    stream.flush(out);
    if (active.empty()) {
      if (next >= reqs.size()) break;
      continue;
    }
    // One step: prompt chunks of the sequences still prefilling (up to kPrefillChunk tokens
    // in all) if there are any, otherwise one token of every active sequence. Keeping the
    // two kinds of step apart times generation on its own (GenerateStats) and costs one
    // extra pass over the weights per prompt chunk.
    batch.clear(), out_rows.clear(), out_seq.clear();
    bool prefill = false;
    for (const Active& a : active) prefill = prefill || int64_t(a.seq.size()) - a.n_cached > 1;
    int64_t rows = 0, prefill_left = kPrefillChunk, prompt_rows = 0;
    for (size_t i = 0; i < active.size(); ++i) {
      Active& a = active[i];
      const int64_t pending = int64_t(a.seq.size()) - a.n_cached;
      if (prefill != (pending > 1)) continue;
      const int64_t take = prefill ? std::min(pending, prefill_left) : pending;
      if (take <= 0) continue;
      if (prefill) prefill_left -= take;
      batch.push_back({&a.seq[size_t(a.n_cached)], take, a.n_cached, &slots[a.slot]});
      rows += take;
      prompt_rows += std::max<int64_t>(0, std::min(a.n_prompt, a.n_cached + take) - a.n_cached);
      if (take == pending) out_rows.push_back(rows - 1), out_seq.push_back(i);
    }
    const auto t_step = std::chrono::steady_clock::now();
    logits.resize(size_t(std::max<int64_t>(1, int64_t(out_rows.size())) * nv));
    fwd_->forward_batch(batch.data(), int64_t(batch.size()), out_rows.data(), int64_t(out_rows.size()),
                        logits.data());
    for (const auto& b : batch) {
      for (auto& a : active) {
        if (b.kv != &slots[a.slot]) continue;
        a.n_cached += b.n_tok;
        if (opt_.prefix_cache && a.n_cached == a.n_prompt && a.n_cached - b.n_tok < a.n_prompt)  // prefilled
          store_.save(a.seq.data(), a.n_prompt, *b.kv, opt_.kv_memory_bytes - (used_pos + kv_.capacity()) * bpp);
      }
    }
    // Sample, in reverse so that finishing a sequence keeps the lower indices valid.
    for (size_t j = out_seq.size(); j-- > 0;) {
      const size_t i = out_seq[j];
      Active& a = active[i];
      GenerateResult& res = out[a.req];
      const int32_t t = runtime::sample(&logits[j * size_t(nv)], nv, a.cfg, *a.rng);
      if (tok_->is_eog(t)) { finish(i, StopReason::eos); continue; }
      a.seq.push_back(t);
      ++res.n_tokens;
      res.text += tok_->piece(t);
      size_t cut = std::string::npos;
      for (const auto& s : reqs[a.req].stop)
        if (!s.empty()) cut = std::min(cut, res.text.find(s));
      if (cut != std::string::npos) {
        res.text.resize(cut);
        finish(i, StopReason::stop_string);
        continue;
      }
      if (res.text.size() + 1 > a.max_stop) {
        stream.set_safe(a.req, res.text.size() + 1 - std::max<size_t>(1, a.max_stop));
        emit(a.req, res.text.size() + 1 - std::max<size_t>(1, a.max_stop));
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_step).count();
    gen_stats_.prompt_tokens += prompt_rows;
    gen_stats_.generated_tokens += int64_t(out_seq.size());
    if (prefill) ++gen_stats_.prefill_steps, gen_stats_.prefill_seconds += secs;
    else ++gen_stats_.decode_steps, gen_stats_.decode_rows += rows, gen_stats_.decode_seconds += secs;
    stream.flush(out);
  }
  return out;
}

}  // namespace ys::engine
