#include "reports/compare.h"

#include "common/error.h"
#include "suites/metrics/bleu.h"
#include "suites/metrics/chrf.h"

#include <algorithm>
#include <map>
#include <set>

namespace ys::reports {
namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Pairs of samples (base, cand) for the documents both runs have, in doc_id order.
std::vector<std::pair<const SampleView*, const SampleView*>> shared(const RunData& a, const RunData& b) {
  std::map<std::string, const SampleView*> bm;
  for (const auto& s : b.samples) bm[s.doc_id] = &s;
  std::vector<std::pair<const SampleView*, const SampleView*>> out;
  for (const auto& s : a.samples) {
    auto it = bm.find(s.doc_id);
    if (it != bm.end()) out.emplace_back(&s, it->second);
  }
  return out;
}

std::vector<int64_t> int_stats(const nlohmann::json& j, size_t expect, const std::string& what, const std::string& doc) {
  if (!j.is_array() || j.size() != expect)
    fail(ErrorKind::format, "sample {}: {} should be an array of {} integers", doc, what, expect);
  std::vector<int64_t> v;
  for (const auto& x : j) {
    if (!x.is_number_integer()) fail(ErrorKind::format, "sample {}: {} holds a non-integer", doc, what);
    v.push_back(x.get<int64_t>());
  }
  return v;
}

std::optional<PairedResult> corpus_paired(const std::vector<std::pair<const SampleView*, const SampleView*>>& pairs,
                                          const std::string& metric) {
  const bool bleu = metric == "bleu";
  const std::string key = bleu ? "bleu_stats" : "chrf_stats";
  std::vector<metrics::BleuStats> bs[2];
  std::vector<metrics::ChrfStats> cs[2];
  for (const auto& [a, b] : pairs) {
    const SampleView* side[2] = {a, b};
    for (int w = 0; w < 2; ++w) {
      if (!side[w]->corpus_stats.contains(key)) return std::nullopt;
      const auto& j = side[w]->corpus_stats[key];
      if (bleu) {
        auto v = int_stats(j, 2 + 2 * metrics::kBleuMaxOrder, key, side[w]->doc_id);
        metrics::BleuStats s;
        s.hyp_len = v[0], s.ref_len = v[1];
        for (int k = 0; k < metrics::kBleuMaxOrder; ++k) s.correct[k] = v[2 + k], s.total[k] = v[2 + metrics::kBleuMaxOrder + k];
        bs[w].push_back(s);
      } else {
        auto v = int_stats(j, 3 * metrics::kChrfCharOrder, key, side[w]->doc_id);
        metrics::ChrfStats s;
        std::copy(v.begin(), v.end(), s.v.begin());
        cs[w].push_back(s);
      }
    }
  }
  return paired_bootstrap(pairs.size(), [&](const std::vector<size_t>& idx, int w) {
    if (bleu) {
      metrics::BleuStats sum;
      for (size_t i : idx) sum += bs[w][i];
      return metrics::bleu_from_stats(sum).score;
    }
    metrics::ChrfStats sum;
    for (size_t i : idx) sum += cs[w][i];
    return metrics::chrf_from_stats(sum);
  });
}

}  // namespace

bool higher_is_better(const std::string& metric) {
  std::string m = lower(metric);
  for (const char* bad : {"ppl", "perplexity", "kl", "ter", "loss", "nll", "wall", "latency", "ms"})
    if (starts_with(m, bad)) return false;
  return true;
}

bool is_fraction_metric(const std::string& metric, double a, double b) {
  std::string m = lower(metric);
  if (starts_with(m, "bleu") || starts_with(m, "chrf") || !higher_is_better(metric)) return false;
  return a >= 0 && a <= 1 && b >= 0 && b <= 1;
}

