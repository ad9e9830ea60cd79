#include "suites/metrics/chrf.h"

#include "common/error.h"
#include "suites/metrics/pystr.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace ys::metrics {

ChrfStats& ChrfStats::operator+=(const ChrfStats& o) {
  for (size_t k = 0; k < v.size(); ++k) v[k] += o.v[k];
  return *this;
}

namespace {

using CharNgrams = std::array<std::unordered_map<std::u32string, int64_t>, kChrfCharOrder>;

CharNgrams char_ngrams(std::string_view line) {
  const std::u32string chars = utf8_decode_surrogateescape(py_join_split(line, ""));
  CharNgrams out;
  for (size_t n = 1; n <= static_cast<size_t>(kChrfCharOrder); ++n) {
    for (size_t i = 0; i + n <= chars.size(); ++i) ++out[n - 1][chars.substr(i, n)];
  }
  return out;
}

ChrfStats match_stats(const CharNgrams& hyp, const CharNgrams& ref) {
  ChrfStats st;
  for (int n = 0; n < kChrfCharOrder; ++n) {
    int64_t hyp_count = 0, ref_count = 0, match = 0;
    for (const auto& [gram, c] : hyp[n]) {
      hyp_count += c;
      const auto it = ref[n].find(gram);
      if (it != ref[n].end()) match += std::min(c, it->second);
    }
    for (const auto& [gram, c] : ref[n]) ref_count += c;
    st.v[3 * n] = ref[n].empty() ? 0 : hyp_count;
    st.v[3 * n + 1] = ref_count;
    st.v[3 * n + 2] = match;
  }
  return st;
}

}  // namespace

double chrf_from_stats(const ChrfStats& stats) {
  const double factor = kChrfBeta * kChrfBeta;
  double avg_prec = 0.0, avg_rec = 0.0;
  int effective_order = 0;
  for (int n = 0; n < kChrfCharOrder; ++n) {
    const int64_t n_hyp = stats.v[3 * n], n_ref = stats.v[3 * n + 1], n_match = stats.v[3 * n + 2];
    if (n_hyp > 0 && n_ref > 0) {
      avg_prec += static_cast<double>(n_match) / static_cast<double>(n_hyp);
      avg_rec += static_cast<double>(n_match) / static_cast<double>(n_ref);
      ++effective_order;
    }
  }
  if (effective_order == 0) {
    avg_prec = avg_rec = 0.0;
  } else {
    avg_prec /= effective_order;
    avg_rec /= effective_order;
  }
  if (avg_prec + avg_rec == 0.0) return 0.0;
  double score = (1 + factor) * avg_prec * avg_rec;
  score /= (factor * avg_prec) + avg_rec;
  return 100 * score;
}

ChrfStats chrf_segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs) {
  const CharNgrams hyp_grams = char_ngrams(hyp);
  ChrfStats best;
  double best_f = -1.0;
  for (std::string_view ref : refs) {
    const ChrfStats st = match_stats(hyp_grams, char_ngrams(ref));
    const double f = chrf_from_stats(st);
    if (f > best_f) {
      best_f = f;
      best = st;
    }
  }
  return best;
}

std::vector<ChrfStats> chrf_corpus_segment_stats(const std::vector<std::string>& hyps,
                                                 const std::vector<std::vector<std::string>>& refs) {
  if (refs.empty()) fail(ErrorKind::invalid_input, "chrF: no reference stream given (expected at least one)");
  for (size_t r = 0; r < refs.size(); ++r) {
    if (refs[r].size() != hyps.size())
      fail(ErrorKind::invalid_input, "chrF: reference stream {} has {} lines but there are {} hypotheses", r + 1,
           refs[r].size(), hyps.size());
  }
  std::vector<ChrfStats> out;
  out.reserve(hyps.size());
  std::vector<std::string_view> seg_refs(refs.size());
  for (size_t i = 0; i < hyps.size(); ++i) {
    for (size_t r = 0; r < refs.size(); ++r) seg_refs[r] = refs[r][i];
    out.push_back(chrf_segment_stats(hyps[i], seg_refs));
  }
  return out;
}

double corpus_chrf(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs) {
  ChrfStats sum;
  for (const ChrfStats& st : chrf_corpus_segment_stats(hyps, refs)) sum += st;
  return chrf_from_stats(sum);
}

std::string chrf_signature(int nrefs) {
  return fmt::format("nrefs:{}|case:mixed|eff:yes|nc:{}|nw:0|space:no|version:2.6.0", nrefs, kChrfCharOrder);
}

std::string chrf_score_line(double score, int nrefs, int width) {
  return fmt::format("chrF{}|{} = {:.{}f}", kChrfBeta, chrf_signature(nrefs), score, width);
}

}  // namespace ys::metrics
