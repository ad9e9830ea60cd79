// Published claims (a model card's numbers) checked against the result store
// (`yardstick claims check`, docs/claims.md).
//
// A claims file names a model and lists claims: suite, metric, value as published, shots,
// chat template on/off, notes. For each claim the store is searched for a finished run of
// that model and suite whose recorded protocol has the same shots and chat-template setting
// (protocol_json "num_fewshot"; "chat_template" absent = off), and the claim is compared
// with the run's value: a 95% interval around the measured value (Wilson score interval for
// 0/1 per-sample scores, value ± 1.96·stderr otherwise), the difference, and a verdict:
//   consistent  the claimed value lies inside the interval
//   below       the measured interval lies entirely below the claim
//   above       the measured interval lies entirely above the claim
// A run of a subset of the test set (--limit, --limit-per-subject, --shard, an lm-eval
// --limit) carries a caveat: its interval describes the documents it ran, which are the
// first ones of the set, not a random sample of it.
#pragma once

#include "reports/run_data.h"
#include "runner/store/store.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ys::reports {

struct Claim {
  std::string suite;          // a Yardstick suite name, or the card's benchmark name when not checkable
  std::string metric;         // the Yardstick metric name, e.g. "acc", "exact_match,flexible-extract"
  double value = 0;           // as published, in `unit`
  std::string unit;           // "percent" (0..100), "fraction" (0..1) or "points" (BLEU/chrF)
  int shots = 0;
  bool chat_template = false;
  std::string source;         // where in the source the number is (table and row)
  std::string notes;
  std::string not_checkable;  // reason; "" = checkable

  // The claimed value in the store's units (fractions 0..1, BLEU/chrF points).
  double store_value() const;
};

struct ClaimsFile {
  std::string path;
  std::string model;         // e.g. "HuggingFaceTB/SmolLM2-135M-Instruct"
  std::string model_sha256;  // optional: of the GGUF file the claims are checked on
  std::string model_match;   // optional: what a run's model file name must start with
  std::string source;        // URL of the published numbers
  std::string notes;
  std::vector<Claim> claims;
};

// Validates a claims document already parsed with duplicate-key detection (the runner's
// parse_json_strict). Unknown keys, missing required keys and wrong types are
// ys::Error(format) naming the file, the claim index and the key.
ClaimsFile claims_from_json(const nlohmann::json& j, const std::string& source_name);

// True when a metric is stored as a fraction (0..1); BLEU, chrF and TER are points.
bool claim_metric_is_fraction(const std::string& metric);

// True when the model file name (any directory stripped, case-insensitive) names `key`:
// it starts with the key, followed by the end, '.', '_', or '-' and a quantization or
// format suffix (q4_1, f16, bf16, iq2, gguf). "SmolLM2-135M" does not match
// "SmolLM2-135M-Instruct.Q4_1.gguf".
bool model_name_matches(const std::string& key, const std::string& model_path);

// A recorded chat-template setting (protocol_json / settings_json "chat_template"):
// absent, null, false or "" = off; true, a non-empty string (the template's name) or an
// object (unless its "enabled"/"apply" is false) = on.
bool chat_template_on(const nlohmann::json& v);

// The run facts a claim is matched on, read from the stored run.
struct RunProtocol {
  std::optional<int> shots;  // protocol_json num_fewshot (settings num_fewshot as fallback)
  bool chat_template = false;
  bool partial = false;      // a subset of the test set
  std::string partial_note;  // e.g. "--limit 12", "lm-eval --limit 4 (12 of 14042 documents)"
  std::string source;        // "yardstick" or "lm-eval"
};
RunProtocol run_protocol(const store::RunRecord& r, int64_t n);

struct ClaimResult {
  Claim claim;
  std::string status;   // "checked", "not_checkable", "no_run", "error"
  std::string reason;   // why not checked (not_checkable, no_run, error)
  std::string run_id;
  std::string run_source;       // "yardstick" | "lm-eval"
  double claimed = 0;           // store units
  std::optional<double> measured, std_err, ci_lo, ci_hi;
  int64_t n = 0;
  std::string interval;         // "wilson" | "normal" | "" (none: no stderr)
  std::string verdict;          // "consistent" | "below" | "above" | "" (no interval or not checked)
  bool partial = false;
  std::string partial_note;
  bool fraction = true;         // shown in percent

  std::optional<double> difference() const;  // measured - claimed, store units
};

struct ClaimsReport {
  ClaimsFile file;
  std::string db_path;
  std::string model_sha256;  // used for matching ("" = by name)
  std::vector<ClaimResult> results;

  int count(const std::string& verdict) const;
};

// Options of the matching.
struct ClaimsMatchOptions {
  std::string model_sha256;                       // when set, runs must have this model sha256
  std::function<bool(const std::string&)> suite_known;  // a Yardstick suite name? (null: every name)
};

// The best stored run for one claim: finished, same model (sha256 or name), suite, shots,
// chat-template setting, and carrying the metric. Full runs before subsets, then larger n,
// then newer. nullopt when none.
std::optional<std::string> find_claim_run(store::Store& st, const ClaimsFile& f, const Claim& c,
                                          const ClaimsMatchOptions& o);

// Checks every claim against the store (no running).
ClaimsReport check_claims(store::Store& st, const ClaimsFile& f, const ClaimsMatchOptions& o);

// Compares one claim with a loaded run (exposed for tests).
ClaimResult evaluate_claim(const Claim& c, const RunData& run);

// 95% Wilson score interval of a proportion p over n trials.
std::pair<double, double> wilson_interval(double p, int64_t n);

// Renderings: a Markdown table (terminals, PR comments), JSON (schema "yardstick-claims-check",
// docs/claims.md), and the HTML section (for `yardstick report --claims` and
// `claims check --format html`).
std::string claims_markdown(const ClaimsReport& r);
nlohmann::json claims_json(const ClaimsReport& r);
std::string claims_html_section(const ClaimsReport& r);
std::string claims_html_page(const ClaimsReport& r);
// A page with `sections` (safe HTML) placed at the end of its body; the page unchanged when
// sections is empty. Lets `report --claims` add its section to any report page.
std::string with_html_section(const std::string& page, const std::string& sections);

}  // namespace ys::reports
