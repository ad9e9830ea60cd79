// MMLU subjects, categories and CSV loading (see mmlu.h).
#include "datasets/mmlu.h"

#include "common/error.h"
#include "datasets/csv.h"
#include "datasets/manifest.h"

#include <algorithm>
#include <map>

namespace ys::datasets {

namespace {

// lm-eval lm_eval/tasks/mmlu/_generate_configs.py SUBJECTS (19 stem, 13 humanities,
// 12 social_sciences, 13 other).
const std::map<std::string, std::string>& subject_table() {
  static const std::map<std::string, std::string> t = {
      {"abstract_algebra", "stem"},
      {"anatomy", "stem"},
      {"astronomy", "stem"},
      {"business_ethics", "other"},
      {"clinical_knowledge", "other"},
      {"college_biology", "stem"},
      {"college_chemistry", "stem"},
      {"college_computer_science", "stem"},
      {"college_mathematics", "stem"},
      {"college_medicine", "other"},
      {"college_physics", "stem"},
      {"computer_security", "stem"},
      {"conceptual_physics", "stem"},
      {"econometrics", "social_sciences"},
      {"electrical_engineering", "stem"},
      {"elementary_mathematics", "stem"},
      {"formal_logic", "humanities"},
      {"global_facts", "other"},
      {"high_school_biology", "stem"},
      {"high_school_chemistry", "stem"},
      {"high_school_computer_science", "stem"},
      {"high_school_european_history", "humanities"},
      {"high_school_geography", "social_sciences"},
      {"high_school_government_and_politics", "social_sciences"},
      {"high_school_macroeconomics", "social_sciences"},
      {"high_school_mathematics", "stem"},
      {"high_school_microeconomics", "social_sciences"},
      {"high_school_physics", "stem"},
      {"high_school_psychology", "social_sciences"},
      {"high_school_statistics", "stem"},
      {"high_school_us_history", "humanities"},
      {"high_school_world_history", "humanities"},
      {"human_aging", "other"},
      {"human_sexuality", "social_sciences"},
      {"international_law", "humanities"},
      {"jurisprudence", "humanities"},
      {"logical_fallacies", "humanities"},
      {"machine_learning", "stem"},
      {"management", "other"},
      {"marketing", "other"},
      {"medical_genetics", "other"},
      {"miscellaneous", "other"},
      {"moral_disputes", "humanities"},
      {"moral_scenarios", "humanities"},
      {"nutrition", "other"},
      {"philosophy", "humanities"},
      {"prehistory", "humanities"},
      {"professional_accounting", "other"},
      {"professional_law", "humanities"},
      {"professional_medicine", "other"},
      {"professional_psychology", "social_sciences"},
      {"public_relations", "social_sciences"},
      {"security_studies", "social_sciences"},
      {"sociology", "social_sciences"},
      {"us_foreign_policy", "social_sciences"},
      {"virology", "other"},
      {"world_religions", "humanities"},
  };
  return t;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

const std::vector<std::string>& mmlu_subjects() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (const auto& [s, c] : subject_table()) out.push_back(s);
    return out;  // std::map iterates in sorted order
  }();
  return v;
}

const std::vector<std::string>& mmlu_categories() {
  static const std::vector<std::string> v = {"stem", "humanities", "social_sciences", "other"};
  return v;
}

bool is_mmlu_subject(const std::string& subject) { return subject_table().count(subject) != 0; }

void require_mmlu_subject(const std::string& subject) {
  if (is_mmlu_subject(subject)) return;
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const std::string& s : mmlu_subjects()) {
    size_t d = edit_distance(subject, s);
    if (d < best_d) best_d = d, best = s;
  }
  fail(ErrorKind::invalid_input, "unknown MMLU subject '{}' (did you mean '{}'? 57 subjects, e.g. 'anatomy')", subject,
       best);
}

const std::string& mmlu_category(const std::string& subject) {
  require_mmlu_subject(subject);
  return subject_table().at(subject);
}

std::string mmlu_rel_path(const std::string& subject, const std::string& split) {
  return "mmlu/" + split + "/" + subject + "_" + split + ".csv";
}

std::vector<MmluRow> parse_mmlu_csv(std::string_view text, const std::string& source) {
  // Line breaks inside quoted fields stay as written: cais/mmlu (which lm-eval loads) was
  // built by reading the CSV lines as bytes, so college_mathematics' "\r\n" survives
  // (docs/protocols.md, "MMLU line breaks").
  CsvOptions options;
  options.universal_newlines = false;
  std::vector<MmluRow> rows;
  for (CsvRecord& rec : parse_csv(text, source, options)) {
    if (rec.fields.size() != 6)
      fail(ErrorKind::format, "{}: line {}: expected 6 fields (question,A,B,C,D,answer), found {}", source, rec.line,
           rec.fields.size());
    const std::string& ans = rec.fields[5];
    if (ans.size() != 1 || ans[0] < 'A' || ans[0] > 'D')
      fail(ErrorKind::format, "{}: line {}: answer must be one of A, B, C, D, found '{}'", source, rec.line, ans);
    MmluRow row;
    row.question = std::move(rec.fields[0]);
    for (int i = 0; i < 4; ++i) row.choices[i] = std::move(rec.fields[1 + i]);
    row.answer = ans[0] - 'A';
    rows.push_back(std::move(row));
  }
  return rows;
}

MmluSplit load_mmlu_split(const std::filesystem::path& data_dir, const std::string& subject,
                          const std::string& split) {
  require_mmlu_subject(subject);
  if (split != "dev" && split != "val" && split != "test")
    fail(ErrorKind::invalid_input, "unknown MMLU split '{}' (expected dev, val or test)", split);
  MmluSplit out;
  out.subject = subject;
  out.split = split;
  out.rel_path = mmlu_rel_path(subject, split);
  out.sha256 = require_file(data_dir, out.rel_path);
  std::filesystem::path file = data_dir / out.rel_path;
  out.rows = parse_mmlu_csv(read_text_file(file), file.string());
  return out;
}

}  // namespace ys::datasets
