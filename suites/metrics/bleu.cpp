#include "suites/metrics/bleu.h"

#include "common/error.h"
#include "suites/metrics/pystr.h"
#include "suites/metrics/tokenizer_13a.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

namespace ys::metrics {

BleuStats& BleuStats::operator+=(const BleuStats& o) {
  hyp_len += o.hyp_len;
  ref_len += o.ref_len;
  for (int n = 0; n < kBleuMaxOrder; ++n) {
    correct[n] += o.correct[n];
    total[n] += o.total[n];
  }
  return *this;
}

namespace {

// n-gram key: tokens joined by ' ' (tokens never contain whitespace), so orders differ
// in their number of spaces and never collide.
using NgramCounts = std::unordered_map<std::string, int64_t>;

NgramCounts count_ngrams(const std::vector<std::string_view>& toks) {
  NgramCounts counts;
  for (int n = 1; n <= kBleuMaxOrder; ++n) {
    for (size_t i = 0; i + n <= toks.size(); ++i) {
      std::string key(toks[i]);
      for (int k = 1; k < n; ++k) {
        key.push_back(' ');
        key.append(toks[i + k]);
      }
      ++counts[key];
    }
  }
  return counts;
}

int ngram_order(const std::string& key) { return 1 + static_cast<int>(std::count(key.begin(), key.end(), ' ')); }

// sacrebleu BLEU._get_closest_ref_len.
int64_t closest_ref_len(int64_t hyp_len, const std::vector<int64_t>& ref_lens) {
  int64_t best_diff = -1, best_len = -1;
  for (int64_t len : ref_lens) {
    const int64_t diff = std::llabs(hyp_len - len);
    if (best_diff == -1 || diff < best_diff) {
      best_diff = diff;
      best_len = len;
    } else if (diff == best_diff && len < best_len) {
      best_len = len;
    }
  }
  return best_len;
}

double my_log(double x) { return x == 0.0 ? -9999999999.0 : std::log(x); }

}  // namespace

BleuStats bleu_segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs) {
  NgramCounts ref_max;
  std::vector<int64_t> ref_lens;
  for (std::string_view ref : refs) {
    const std::string tok = tokenize_13a(py_rstrip(ref));
    const auto toks = py_split(tok);
    ref_lens.push_back(static_cast<int64_t>(toks.size()));
    for (const auto& [key, c] : count_ngrams(toks)) {
      auto& slot = ref_max[key];
      slot = std::max(slot, c);
    }
  }
  const std::string hyp_tok = tokenize_13a(py_rstrip(hyp));
  const auto hyp_toks = py_split(hyp_tok);
  BleuStats st;
  st.hyp_len = static_cast<int64_t>(hyp_toks.size());
  st.ref_len = closest_ref_len(st.hyp_len, ref_lens);
  for (const auto& [key, c] : count_ngrams(hyp_toks)) {
    const int n = ngram_order(key) - 1;
    st.total[n] += c;
    const auto it = ref_max.find(key);
    if (it != ref_max.end()) st.correct[n] += std::min(c, it->second);
  }
  return st;
}

BleuScore bleu_from_stats(const BleuStats& stats) {
  BleuScore s;
  s.stats = stats;
  const double sys_len = static_cast<double>(stats.hyp_len), ref_len = static_cast<double>(stats.ref_len);
  s.ratio = stats.ref_len != 0 ? sys_len / ref_len : 0.0;
  s.bp = 1.0;
  if (stats.hyp_len < stats.ref_len) s.bp = stats.hyp_len > 0 ? std::exp(1.0 - ref_len / sys_len) : 0.0;
  if (std::all_of(stats.correct.begin(), stats.correct.end(), [](int64_t c) { return c == 0; })) {
    s.score = 0.0;
    return s;
  }
  double smooth = 1.0;
  for (int n = 0; n < kBleuMaxOrder; ++n) {
    if (stats.total[n] == 0) break;
    const double total = static_cast<double>(stats.total[n]);
    if (stats.correct[n] == 0) {
      smooth *= 2;
      s.precisions[n] = 100.0 / (smooth * total);
    } else {
      s.precisions[n] = 100.0 * static_cast<double>(stats.correct[n]) / total;
    }
  }
  double sum = 0.0;
  for (double p : s.precisions) sum += my_log(p);
  s.score = s.bp * std::exp(sum / kBleuMaxOrder);
  return s;
}

std::vector<BleuStats> bleu_corpus_segment_stats(const std::vector<std::string>& hyps,
                                                 const std::vector<std::vector<std::string>>& refs) {
  if (refs.empty()) fail(ErrorKind::invalid_input, "BLEU: no reference stream given (expected at least one)");
  for (size_t r = 0; r < refs.size(); ++r) {
    if (refs[r].size() != hyps.size())
      fail(ErrorKind::invalid_input, "BLEU: reference stream {} has {} lines but there are {} hypotheses", r + 1,
           refs[r].size(), hyps.size());
  }
  std::vector<BleuStats> out;
  out.reserve(hyps.size());
  std::vector<std::string_view> seg_refs(refs.size());
  for (size_t i = 0; i < hyps.size(); ++i) {
    for (size_t r = 0; r < refs.size(); ++r) seg_refs[r] = refs[r][i];
    out.push_back(bleu_segment_stats(hyps[i], seg_refs));
  }
  return out;
}

BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs) {
  BleuStats sum;
  for (const BleuStats& st : bleu_corpus_segment_stats(hyps, refs)) sum += st;
  return bleu_from_stats(sum);
}

std::string bleu_signature(int nrefs) {
  return fmt::format("nrefs:{}|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", nrefs);
}

std::string bleu_score_line(const BleuScore& s, int nrefs, int width) {
  return fmt::format("BLEU|{} = {:.{}f} {:.1f}/{:.1f}/{:.1f}/{:.1f} (BP = {:.3f} ratio = {:.3f} hyp_len = {} ref_len = {})",
                     bleu_signature(nrefs), s.score, width, s.precisions[0], s.precisions[1], s.precisions[2],
                     s.precisions[3], s.bp, s.ratio, s.stats.hyp_len, s.stats.ref_len);
}

}  // namespace ys::metrics
