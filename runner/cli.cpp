#include "runner/cli.h"

#include <cstdlib>

namespace ys::cli {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

static std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : std::string(fallback);
}

std::string default_data_dir() { return env_or("YARDSTICK_DATA", "data"); }
std::string default_db_path() { return env_or("YARDSTICK_DB", "results.db"); }
std::string default_model_path() {
  return env_or("YARDSTICK_MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf");
}

}  // namespace ys::cli
