// Renderings of a Comparison (compare.h), with its drift section (drift.h): Markdown (fits
// a PR comment), one self-contained HTML page, and JSON (schema in json_report.h). `flips`
// (from `compare --flips A B`) may be null.
#pragma once

#include "reports/compare.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ys::reports {

std::string compare_markdown(const Comparison& c, const std::vector<Flip>* flips);
std::string compare_html(const Comparison& c, const std::vector<Flip>* flips);
nlohmann::json compare_json(const Comparison& c, const std::vector<Flip>* flips);

// "61.40 ± 1.20 %" style cell for a metric value (fraction metrics in percent).
std::string metric_value_text(const MetricCell& cell, bool fraction);
std::string diff_text(const PairedResult& d, bool fraction);

}  // namespace ys::reports
