// JSON reports: the schema every machine-readable output follows. Every document has
// "schema" and "schema_version"; numbers are plain JSON numbers in the metric's own units
// (fractions stay 0..1 here; only the human renderings show percent); absent values are
// null. New fields may be added within a schema_version; removing or renaming one bumps it.
//
// compare (`yardstick compare --format json`), schema "yardstick-compare", version 1:
//   {"schema", "schema_version", "by": "quant"|...|"",
//    "runs": [RUN...],                       // runs[0] is the reference
//    "labels": ["..."],                      // one per run
//    "notes": ["runs A and B differ in ..."],
//    "metrics": [{"name", "headline", "group": "headline"|"category"|"aggregate"|"subject", "fraction",
//                 "values": [{"value", "stderr", "n"} | null, ...],     // one per run
//                 "diffs": [null, DIFF | null, ...]}],                  // vs runs[0]
//    "perf": [{"name", "unit", "values": [number|null...], "spread": [number|null...]}],
//    "drift": [null, DRIFT | ...],           // one per run, vs runs[0] (reports/drift.h)
//    "flips": [{"doc_id", "prompt_hash", "prompt", "output_a", "output_b", "target",
//               "score_a", "score_b"}]   // only with --flips
//   }
//   DRIFT = {"verdict": "identical"|"numeric"|"changed"|"none", "summary", "shared",
//            "only_reference", "only_run", "prompt_changed", "identical_outputs",
//            "missing_output", "opaque": COUNT, "values": NUM, "strings": COUNT,
//            "flags": COUNT, "structure_changed", "scores": NUM, "outcome_key",
//            "outcome_changed"}
//   NUM = {"compared", "differ", "max_abs", "mean_abs", "max_doc", "max_path"}
//   COUNT = {"compared", "differ"}
//   DIFF = {"n", "delta", "ci_low", "ci_high", "p", "test", "b", "c"}
//          (delta = candidate - reference; b/c: McNemar discordant counts)
//
// report (`yardstick report --format json`), schema "yardstick-report", version 1:
//   {"schema", "schema_version", "db",
//    "runs": [RUN + {"headline": METRIC|null, "tokens_per_s", "metrics": [METRIC...],
//                    "headline_interval": {"low", "high", "method": "normal"|"wilson"}|null,
//                    "docs": documents stored, "full_docs": documents in the full test set|null,
//                    "sample_scope": "57 of 14,042 questions (0.4%); full run ≈ ...",
//                    "perf": [PERF...], "problems": [{"doc_id", "pass"}] (HumanEval)}],
//    "hardware": [{"id", "cpu_model", "cores", "memory_bytes", "gpus"}],
//    "kernels": [{"name", "shape", "dtype", "isa", "ns_per_iter", "gb_per_s", "gflop_per_s",
//                 "peak_fraction", "run_id", "hardware_id"}]}
//
//   RUN = {"id", "created_at", "status", "kind", "suite", "model", "model_path",
//          "model_sha256", "quant", "threads", "device", "tag", "hardware_id", "cpu_model",
//          "protocol_version", "code_version", "seed", "wall_s", "tokens", "settings"}
//   METRIC = {"name", "value", "stderr", "n", "headline"}
//   PERF = {"name", "value", "unit", "repetitions", "median", "stddev"}
//
// gate (`--junit`, `--md`) and baseline files have their own formats (gate.h, baseline.h).
#pragma once

#include "reports/run_data.h"

#include <nlohmann/json.hpp>

namespace ys::reports {

inline constexpr int kReportSchemaVersion = 1;

nlohmann::json run_json(const store::RunRecord& r, const std::string& cpu_model);
nlohmann::json metric_json(const store::MetricRecord& m);
nlohmann::json perf_json(const store::PerfRecord& p);

}  // namespace ys::reports

namespace ys::reports {
// Pretty JSON text; invalid UTF-8 from the store (model outputs) becomes U+FFFD.
std::string json_text(const nlohmann::json& j);
// Writes text to path, or to stdout when path is empty or "-".
void emit(const std::string& text, const std::string& path);
}  // namespace ys::reports