std::optional<PairedResult> paired_for_metric(const RunData& base, const RunData& cand, const std::string& metric) {
  auto pairs = shared(base, cand);
  if (pairs.empty()) return std::nullopt;
  if (metric == "bleu" || metric == "chrf") return corpus_paired(pairs, metric);
  std::string key = metric, group;
  if (!pairs.front().first->scores.count(metric)) {
    size_t slash = metric.find('/');
    if (slash == std::string::npos) return std::nullopt;
    key = metric.substr(0, slash);
    group = metric.substr(slash + 1);
  }
  std::vector<double> a, b;
  for (const auto& [x, y] : pairs) {
    if (!group.empty() && !starts_with(x->doc_id, group + "/") && x->category != group) continue;
    auto ix = x->scores.find(key), iy = y->scores.find(key);
    if (ix == x->scores.end() || iy == y->scores.end()) continue;
    a.push_back(ix->second);
    b.push_back(iy->second);
  }
  if (a.empty()) return std::nullopt;
  if (is_binary(a) && is_binary(b)) return paired_binary(a, b);
  return paired_mean_bootstrap(a, b);
}

void check_compatible(const RunData& base, const RunData& cand, bool allow, std::vector<std::string>* notes) {
  auto differ = [&](const std::string& field, const std::string& x, const std::string& y) {
    std::string msg = fmt::format("runs {} and {} differ in {}: '{}' vs '{}'", base.run.id.substr(0, 13),
                                  cand.run.id.substr(0, 13), field, one_line(x, 120), one_line(y, 120));
    if (!allow) fail(ErrorKind::invalid_input, "{} (pass --allow-mismatch to compare anyway)", msg);
    if (notes) notes->push_back(msg);
  };
  if (base.run.suite != cand.run.suite) differ("suite", base.run.suite, cand.run.suite);
  // A run imported from another harness (lm-eval, reports/lmeval.h) records that harness's
  // protocol version and dataset ids; whether it asked the same questions is decided per
  // document by the prompt hash (drift.h counts changed prompts), so these go to the notes.
  const bool imported = run_attribute(base, "source") == "lm-eval" || run_attribute(cand, "source") == "lm-eval";
  if (imported && (base.run.protocol_version != cand.run.protocol_version || base.run.dataset_json != cand.run.dataset_json) && notes)
    notes->push_back(fmt::format("runs {} and {}: one was imported from lm-eval; protocol '{}' vs '{}', compared per document "
                                 "by prompt hash", base.run.id.substr(0, 13), cand.run.id.substr(0, 13),
                                 base.run.protocol_version, cand.run.protocol_version));
  if (!imported && base.run.protocol_version != cand.run.protocol_version)
    differ("protocol_version", base.run.protocol_version, cand.run.protocol_version);
  nlohmann::json da = nlohmann::json::parse(base.run.dataset_json, nullptr, false);
  nlohmann::json db = nlohmann::json::parse(cand.run.dataset_json, nullptr, false);
  if (!imported && da != db) {
    std::string which;
    if (da.is_object() && db.is_object()) {
      for (auto it = da.begin(); it != da.end() && which.empty(); ++it)
        if (!db.contains(it.key()) || db[it.key()] != it.value()) which = it.key();
      for (auto it = db.begin(); it != db.end() && which.empty(); ++it)
        if (!da.contains(it.key())) which = it.key();
    }
    differ("dataset sha256" + (which.empty() ? "" : " of " + which), da.is_object() && da.contains(which) ? da[which].dump() : "-",
           db.is_object() && db.contains(which) ? db[which].dump() : "-");
  }
  std::set<std::string> sa, sb;
  for (const auto& s : base.samples) sa.insert(s.doc_id);
  for (const auto& s : cand.samples) sb.insert(s.doc_id);
  if (sa != sb) {
    size_t common = shared(base, cand).size();
    differ("sample set", fmt::format("{} docs", sa.size()), fmt::format("{} docs ({} shared)", sb.size(), common));
  }
}

