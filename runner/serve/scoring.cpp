#include "runner/serve/scoring.h"

#include "common/error.h"
#include "engine/model/backend.h"

#include <algorithm>
#include <cmath>

namespace ys::serve {

TokenRow summarize_row(const float* logits, int64_t n, int32_t target, int k) {
  // The engine's own arithmetic (engine::row_stats, engine/model/backend.h): the same bits.
  const engine::RowSummary sum = engine::row_summary(logits, n, true);
  auto lp = [&](int64_t i) { return engine::log_softmax_at(logits, sum, int32_t(i)); };
  TokenRow r;
  r.token = target;
  r.logprob = lp(target);
  const float lt = logits[target];
  int64_t above = 0;
  for (int64_t i = 0; i < n; ++i) above += logits[i] > lt || (logits[i] == lt && i < target);
  r.rank = above + 1;
  if (k > 0) {
    // Top k by (logit desc, id asc): a bounded selection over the row.
    auto better = [&](int64_t a, int64_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
    std::vector<int64_t> top;
    top.reserve(size_t(k) + 1);
    for (int64_t i = 0; i < n; ++i) {
      if (int(top.size()) == k && !better(i, top.back())) continue;
      auto at = std::upper_bound(top.begin(), top.end(), i, better);
      top.insert(at, i);
      if (int(top.size()) > k) top.pop_back();
    }
    for (int64_t i : top) r.top.push_back({int32_t(i), lp(i)});
  }
  return r;
}

ScoredPrompt PromptScorer::score(const std::vector<int32_t>& ids, int k, bool next) {
  if (ids.empty()) fail(ErrorKind::invalid_input, "an empty prompt has no tokens to score");
  ScoredPrompt out;
  out.rows.assign(ids.size(), TokenRow{});
  // Rows 1..shared-1 from the longest matching memo entry (with enough alternatives).
  size_t shared = 0;
  const Memo* from = nullptr;
  for (const Memo& m : memo_) {
    if (m.k < k) continue;
    size_t l = 0;
    const size_t lim = std::min(m.ids.size(), ids.size());
    while (l < lim && m.ids[l] == ids[l]) ++l;
    if (l > shared) shared = l, from = &m;
  }
  for (size_t p = 1; p < shared; ++p) {
    out.rows[p] = from->rows[p];
    if (int(out.rows[p].top.size()) > k) out.rows[p].top.resize(size_t(k));
  }
  // The rest from the engine: row `pos` of next_token_logits predicts ids[pos + 1].
  std::vector<int32_t> input = ids;
  if (next) input.push_back(0);  // a placeholder: its row is the distribution after the prompt
  const int64_t first = int64_t(std::max<size_t>(shared, 1)) - 1;
  const int64_t n_real = int64_t(ids.size());
  model_.next_token_logits_from(input, first, [&](int64_t pos, const float* logits, int64_t n_vocab) {
    if (pos + 1 < n_real) {
      out.rows[size_t(pos + 1)] = summarize_row(logits, n_vocab, ids[size_t(pos + 1)], k);
    } else if (next && pos + 1 == n_real) {
      out.next_top = summarize_row(logits, n_vocab, 0, std::max(k, 1)).top;
    }
  });
  if (next && out.next_top.empty()) fail(ErrorKind::internal, "scoring: the engine returned no row after the prompt");
  memo_.push_front({ids, out.rows, k});
  if (memo_.size() > memo_size_) memo_.pop_back();
  return out;
}

}  // namespace ys::serve
