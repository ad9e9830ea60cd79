// MMLU aggregation as lm-eval reports it (PROTOCOLS.md §1.5, §2):
//   acc               micro average over every document (headline); stderr pooled over subjects
//   acc/<subject>     mean, stderr = sample stddev (n-1) / sqrt(n)
//   acc/<category>    size-weighted mean of its subjects, pooled stderr
//   acc_macro         unweighted mean of the subject scores; stderr sqrt(Σ se_i²) / k
// Formulas: suites/metrics/stats.h. Subjects come from the doc_id prefix ("<subject>/<row>").
// Undefined stderrs are NaN.
#pragma once

#include "suites/suite.h"

#include <cstdint>
#include <vector>

namespace ys::suites {

std::vector<Metric> aggregate_mmlu(const std::vector<Sample>& samples);

}  // namespace ys::suites
