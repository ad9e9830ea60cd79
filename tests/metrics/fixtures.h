// Loads the sacrebleu reference fixtures written by tools/gen_sacrebleu_fixtures.py.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ys_test {

inline nlohmann::json load_sacrebleu_fixture(const std::string& name) {
  const std::string path = std::string(YS_SOURCE_DIR) + "/tests/fixtures/sacrebleu/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path + " (run tools/gen_sacrebleu_fixtures.py)");
  return nlohmann::json::parse(in);
}

inline std::vector<std::string> strings(const nlohmann::json& j) { return j.get<std::vector<std::string>>(); }

inline std::vector<std::vector<std::string>> streams(const nlohmann::json& j) {
  return j.get<std::vector<std::vector<std::string>>>();
}

}  // namespace ys_test
