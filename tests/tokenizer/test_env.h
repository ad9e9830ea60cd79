// Shared helpers for the tokenizer tests: where the model, fixtures and datasets are.
#pragma once

#include "engine/tokenizer/tokenizer.h"

#include <filesystem>
#include <memory>
#include <string>

namespace ys::tok::test {

std::filesystem::path source_dir();
std::filesystem::path model_path();        // env YARDSTICK_MODEL or <repo>/models/SmolLM2-...gguf
std::filesystem::path shared_data_dir();   // env YARDSTICK_SHARED_DATA or <repo>/../shared/datasets
std::string read_file(const std::filesystem::path& p);
// The SmolLM2 tokenizer, loaded once; nullptr (after a WARN) when the model is absent.
const Tokenizer* smollm2();

}  // namespace ys::tok::test
