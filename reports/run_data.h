// What compare / gate / report need of one run, loaded either from a result store or from
// a baseline file written by `yardstick baseline export` (baseline.h), so a CI job can
// gate without the baseline's database.
#pragma once

#include "runner/store/records.h"
#include "runner/store/store.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ys::reports {

struct SampleView {
  std::string doc_id;
  std::string prompt_hash;
  std::map<std::string, double> scores;
  nlohmann::json corpus_stats = nlohmann::json::object();  // e.g. {"bleu_stats":[...], "chrf_stats":[...]}
  std::string prompt_excerpt;  // empty when loaded from a baseline file
  std::string output;          // the output JSON text (may be empty for baseline files)
  std::string target;
  std::string category;        // the sample's extra "category" (MMLU), or ""
};

struct RunData {
  store::RunRecord run;
  std::vector<store::MetricRecord> metrics;
  std::vector<SampleView> samples;  // in doc_id order
  std::vector<store::PerfRecord> perf;
  std::optional<store::HardwareRecord> hardware;
  std::string source;  // "db:<path>" or the baseline file

  const store::MetricRecord* metric(const std::string& name) const;
  // tokens / wall_s of the run, when both are known.
  std::optional<double> tokens_per_s() const;
  const SampleView* sample(const std::string& doc_id) const;
};

// Loads one run (id or unique prefix) with metrics, samples and perf results.
RunData load_run(store::Store& st, const std::string& id_or_prefix);

// A setting of the run for labels and --by/--where: quant, threads, device, tag, hardware,
// model (file name), suite, shard; "" when absent.
std::string run_attribute(const RunData& r, const std::string& key);
std::string run_attribute(const store::RunRecord& r, const std::string& cpu_model, const std::string& key);

// Short text of a prompt: the request's "context"/"prompt" field, one line, at most max chars.
std::string prompt_excerpt(const std::string& request_json, size_t max = 160);
std::string one_line(std::string s, size_t max);

}  // namespace ys::reports

namespace ys::reports {

// Ids of the runs matching `where`: comma-separated key=value terms, all of which must
// hold: model (substring of the model path), suite, quant, tag, status, kind, hardware
// (substring of the CPU model or hardware id), or any settings key (exact, e.g.
// threads=8, device=cpu). Oldest first. Throws ys::Error(invalid_input) on a bad term.
std::vector<std::string> runs_matching(store::Store& st, const std::string& where);

}  // namespace ys::reports
