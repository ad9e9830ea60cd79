#include "reports/drift.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

namespace ys::reports {
namespace {

using nlohmann::json;
using Leaves = std::map<std::string, const json*>;

// JSON pointer escaping of an object key (RFC 6901): ~ -> ~0, / -> ~1.
std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

// Every leaf (scalar or empty container) of j by its JSON pointer. Depth is bounded by the
// caller (json_depth_within), so the recursion is too.
void collect(const json& j, const std::string& path, Leaves& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it) collect(it.value(), path + "/" + pointer_token(it.key()), out);
  } else if (j.is_array() && !j.empty()) {
    for (size_t i = 0; i < j.size(); ++i) collect(j[i], path + "/" + std::to_string(i), out);
  } else {
    out[path] = &j;
  }
}

void add_number(NumericDrift& n, double a, double b, const std::string& doc, const std::string& path) {
  const double d = std::fabs(a - b);
  ++n.compared;
  if (a != b) ++n.differ;
  n.mean_abs += d;  // a sum until finish()
  if (d > n.max_abs) n.max_abs = d, n.max_doc = doc, n.max_path = path;
}

void finish(NumericDrift& n) {
  if (n.compared > 0) n.mean_abs /= double(n.compared);
}

void count(LeafDrift& l, bool equal) {
  ++l.compared;
  if (!equal) ++l.differ;
}

// One pair of leaves at the same path.
void compare_leaf(const json& a, const json& b, const std::string& doc, const std::string& path, Drift& d) {
  if (a.is_number() && b.is_number()) add_number(d.values, a.get<double>(), b.get<double>(), doc, path);
  else if (a.is_string() && b.is_string()) count(d.strings, a == b);
  else if ((a.is_boolean() && b.is_boolean()) || (a.is_null() && b.is_null())) count(d.flags, a == b);
  else if (a.type() != b.type()) ++d.structure_changed;
  // else: two empty containers of one kind, nothing to compare
}

void compare_trees(const json& a, const json& b, const std::string& doc, Drift& d) {
  Leaves la, lb;
  collect(a, "", la);
  collect(b, "", lb);
  auto ia = la.begin(), ib = lb.begin();
  while (ia != la.end() || ib != lb.end()) {
    if (ib == lb.end() || (ia != la.end() && ia->first < ib->first)) {
      ++d.structure_changed, ++ia;
    } else if (ia == la.end() || ib->first < ia->first) {
      ++d.structure_changed, ++ib;
    } else {
      compare_leaf(*ia->second, *ib->second, doc, ia->first, d);
      ++ia, ++ib;
    }
  }
}

json parse_untrusted(const std::string& text) {
  if (!json_depth_within(text, kMaxJsonDepth)) return json(json::value_t::discarded);
  return json::parse(text, nullptr, false);
}

void compare_outputs(const SampleView& x, const SampleView& y, Drift& d) {
  if (x.output.empty() || y.output.empty()) {
    ++d.missing_output;
    return;
  }
  const json a = parse_untrusted(x.output), b = parse_untrusted(y.output);
  if (a.is_discarded() || b.is_discarded()) {
    count(d.opaque, x.output == y.output);
    return;
  }
  compare_trees(a, b, x.doc_id, d);
}

void compare_scores(const SampleView& x, const SampleView& y, Drift& d) {
  for (const auto& [key, va] : x.scores) {
    auto it = y.scores.find(key);
    if (it == y.scores.end()) ++d.structure_changed;
    else add_number(d.scores, va, it->second, x.doc_id, key);
  }
  for (const auto& [key, vb] : y.scores)
    if (!x.scores.count(key)) ++d.structure_changed;
  if (d.outcome_key.empty()) return;
  auto ia = x.scores.find(d.outcome_key), ib = y.scores.find(d.outcome_key);
  const bool both = ia != x.scores.end() && ib != y.scores.end();
  if (!both || ia->second != ib->second) ++d.outcome_changed;
}

void compare_sample(const SampleView& x, const SampleView& y, Drift& d) {
  ++d.shared;
  if (x.output == y.output) ++d.identical_outputs;
  compare_outputs(x, y, d);
  compare_scores(x, y, d);
}

std::string g(double v) { return v == 0 ? "0" : fmt::format("{:.3g}", v); }

std::string where(const NumericDrift& n) {
  if (n.max_doc.empty()) return "";
  return fmt::format(" at {} {}", n.max_doc, n.max_path.empty() ? "(root)" : n.max_path);
}

