// ValueType names and the checked accessors of gguf::Value.
#include "engine/gguf/gguf.h"

#include "common/error.h"

#include <limits>

namespace ys::gguf {

const char* to_string(ValueType t) {
  switch (t) {
    case ValueType::u8: return "u8";
    case ValueType::i8: return "i8";
    case ValueType::u16: return "u16";
    case ValueType::i16: return "i16";
    case ValueType::u32: return "u32";
    case ValueType::i32: return "i32";
    case ValueType::f32: return "f32";
    case ValueType::boolean: return "bool";
    case ValueType::string: return "string";
    case ValueType::array: return "array";
    case ValueType::u64: return "u64";
    case ValueType::i64: return "i64";
    case ValueType::f64: return "f64";
  }
  return "unknown";
}

namespace {

[[noreturn]] void mismatch(const std::string& what, const char* expected, ValueType found) {
  fail(ErrorKind::format, "{}: expected {} but the value has type {}", what, expected, to_string(found));
}

}  // namespace

uint64_t Value::as_uint(const std::string& what) const {
  if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v)) {
    if (*i >= 0) return static_cast<uint64_t>(*i);
    fail(ErrorKind::format, "{}: expected a non-negative integer but found {}", what, *i);
  }
  mismatch(what, "an unsigned integer", type);
}

int64_t Value::as_int(const std::string& what) const {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&v)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return static_cast<int64_t>(*u);
    fail(ErrorKind::format, "{}: integer {} does not fit in int64", what, *u);
  }
  mismatch(what, "an integer", type);
}

double Value::as_float(const std::string& what) const {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&v)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  mismatch(what, "a number", type);
}

bool Value::as_bool(const std::string& what) const {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  mismatch(what, "a bool", type);
}

const std::string& Value::as_string(const std::string& what) const {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  mismatch(what, "a string", type);
}

const Array& Value::as_array(const std::string& what) const {
  if (const auto* a = std::get_if<Array>(&v)) return *a;
  mismatch(what, "an array", type);
}

}  // namespace ys::gguf