namespace {

std::vector<PerfRow> perf_rows(const std::vector<RunData>& runs) {
  std::vector<PerfRow> rows;
  PerfRow tps{"tokens/s", "tok/s", {}, {}}, wall{"wall time", "s", {}, {}};
  for (const auto& r : runs) {
    tps.values.push_back(r.tokens_per_s());
    tps.spread.push_back(std::nullopt);
    wall.values.push_back(r.run.wall_s);
    wall.spread.push_back(std::nullopt);
  }
  rows.push_back(tps);
  rows.push_back(wall);
  std::vector<std::string> names;
  std::map<std::string, std::string> units;
  for (const auto& r : runs)
    for (const auto& p : r.perf)
      if (!units.count(p.name)) names.push_back(p.name), units[p.name] = p.unit;
  for (const auto& name : names) {
    PerfRow row{name, units[name], {}, {}};
    for (const auto& r : runs) {
      std::optional<double> v, s;
      for (const auto& p : r.perf)
        if (p.name == name) v = p.median ? *p.median : p.value, s = p.stddev;
      row.values.push_back(v);
      row.spread.push_back(s);
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

Comparison compare_runs(std::vector<RunData> runs, const std::string& by, bool allow_mismatch) {
  if (runs.empty()) fail(ErrorKind::invalid_input, "compare: no runs to compare");
  Comparison c;
  c.by = by;
  for (size_t i = 1; i < runs.size(); ++i) check_compatible(runs[0], runs[i], allow_mismatch, &c.notes);
  if (!by.empty()) {
    std::stable_sort(runs.begin() + 1, runs.end(),
                     [&](const RunData& a, const RunData& b) { return run_attribute(a, by) < run_attribute(b, by); });
  }
  std::map<std::string, int> seen;
  for (const auto& r : runs) {
    std::string label = by.empty() ? r.run.id.substr(0, 8) : by + "=" + run_attribute(r, by);
    c.labels.push_back(label);
    ++seen[label];
  }
  for (size_t i = 0; i < runs.size(); ++i)  // several runs share a --by value: tell them apart
    if (seen[c.labels[i]] > 1) c.labels[i] += " (" + runs[i].run.id.substr(0, 8) + ")";
  std::vector<std::string> names;
  std::map<std::string, bool> headline;
  for (const auto& r : runs)
    for (const auto& m : r.metrics) {
      if (!headline.count(m.name)) names.push_back(m.name);
      headline[m.name] = headline[m.name] || m.headline;
    }
  SampleGroups groups;
  for (const auto& r : runs) {
    SampleGroups g = sample_groups(r.samples);
    groups.prefixes.insert(g.prefixes.begin(), g.prefixes.end());
    groups.categories.insert(g.categories.begin(), g.categories.end());
  }
  std::map<std::string, MetricGroup> group;
  for (const auto& name : names) group[name] = metric_group(name, headline[name], groups);
  std::stable_sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return metric_order_less(a, group[a], b, group[b]);
  });
  for (const auto& name : names) {
    MetricRow row;
    row.name = name;
    row.headline = headline[name];
    row.group = group[name];
    bool fraction = true;
    for (const auto& r : runs) {
      MetricCell cell;
      if (const auto* m = r.metric(name)) {
        cell = {true, m->value, m->std_err, m->n};
        fraction = fraction && is_fraction_metric(name, m->value, m->value);
      }
      row.cells.push_back(cell);
    }
    row.fraction = fraction;
    row.diffs.push_back(std::nullopt);
    for (size_t i = 1; i < runs.size(); ++i) row.diffs.push_back(paired_for_metric(runs[0], runs[i], name));
    c.metrics.push_back(std::move(row));
  }
  c.perf = perf_rows(runs);
  c.drift.emplace_back(std::nullopt);
  for (size_t i = 1; i < runs.size(); ++i) c.drift.emplace_back(compute_drift(runs[0], runs[i]));
  c.runs = std::move(runs);
  return c;
}

std::vector<Flip> find_flips(const RunData& a, const RunData& b, std::string score_key) {
  if (score_key.empty()) score_key = headline_score_key(a);
  std::vector<Flip> out;
  for (const auto& [x, y] : shared(a, b)) {
    auto ix = x->scores.find(score_key), iy = y->scores.find(score_key);
    if (ix == x->scores.end() || iy == y->scores.end() || ix->second == iy->second) continue;
    out.push_back({x->doc_id, x->prompt_hash, x->prompt_excerpt, x->output, y->output, x->target, ix->second,
                   iy->second});
  }
  return out;
}

}  // namespace ys::reports
