// Corpus chrF, bit-compatible with sacrebleu 2.6.0 defaults (PROTOCOLS.md §7): character
// order 6, word order 0, beta 2, case-sensitive, whitespace removed (''.join(s.split())
// with Python's whitespace set), effective-order averaging of precision and recall over
// the orders where hyp and ref both have n-grams. Characters are Unicode code points;
// invalid UTF-8 bytes count as one character each (surrogateescape, see pystr.h).
// Several references: each segment keeps the statistics of its best-F reference.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ys::metrics {

inline constexpr int kChrfCharOrder = 6;
inline constexpr int kChrfBeta = 2;

// Per order n=1..6: [hyp n-grams (0 if the reference has none), ref n-grams, matches].
struct ChrfStats {
  std::array<int64_t, 3 * kChrfCharOrder> v{};
  ChrfStats& operator+=(const ChrfStats& o);
};

ChrfStats chrf_segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs);
// sacrebleu CHRF._compute_f_score (eps_smoothing false), 0..100.
double chrf_from_stats(const ChrfStats& stats);

// refs[r][i] = reference stream r, segment i. Throws ys::Error on mismatched line counts.
std::vector<ChrfStats> chrf_corpus_segment_stats(const std::vector<std::string>& hyps,
                                                 const std::vector<std::vector<std::string>>& refs);
double corpus_chrf(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs);

// "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"
std::string chrf_signature(int nrefs);
// "chrF2|<sig> = 54.77"
std::string chrf_score_line(double score, int nrefs, int width = 2);

}  // namespace ys::metrics
