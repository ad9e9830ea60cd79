// Tensor element types as GGUF/ggml number them, with their block geometry.
// One table (types.cpp) is the source of truth for names, ids and sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ys::quant {

// Values are the ggml type ids stored in GGUF tensor tables.
enum class Type : uint32_t {
  f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
  q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15,
  iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22,
  iq4_xs = 23, i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30,
  tq1_0 = 34, tq2_0 = 35,
};

struct TypeTraits {
  Type type;
  const char* name;        // lower-case ggml name: "f32", "q4_0", "q4_k", ...
  uint32_t block_size;     // elements per block
  uint32_t type_size;      // bytes per block
  bool supported;          // the engine can compute with it (dequantize + dot)
};

// Traits for a raw id read from a file; nullptr when the id is unknown.
const TypeTraits* find_traits(uint32_t ggml_id);
// Traits for a known type (never null).
const TypeTraits& traits(Type t);
inline const char* name(Type t) { return traits(t).name; }
// Parses "q4_0", "Q4_0", "f16", ... ; nullopt when unknown.
std::optional<Type> parse_type(std::string_view name);
// Bytes of a row of n elements; n must be a multiple of the block size (checked by callers).
inline uint64_t row_bytes(Type t, uint64_t n) {
  const TypeTraits& tr = traits(t);
  return n / tr.block_size * tr.type_size;
}

}  // namespace ys::quant
