// libFuzzer entry point for the JSON readers of `yardstick run`: a config file (--config) or
// a stored settings record, parsed strictly (duplicate keys at any depth rejected), mapped
// onto RunSettings (unknown keys and wrong types rejected) and validated. ys::Error is the
// expected outcome for bad input; any other exception (e.g. a JSON type error escaping a
// setter), a crash or a sanitizer report is a bug.
#include "common/error.h"
#include "runner/settings.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto j = ys::runner::parse_json_strict(text, "fuzz.json");
    auto s = ys::runner::settings_from_json(j, "fuzz.json");
    ys::runner::validate(s);
    (void)ys::runner::parse_memory_size(s.kv_memory);
    const auto round = ys::runner::settings_from_json(s.to_json(), "round-trip");  // what is stored reads back
    if (round.to_json() != s.to_json()) __builtin_trap();
  } catch (const ys::Error&) {
    // expected for malformed input
  }
  return 0;
}
