// Corpus BLEU, bit-compatible with sacrebleu 2.6.0 defaults (PROTOCOLS.md §7):
// 13a tokenizer on line.rstrip(), mixed case, max order 4, 'exp' smoothing, no
// effective order. Corpus score = compute_bleu(sum of per-segment statistics); never an
// average of sentence scores. Several references: per n-gram the max count over the
// references; ref_len = closest reference length (ties -> shorter).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ys::metrics {

inline constexpr int kBleuMaxOrder = 4;

// [hyp_len, ref_len, correct_1..4, total_1..4], as sacrebleu's segment statistics.
struct BleuStats {
  int64_t hyp_len = 0;
  int64_t ref_len = 0;
  std::array<int64_t, kBleuMaxOrder> correct{};
  std::array<int64_t, kBleuMaxOrder> total{};
  BleuStats& operator+=(const BleuStats& o);
};

struct BleuScore {
  double score = 0;                                 // 0..100
  std::array<double, kBleuMaxOrder> precisions{};   // 0..100 (smoothed)
  double bp = 0;
  double ratio = 0;                                 // sys_len / ref_len (0 if ref_len == 0)
  BleuStats stats;
};

// Statistics of one segment; `refs` are the raw (untokenized) references of this segment.
BleuStats bleu_segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs);

// sacrebleu BLEU.compute_bleu with smooth 'exp', effective_order false.
BleuScore bleu_from_stats(const BleuStats& stats);

// refs[r][i] = reference stream r, segment i (sacrebleu's layout). Every stream must
// have hyps.size() lines (throws ys::Error(invalid_input) otherwise).
std::vector<BleuStats> bleu_corpus_segment_stats(const std::vector<std::string>& hyps,
                                                 const std::vector<std::vector<std::string>>& refs);
BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs);

// "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
std::string bleu_signature(int nrefs);
// sacrebleu's text line: "BLEU|<sig> = 32.47 66.7/40.0/25.0/16.7 (BP = 1.000 ratio = 1.091 hyp_len = 12 ref_len = 11)"
std::string bleu_score_line(const BleuScore& s, int nrefs, int width = 2);

}  // namespace ys::metrics
