// libFuzzer entry point: parse an arbitrary image as GGUF and touch everything it exposes.
// ys::Error is the expected outcome for bad input; anything else (a crash, a sanitizer
// report, another exception type, a timeout or an out-of-memory) is a bug.
#include "common/error.h"
#include "engine/gguf/gguf.h"

#include <cstddef>
#include <cstdint>

namespace {

uint64_t touch(const ys::gguf::Value& v) {
  uint64_t h = static_cast<uint64_t>(v.type);
  if (const auto* u = std::get_if<uint64_t>(&v.v)) h += *u;
  if (const auto* i = std::get_if<int64_t>(&v.v)) h += static_cast<uint64_t>(*i);
  if (const auto* d = std::get_if<double>(&v.v)) h += *d > 0 ? 1 : 0;
  if (const auto* b = std::get_if<bool>(&v.v)) h += *b ? 1 : 0;
  if (const auto* s = std::get_if<std::string>(&v.v)) {
    for (char c : *s) h += static_cast<uint8_t>(c);
  }
  if (const auto* a = std::get_if<ys::gguf::Array>(&v.v)) {
    for (const auto& item : a->items) {
      if (item.type != a->elem_type) __builtin_trap();   // the reader must keep arrays homogeneous
      h += touch(item);
    }
  }
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto f = ys::gguf::File::from_memory({data, size}, "fuzz.gguf");
    volatile uint64_t sink = f.version() + f.alignment() + f.file_size();
    for (const auto& [key, value] : f.metadata()) {
      sink = sink + key.size() + touch(value);
      if (f.find(key) == nullptr) __builtin_trap();
    }
    for (const auto& t : f.tensors()) {
      const auto bytes = f.tensor_data(t);
      if (bytes.size() != t.n_bytes() || f.find_tensor(t.name) == nullptr) __builtin_trap();
      uint64_t s = t.rows() + t.n_elements();
      for (uint8_t b : bytes) s += b;
      sink = sink + s;
    }
    (void)f.get_uint("general.alignment", 0);
  } catch (const ys::Error&) {
    // expected for malformed input
  }
  return 0;
}
