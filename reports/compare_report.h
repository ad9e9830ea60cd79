// Renderings of a Comparison (compare.h), with its drift section (drift.h): Markdown (fits
// a PR comment), one self-contained HTML page (compare_html.cpp: pictures first — a forest
// plot of the differences and accuracy vs throughput — then the tables, per-subject rows
// folded), and JSON (schema in json_report.h). `flips` (from `compare --flips A B`) may be
// null.
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

namespace detail {  // shared by compare_report.cpp and compare_html.cpp
std::string run_caption(const RunData& r);
std::string output_text(const std::string& output_json);  // the generated text of an output JSON
std::string drift_html(const Comparison& c);               // the drift section
}  // namespace detail

}  // namespace ys::reports
