#include "tests/tokenizer/test_env.h"

#include "engine/gguf/gguf.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ys::tok::test {

std::filesystem::path source_dir() {
  const char* e = std::getenv("YS_SOURCE_DIR");
  return e != nullptr ? std::filesystem::path(e) : std::filesystem::path(YS_SOURCE_DIR);
}

std::filesystem::path model_path() {
  const char* e = std::getenv("YARDSTICK_MODEL");
  return e != nullptr ? std::filesystem::path(e) : source_dir() / "models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

std::filesystem::path shared_data_dir() {
  const char* e = std::getenv("YARDSTICK_SHARED_DATA");
  return e != nullptr ? std::filesystem::path(e) : source_dir() / "../shared/datasets";
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Tokenizer* smollm2() {
  static const std::unique_ptr<Tokenizer> tok = []() -> std::unique_ptr<Tokenizer> {
    const auto p = model_path();
    if (!std::filesystem::exists(p)) return nullptr;
    const auto f = gguf::File::open(p);
    auto t = std::make_unique<Tokenizer>(vocab_from_gguf(f));
    // The golden ids are SmolLM2's: another model given by YARDSTICK_MODEL is not compared.
    if (t->n_vocab() != 49152 || t->vocab().pre != "smollm" || t->token_text(1) != "<|im_start|>") return nullptr;
    return t;
  }();
  if (!tok) WARN("SmolLM2 model not found at " << model_path() << " (or it is another model): skipping (set YARDSTICK_MODEL)");
  return tok.get();
}

}  // namespace ys::tok::test
