// Baseline files: one run's provenance, metrics, perf numbers and per-sample scores as a
// small JSON document, so a CI job can gate a candidate without the baseline's database.
//
// {
//   "schema": "yardstick-baseline", "schema_version": 1,
//   "run": {"id", "created_at", "status", "kind", "suite", "model_path", "model_sha256",
//           "quant", "settings": {...}, "datasets": {"file": "sha256"}, "protocol": {...},
//           "protocol_version", "code_version", "seed", "tag", "wall_s", "tokens",
//           "hardware": {"id", "cpu_model", "cores", "memory_bytes"} | null},
//   "metrics": [{"name", "value", "stderr" (number|null), "n", "headline"}],
//   "perf": [{"name", "value", "unit", "repetitions", "median", "stddev"}],
//   "samples": {"<doc_id>": {"scores": {"acc": 1}, "prompt_hash": "...",
//                            "bleu_stats": [...], "chrf_stats": [...]  (WMT only),
//                            "category": "stem"  (MMLU; optional)}}
// }
#pragma once

#include "reports/run_data.h"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace ys::reports {

inline constexpr int kBaselineSchemaVersion = 1;

nlohmann::json baseline_json(const RunData& run);
// Parses and validates a baseline document; errors (ys::Error format) name `source` and the key.
RunData baseline_from_json(const nlohmann::json& j, const std::string& source);
RunData read_baseline_file(const std::filesystem::path& path);
void write_text_file(const std::filesystem::path& path, const std::string& text);

}  // namespace ys::reports
