// GSM8K extraction and exact_match (see gsm8k_scoring.h).
#include "suites/gsm8k/gsm8k_scoring.h"

namespace ys::suites {

Gsm8kScorer::Gsm8kScorer(const std::string& strict_pattern)
    : strict_(strict_pattern), flexible_(kGsm8kFlexiblePattern) {
  for (const char* p : {",", "\\$", "(?s).*#### ", "\\.$"}) ignore_.emplace_back(p);
}

std::string Gsm8kScorer::strict(std::string_view response) const {
  return metrics::regex_filter(strict_, response, 0);
}

std::string Gsm8kScorer::flexible(std::string_view response) const {
  return metrics::regex_filter(flexible_, response, -1);
}

std::string Gsm8kScorer::normalize(std::string_view s) const {
  std::vector<const metrics::PyRegex*> res;
  for (const auto& r : ignore_) res.push_back(&r);
  return metrics::normalize_for_exact_match(s, res, true);
}

double Gsm8kScorer::exact_match(std::string_view prediction, std::string_view reference) const {
  return normalize(prediction) == normalize(reference) ? 1.0 : 0.0;
}

std::string gsm8k_final_answer(std::string_view answer) {
  // str.split scans left to right for non-overlapping separators; keep the last piece.
  size_t start = 0;
  for (size_t pos = answer.find("####"); pos != std::string_view::npos; pos = answer.find("####", start))
    start = pos + 4;
  return std::string(metrics::py_strip(answer.substr(start)));
}

}  // namespace ys::suites
