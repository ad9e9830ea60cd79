// Numerical drift between two runs of the same suite (issue 9: batch invariance): how far
// the stored per-sample records of a run moved from a reference run, so that a reader can
// tell "bitwise identical" from "drifted by 1e-6" from "answers changed".
//
// Compared: the documents both runs have with the same doc_id AND the same prompt_hash
// (a changed prompt is a different question, counted but not compared). Per document:
// - the output text, byte for byte;
// - the output JSON's leaves, paired by JSON pointer (e.g. "/logprobs/2"): numbers (MMLU's
//   per-choice loglikelihoods, quant's KL values) by |Δ|, strings (generated text, MMLU's
//   "pred") and booleans by equality; a leaf on one side only, or of another type there,
//   is a structure change;
// - the per-sample scores, paired by key, by |Δ| (a key on one side only: a structure change);
// - the outcome: the headline score (see headline_score_key).
// Outputs are untrusted: text that is not JSON (or nests deeper than kMaxJsonDepth) is
// compared as bytes only ("opaque"); an empty output (baseline files keep none) is
// skipped and counted.
#pragma once

#include "reports/run_data.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ys::reports {

inline constexpr int kMaxJsonDepth = 64;

// |Δ| statistics of paired numbers. mean_abs is over all `compared` pairs (zeros included).
struct NumericDrift {
  int64_t compared = 0;
  int64_t differ = 0;         // pairs that are not equal
  double max_abs = 0;
  double mean_abs = 0;
  std::string max_doc, max_path;  // where max_abs was seen (first occurrence)
};

struct LeafDrift {
  int64_t compared = 0;
  int64_t differ = 0;
};

struct Drift {
  int64_t shared = 0;            // docs compared (same doc_id and prompt_hash)
  int64_t only_reference = 0;    // doc_ids only in the reference run
  int64_t only_run = 0;          // doc_ids only in the other run
  int64_t prompt_changed = 0;    // same doc_id, different prompt_hash: not compared
  int64_t identical_outputs = 0; // shared docs whose output text is byte-identical
  int64_t missing_output = 0;    // shared docs with an empty output on a side (not compared)
  LeafDrift opaque;              // outputs that are not JSON on a side: compared as bytes
  NumericDrift values;           // numeric leaves of the output JSON
  LeafDrift strings;             // string leaves
  LeafDrift flags;               // boolean (and null) leaves
  int64_t structure_changed = 0; // leaves / score keys on one side only, or of another type
  NumericDrift scores;           // per-sample scores, paired by key
  std::string outcome_key;       // the score that decides an outcome ("" = none)
  int64_t outcome_changed = 0;   // shared docs whose outcome_key score differs

  // "identical": every compared output byte-identical and every score equal;
  // "numeric": only numbers moved (same strings, flags, structure and outcomes);
  // "changed": a string, flag, structure, opaque output or outcome differs;
  // "none": no document to compare.
  std::string verdict() const;
  // One line for humans, e.g. "numeric drift: 312/400 values differ, max |Δ| 2.4e-06".
  std::string summary() const;
};

// The score key that decides a sample's outcome: the first headline metric of `run` that
// its samples carry as a score, else the first score key of its first sample, else "".
std::string headline_score_key(const RunData& run);

// Drift of run b from the reference run a.
Drift compute_drift(const RunData& a, const RunData& b);

// The JSON form used by `compare --format json` (schema in json_report.h).
nlohmann::json drift_json(const Drift& d);

// True when `text`'s brackets nest at most max_depth deep (strings skipped): a guard that
// keeps untrusted outputs away from recursive parsing and walking.
bool json_depth_within(const std::string& text, int max_depth);

}  // namespace ys::reports
