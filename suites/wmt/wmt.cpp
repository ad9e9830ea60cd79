// WMT task names, language names and the prompt (see wmt.h).
#include "suites/wmt/wmt.h"

#include "common/error.h"

#include <fmt/format.h>

namespace ys::suites {

namespace {

std::string task_name(const datasets::WmtPair& p) {
  const std::string year = p.testset == "wmt14-full" ? "wmt14" : p.testset;
  return year + "-" + p.src_lang + "-" + p.tgt_lang;
}

}  // namespace

std::vector<std::string> wmt_task_names() {
  std::vector<std::string> names;
  for (const auto& p : datasets::wmt_pairs()) names.push_back(task_name(p));
  return names;
}

datasets::WmtPair wmt_pair_for_task(const std::string& name) {
  for (const auto& p : datasets::wmt_pairs())
    if (task_name(p) == name) return p;
  fail(ErrorKind::invalid_input, "unknown WMT task '{}' (expected one of: {})", name,
       fmt::join(wmt_task_names(), ", "));
}

std::string wmt_language_name(const std::string& code) {
  if (code == "en") return "English";
  if (code == "fr") return "French";
  if (code == "de") return "German";
  if (code == "ro") return "Romanian";
  if (code == "zh") return "Chinese";
  fail(ErrorKind::invalid_input, "no language name for code '{}' (expected en, fr, de, ro or zh)", code);
}

std::string wmt_prompt(const std::string& src_lang, const std::string& tgt_lang, const std::string& src) {
  return wmt_language_name(src_lang) + " phrase: " + src + "\n" + wmt_language_name(tgt_lang) + " phrase:";
}

}  // namespace ys::suites
