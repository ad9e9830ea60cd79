#include "tests/gguf/gguf_test_util.h"

namespace ys::gguf::testing {

Writer sample_writer() {
  Writer w;
  w.set("general.architecture", Value::make_string("llama"));
  w.set("t.u8", {ValueType::u8, uint64_t{200}});
  w.set("t.i8", {ValueType::i8, int64_t{-100}});
  w.set("t.u16", {ValueType::u16, uint64_t{60000}});
  w.set("t.i16", {ValueType::i16, int64_t{-30000}});
  w.set("t.u32", Value::make_u32(4000000000u));
  w.set("t.i32", Value::make_i32(-2000000000));
  w.set("t.f32", Value::make_f32(0.15625f));
  w.set("t.bool", Value::make_bool(true));
  w.set("t.string", Value::make_string("h\xc3\xa9llo\n"));
  w.set("t.u64", Value::make_u64(0xfedcba9876543210ull));
  w.set("t.i64", {ValueType::i64, int64_t{-1234567890123ll}});
  w.set("t.f64", {ValueType::f64, 2.718281828459045});
  w.set("t.strings", Value::make_array(ValueType::string, {Value::make_string("a"), Value::make_string(""),
                                                           Value::make_string("<|im_end|>")}));
  w.set("t.floats", Value::make_array(ValueType::f32, {Value::make_f32(-1.5f), Value::make_f32(3.25f)}));
  w.set("t.nested", Value::make_array(ValueType::array,
                                      {Value::make_array(ValueType::i32, {Value::make_i32(1), Value::make_i32(-2)}),
                                       Value::make_array(ValueType::i32, {}),
                                       Value::make_array(ValueType::boolean, {Value::make_bool(false)})}));
  w.set("t.empty", Value::make_array(ValueType::u8, {}));
  std::vector<uint8_t> f32(4 * 3 * 2);
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = static_cast<uint8_t>(i * 7 + 1);
  w.add_tensor("a.weight", {3, 2}, quant::Type::f32, f32);
  std::vector<uint8_t> q(18 * 2);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<uint8_t>(255 - i);
  w.add_tensor("b.weight", {64, 1}, quant::Type::q4_0, q);
  std::vector<uint8_t> last(64);   // 16 f32 = 64 bytes: ends exactly on the alignment
  for (size_t i = 0; i < last.size(); ++i) last[i] = static_cast<uint8_t>(i ^ 0x5a);
  w.add_tensor("c.bias", {16}, quant::Type::f32, last);
  return w;
}

std::vector<uint8_t> sample_bytes() { return sample_writer().to_bytes(); }

bool values_equal(const Value& a, const Value& b) {
  if (a.type != b.type || a.v.index() != b.v.index()) return false;
  if (const auto* x = std::get_if<Array>(&a.v)) {
    const auto& y = std::get<Array>(b.v);
    if (x->elem_type != y.elem_type || x->items.size() != y.items.size()) return false;
    for (size_t i = 0; i < x->items.size(); ++i) {
      if (!values_equal(x->items[i], y.items[i])) return false;
    }
    return true;
  }
  if (const auto* u = std::get_if<uint64_t>(&a.v)) return *u == std::get<uint64_t>(b.v);
  if (const auto* i = std::get_if<int64_t>(&a.v)) return *i == std::get<int64_t>(b.v);
  if (const auto* d = std::get_if<double>(&a.v)) return std::memcmp(d, &std::get<double>(b.v), sizeof(double)) == 0;
  if (const auto* f = std::get_if<bool>(&a.v)) return *f == std::get<bool>(b.v);
  return std::get<std::string>(a.v) == std::get<std::string>(b.v);
}

void require_format_error(const std::vector<uint8_t>& bytes, const std::vector<std::string>& needles) {
  try {
    File f = File::from_memory(bytes, "crafted.gguf");
    FAIL("expected a format error, the file parsed");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.kind() == ErrorKind::format);
    const std::string msg = e.what();
    CHECK(msg.rfind("crafted.gguf: ", 0) == 0);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.find("at byte") != std::string::npos);
    for (const auto& n : needles) CHECK(msg.find(n) != std::string::npos);
  }
}

}  // namespace ys::gguf::testing
