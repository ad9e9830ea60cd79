// MMLU (Hendrycks et al.) data: 57 subjects, each with dev/val/test CSV files at
// <data_dir>/mmlu/<split>/<subject>_<split>.csv (no header; question,A,B,C,D,answer).
// Categories follow lm-eval's mmlu groups (lm_eval/tasks/mmlu/_generate_configs.py
// SUBJECTS): stem, humanities, social_sciences, other.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace ys::datasets {

struct MmluRow {
  std::string question;
  std::array<std::string, 4> choices;
  int answer = 0;  // 0..3 for A..D
};

struct MmluSplit {
  std::string subject;
  std::string split;      // "dev", "val" or "test"
  std::string rel_path;   // e.g. "mmlu/test/anatomy_test.csv"
  std::string sha256;     // verified against the manifest
  std::vector<MmluRow> rows;  // file order
};

// The 57 subjects in alphabetical order.
const std::vector<std::string>& mmlu_subjects();
// "stem", "humanities", "social_sciences" or "other"; throws ys::Error(invalid_input)
// (with a "did you mean" hint) for an unknown subject.
const std::string& mmlu_category(const std::string& subject);
// The four category names in a fixed order.
const std::vector<std::string>& mmlu_categories();
bool is_mmlu_subject(const std::string& subject);
// Throws ys::Error(invalid_input) naming the subject and the closest known one.
void require_mmlu_subject(const std::string& subject);

std::string mmlu_rel_path(const std::string& subject, const std::string& split);
// Verifies the file through the manifest (require_file), then parses it. Errors name
// the file and line (wrong field count, answer not in A-D).
MmluSplit load_mmlu_split(const std::filesystem::path& data_dir, const std::string& subject,
                          const std::string& split);
// Parses MMLU CSV text (no manifest check); `source` names it in errors.
std::vector<MmluRow> parse_mmlu_csv(std::string_view text, const std::string& source);

}  // namespace ys::datasets