std::string numeric_text(const char* what, const NumericDrift& n) {
  return fmt::format("{}/{} {} differ (max |Δ| {}{}, mean |Δ| {})", n.differ, n.compared, what, g(n.max_abs),
                     where(n), g(n.mean_abs));
}

std::string coverage_notes(const Drift& d) {
  std::string s;
  if (d.prompt_changed) s += fmt::format("; {} docs with a changed prompt not compared", d.prompt_changed);
  if (d.only_reference || d.only_run)
    s += fmt::format("; {} docs only in the reference, {} only in this run", d.only_reference, d.only_run);
  if (d.missing_output) s += fmt::format("; {} outputs missing (compared by scores only)", d.missing_output);
  if (d.opaque.compared) s += fmt::format("; {} outputs not JSON (compared as bytes)", d.opaque.compared);
  return s;
}

json numeric_json(const NumericDrift& n) {
  return {{"compared", n.compared}, {"differ", n.differ},   {"max_abs", n.max_abs},
          {"mean_abs", n.mean_abs}, {"max_doc", n.max_doc}, {"max_path", n.max_path}};
}

json leaf_json(const LeafDrift& l) { return {{"compared", l.compared}, {"differ", l.differ}}; }

}  // namespace

bool json_depth_within(const std::string& text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

std::string Drift::verdict() const {
  if (shared == 0) return "none";
  if (strings.differ || flags.differ || structure_changed || opaque.differ || outcome_changed) return "changed";
  if (values.differ || scores.differ || identical_outputs + missing_output < shared) return "numeric";
  return "identical";
}

std::string Drift::summary() const {
  const std::string v = verdict();
  std::string s;
  if (v == "none") return "no shared documents to compare" + coverage_notes(*this);
  if (v == "identical") {
    s = fmt::format("bitwise identical: {}/{} outputs byte-identical, {} scores equal", identical_outputs, shared,
                    scores.compared);
  } else if (v == "numeric") {
    s = fmt::format("numeric drift only, no answer changed: {}; {}", numeric_text("values", values),
                    numeric_text("scores", scores));
  } else {
    s = fmt::format("answers changed: {}/{} outcomes ({}), {} texts, {} flags, {} structure; {}", outcome_changed,
                    shared, outcome_key.empty() ? "no outcome score" : outcome_key, strings.differ, flags.differ,
                    structure_changed, numeric_text("values", values));
  }
  return s + coverage_notes(*this);
}

std::string headline_score_key(const RunData& run) {
  if (run.samples.empty()) return "";
  const auto& first = run.samples.front().scores;
  for (const auto& m : run.metrics)
    if (m.headline && first.count(m.name)) return m.name;
  return first.empty() ? "" : first.begin()->first;
}

Drift compute_drift(const RunData& a, const RunData& b) {
  Drift d;
  d.outcome_key = headline_score_key(a);
  std::map<std::string, const SampleView*> in_b;
  for (const auto& s : b.samples) in_b[s.doc_id] = &s;
  std::set<std::string> seen;
  for (const auto& x : a.samples) {
    auto it = in_b.find(x.doc_id);
    if (it == in_b.end()) ++d.only_reference;
    else if (it->second->prompt_hash != x.prompt_hash) ++d.prompt_changed;
    else compare_sample(x, *it->second, d);
    seen.insert(x.doc_id);
  }
  for (const auto& [doc, s] : in_b)
    if (!seen.count(doc)) ++d.only_run;
  finish(d.values);
  finish(d.scores);
  return d;
}

json drift_json(const Drift& d) {
  return {{"verdict", d.verdict()},
          {"summary", d.summary()},
          {"shared", d.shared},
          {"only_reference", d.only_reference},
          {"only_run", d.only_run},
          {"prompt_changed", d.prompt_changed},
          {"identical_outputs", d.identical_outputs},
          {"missing_output", d.missing_output},
          {"opaque", leaf_json(d.opaque)},
          {"values", numeric_json(d.values)},
          {"strings", leaf_json(d.strings)},
          {"flags", leaf_json(d.flags)},
          {"structure_changed", d.structure_changed},
          {"scores", numeric_json(d.scores)},
          {"outcome_key", d.outcome_key},
          {"outcome_changed", d.outcome_changed}};
}

}  // namespace ys::reports
