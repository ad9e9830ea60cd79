// Shared helpers of the model tests: synthetic model files and logits comparisons.
#pragma once

#include "engine/backend/cpu/cpu_model.h"
#include "engine/model/synth.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ys::test {

// Writes the synthetic model to <build>/test_tmp/model/<name>.gguf (once per process).
std::filesystem::path synth_file(const std::string& name, const engine::SynthSpec& spec);

// A text of ~n_repeat * 60 tokens with the synthetic vocabulary.
std::string sample_text(int n_repeat = 1);

// All teacher-forced logits [n][n_vocab] of `ids` from the engine.
std::vector<std::vector<float>> engine_logits(engine::CpuModel& m, const std::vector<int32_t>& ids);

struct LogitDiff {
  double max_rel = 0;   // max over rows of max|e - r| / max|r|
  double mean_abs = 0;  // mean |e - r| over all logits
  double top1 = 0;      // fraction of rows whose argmax agrees
};
LogitDiff compare_with_reference(const std::filesystem::path& model, const engine::LoadOptions& opt,
                                 const std::string& text);

}  // namespace ys::test
