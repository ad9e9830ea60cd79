#include "engine/quant/types.h"

#include "common/error.h"

#include <array>
#include <cctype>
#include <string>

namespace ys::quant {
namespace {

// Block geometry from ggml's type table (ggml.c type_traits). `supported` marks the
// types the engine computes with; the others are named so files can be inspected.
constexpr std::array<TypeTraits, 33> kTraits{{
    {Type::f32, "f32", 1, 4, true},
    {Type::f16, "f16", 1, 2, true},
    {Type::q4_0, "q4_0", 32, 18, true},
    {Type::q4_1, "q4_1", 32, 20, true},
    {Type::q5_0, "q5_0", 32, 22, true},
    {Type::q5_1, "q5_1", 32, 24, true},
    {Type::q8_0, "q8_0", 32, 34, true},
    {Type::q8_1, "q8_1", 32, 36, false},
    {Type::q2_k, "q2_k", 256, 84, false},
    {Type::q3_k, "q3_k", 256, 110, false},
    {Type::q4_k, "q4_k", 256, 144, true},
    {Type::q5_k, "q5_k", 256, 176, true},
    {Type::q6_k, "q6_k", 256, 210, true},
    {Type::q8_k, "q8_k", 256, 292, false},
    {Type::iq2_xxs, "iq2_xxs", 256, 66, false},
    {Type::iq2_xs, "iq2_xs", 256, 74, false},
    {Type::iq3_xxs, "iq3_xxs", 256, 98, false},
    {Type::iq1_s, "iq1_s", 256, 50, false},
    {Type::iq4_nl, "iq4_nl", 32, 18, false},
    {Type::iq3_s, "iq3_s", 256, 110, false},
    {Type::iq2_s, "iq2_s", 256, 82, false},
    {Type::iq4_xs, "iq4_xs", 256, 136, false},
    {Type::i8, "i8", 1, 1, false},
    {Type::i16, "i16", 1, 2, false},
    {Type::i32, "i32", 1, 4, false},
    {Type::i64, "i64", 1, 8, false},
    {Type::f64, "f64", 1, 8, false},
    {Type::iq1_m, "iq1_m", 256, 56, false},
    {Type::bf16, "bf16", 1, 2, true},
    {Type::tq1_0, "tq1_0", 256, 54, false},
    {Type::tq2_0, "tq2_0", 256, 66, false},
}};

}  // namespace

const TypeTraits* find_traits(uint32_t ggml_id) {
  for (const TypeTraits& t : kTraits) {
    if (t.name != nullptr && static_cast<uint32_t>(t.type) == ggml_id) return &t;
  }
  return nullptr;
}

const TypeTraits& traits(Type t) {
  const TypeTraits* tr = find_traits(static_cast<uint32_t>(t));
  if (tr == nullptr) fail(ErrorKind::internal, "unknown tensor type id {}", static_cast<uint32_t>(t));
  return *tr;
}

std::optional<Type> parse_type(std::string_view name) {
  std::string lower;
  for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const TypeTraits& t : kTraits) {
    if (t.name != nullptr && lower == t.name) return t.type;
  }
  return std::nullopt;
}

}  // namespace ys::quant
