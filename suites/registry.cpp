// The explicit registry of suites (STYLE.md §9): every name a user can type, in one place.
#include "common/error.h"
#include "suites/gsm8k/gsm8k.h"
#include "suites/humaneval/humaneval.h"
#include "suites/mmlu/mmlu.h"
#include "suites/spec/spec.h"
#include "suites/suite.h"
#if __has_include("suites/wmt/wmt.h")
#include "suites/wmt/wmt.h"
#define YS_HAVE_WMT 1
#endif
#if __has_include("suites/quant/quant_suite.h")
#include "suites/quant/quant_suite.h"
#define YS_HAVE_QUANT 1
#endif

#include <algorithm>
#include <functional>
#include <map>

namespace ys::suites {
namespace {

using Factory = std::function<std::unique_ptr<Task>(const TaskOptions&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = [] {
    std::map<std::string, Factory> t;
    t["mmlu"] = make_mmlu_task;
    t["gsm8k"] = make_gsm8k_task;
    t["gsm8k_cot"] = make_gsm8k_cot_task;
    t["humaneval"] = make_humaneval_task;
#ifdef YS_HAVE_WMT
    for (const std::string& name : wmt_task_names()) {
      t[name] = [name](const TaskOptions& o) { return make_wmt_task(name, o); };
    }
#endif
#ifdef YS_HAVE_QUANT
    t["quant"] = make_quant_task;
#endif
    return t;
  }();
  return table;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& [name, f] : factories()) names.push_back(name);
  return names;
}

std::unique_ptr<Task> make_task(const std::string& name, const TaskOptions& options) {
  if (is_spec_path(name)) return make_spec_task(name, options);  // a suite described by a JSON spec file
  const auto& table = factories();
  auto it = table.find(name);
  if (it != table.end()) return it->second(options);
  std::string best;
  size_t best_d = 1000;
  for (const auto& [known, f] : table) {
    size_t d = edit_distance(name, known);
    if (d < best_d) best_d = d, best = known;
  }
  std::string names;
  for (const auto& [known, f] : table) names += (names.empty() ? "" : ", ") + known;
  if (best_d <= 3) fail(ErrorKind::invalid_input, "--suite: unknown suite \"{}\"; did you mean \"{}\"? (known: {})", name, best, names);
  fail(ErrorKind::invalid_input, "--suite: unknown suite \"{}\" (known: {}; or a spec file path ending .json)", name, names);
}

}  // namespace ys::suites
