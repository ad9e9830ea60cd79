// libFuzzer entry point for the dataset readers: the first byte picks the reader (MMLU
// CSV, generic CSV with each option set, GSM8K JSONL, HumanEval / HumanEval+ JSONL, WMT
// lines), the rest is the file's text. ys::Error is the expected outcome for bad input;
// a crash, a sanitizer report, another exception type or a timeout is a bug.
#include "common/error.h"
#include "datasets/csv.h"
#include "datasets/gsm8k.h"
#include "datasets/humaneval.h"
#include "datasets/mmlu.h"
#include "datasets/wmt.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

size_t touch(const std::string& s) { return s.size() + (s.empty() ? 0 : static_cast<uint8_t>(s.back())); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  volatile size_t sink = 0;
  try {
    switch (mode % 6) {
      case 0:
        for (const auto& r : ys::datasets::parse_mmlu_csv(text, "fuzz.csv")) {
          sink = sink + touch(r.question) + r.choices.size() + static_cast<size_t>(r.answer);
          if (r.choices.size() != 4 || r.answer < 0 || r.answer > 3) __builtin_trap();
        }
        break;
      case 1: {
        ys::datasets::CsvOptions o;
        o.universal_newlines = (mode & 8) != 0;
        o.skip_empty_lines = (mode & 16) != 0;
        size_t last_line = 0;
        for (const auto& r : ys::datasets::parse_csv(text, "fuzz.csv", o)) {
          if (r.line < last_line || r.line == 0) __builtin_trap();  // records start in file order
          last_line = r.line;
          for (const auto& f : r.fields) sink = sink + touch(f);
        }
        break;
      }
      case 2:
        for (const auto& r : ys::datasets::parse_gsm8k_jsonl(text, "fuzz.jsonl")) sink = sink + touch(r.question) + touch(r.answer);
        break;
      case 3:
      case 4:
        for (const auto& p : ys::datasets::parse_humaneval_jsonl(text, "fuzz.jsonl", mode % 6 == 4))
          sink = sink + touch(p.task_id) + touch(p.prompt) + touch(p.test) + touch(p.entry_point);
        break;
      case 5: {
        auto lines = ys::datasets::split_text_lines(text);
        size_t total = 0;
        for (const auto& l : lines) total += l.size() + 1;
        if (total > text.size() + 1) __builtin_trap();  // lines come from the text
        sink = sink + lines.size();
        break;
      }
    }
  } catch (const ys::Error&) {
    // expected for malformed input
  }
  return 0;
}
