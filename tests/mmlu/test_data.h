// Locating the shared datasets for tests (env YARDSTICK_SHARED_DATA, default
// <repo>/../shared/datasets) and the fixtures written by tools/gen_lm_fixtures.py.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace ys::testing {

inline std::optional<std::filesystem::path> shared_data_dir() {
  const char* env = std::getenv("YARDSTICK_SHARED_DATA");
  std::filesystem::path dir = (env && *env) ? std::filesystem::path(env)
                                            : std::filesystem::path(YS_SOURCE_DIR) / ".." / "shared" / "datasets";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  return dir;
}

inline nlohmann::json lm_fixture(const std::string& name) {
  std::ifstream in(std::string(YS_SOURCE_DIR) + "/tests/fixtures/lm/" + name);
  if (!in) throw std::runtime_error("missing fixture tests/fixtures/lm/" + name);
  return nlohmann::json::parse(in);
}

}  // namespace ys::testing
