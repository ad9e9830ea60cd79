// GSM8K answer extraction and exact_match as lm-eval's gsm8k / gsm8k_cot (PROTOCOLS.md §3):
//   strict-match      findall(strict pattern), first match, strip; "[invalid]" if none
//   flexible-extract  findall("(-?[$0-9.,]{2,})|(-?[0-9]+)"), LAST match, first non-empty group
//   exact_match       re.sub each of ",", "\$", "(?s).*#### ", "\.$" with "" on prediction and
//                     reference, lower-case both, compare for equality.
#pragma once

#include "suites/metrics/extraction.h"

#include <string>
#include <string_view>
#include <vector>

namespace ys::suites {

inline constexpr const char* kGsm8kStrictPattern = "#### (\\-?[0-9\\.\\,]+)";
inline constexpr const char* kGsm8kCotStrictPattern = "The answer is (\\-?[0-9\\.\\,]+).";
inline constexpr const char* kGsm8kFlexiblePattern = "(-?[$0-9.,]{2,})|(-?[0-9]+)";

class Gsm8kScorer {
 public:
  explicit Gsm8kScorer(const std::string& strict_pattern);

  std::string strict(std::string_view response) const;
  std::string flexible(std::string_view response) const;
  // The exact_match_hf_evaluate normalisation (regexes_to_ignore, then lower-case).
  std::string normalize(std::string_view s) const;
  // 1.0 if normalize(prediction) == normalize(reference), else 0.0.
  double exact_match(std::string_view prediction, std::string_view reference) const;

 private:
  metrics::PyRegex strict_;
  metrics::PyRegex flexible_;
  std::vector<metrics::PyRegex> ignore_;
};

// Python answer.split('####')[-1].strip(): the gsm8k_cot reference.
std::string gsm8k_final_answer(std::string_view answer);

}  // namespace ys::suites
