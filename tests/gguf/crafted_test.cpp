// Hand-crafted lying files: each must raise a one-line format error naming the field
// and its byte offset (checked in require_format_error).
#include "tests/gguf/gguf_test_util.h"

#include <functional>

using namespace ys::gguf;
using namespace ys::gguf::testing;

namespace {

constexpr uint64_t kHuge = uint64_t{1} << 62;

std::vector<uint8_t> one_kv(uint32_t type, const std::function<void(Bytes&)>& value) {
  Bytes b;
  b.header(0, 1).str("k").u32(type);
  value(b);
  return b.zeros(16).b;
}

std::vector<uint8_t> one_tensor(std::vector<uint64_t> dims, uint32_t type, uint64_t offset, size_t data,
                                uint32_t n_dims_override = 0) {
  Bytes b;
  b.header(1, 0).str("w").u32(n_dims_override ? n_dims_override : static_cast<uint32_t>(dims.size()));
  for (uint64_t d : dims) b.u64(d);
  b.u32(type).u64(offset).pad(32).zeros(data);
  return b.b;
}

}  // namespace

TEST_CASE("crafted: header lies") {
  require_format_error(Bytes().u32(0x58554747).u32(3).u64(0).u64(0).b, {"magic", "at byte 0"});
  require_format_error(Bytes().header(0, 0, 1).b, {"version", "v1", "at byte 4"});
  require_format_error(Bytes().header(0, 0, 7).b, {"version", "unsupported version 7"});
  require_format_error(Bytes().header(0, 0, 0x03000000).b, {"version", "big-endian"});
  require_format_error(Bytes().header(0, kHuge).zeros(64).b, {"kv_count", "at byte 16"});
  require_format_error(Bytes().header(kHuge, 0).zeros(64).b, {"tensor_count", "at byte 8"});
  require_format_error(Bytes().u32(0x46554747).u32(3).u64(0).b, {"kv_count", "at byte 16", "needs 8 bytes"});
  require_format_error({}, {"magic", "at byte 0"});
}

TEST_CASE("crafted: metadata lies") {
  // Key length larger than the file: named with its byte offset (24 = right after the header).
  require_format_error(Bytes().header(0, 1).u64(kHuge).zeros(32).b, {"metadata entry #0 key", "at byte 24",
                                                                      "string length"});
  require_format_error(one_kv(8, [](Bytes& b) { b.u64(kHuge); }), {"metadata 'k' string value", "string length"});
  require_format_error(one_kv(13, [](Bytes&) {}), {"metadata 'k' value type", "unknown value type 13"});
  require_format_error(one_kv(7, [](Bytes& b) { b.u8(2); }), {"metadata 'k' bool value", "expected 0 or 1"});
  require_format_error(one_kv(9, [](Bytes& b) { b.u32(4).u64(uint64_t{1} << 40); }), {"array count", "cannot fit"});
  require_format_error(one_kv(9, [](Bytes& b) { b.u32(8).u64(3).u64(1).u8('a').u64(kHuge); }),
                       {"metadata 'k' string value", "string length"});
  require_format_error(one_kv(9, [](Bytes& b) { b.u32(77).u64(0); }), {"array element type", "unknown value type 77"});
  // Nine levels of arrays, each holding one array.
  require_format_error(one_kv(9, [](Bytes& b) {
                         for (int i = 0; i < 9; ++i) b.u32(9).u64(1);
                         b.u32(0).u64(0);
                       }),
                       {"nested deeper than 8"});
  // More array elements than the whole-file cap (8M): rejected before any is parsed.
  std::vector<uint8_t> many = one_kv(9, [](Bytes& b) { b.u32(0).u64((uint64_t{1} << 23) + 1); });
  many.resize(many.size() + (size_t{1} << 23) + 1, 0);
  require_format_error(many, {"array count", "more than 8388608 array elements"});
  Bytes dup;
  dup.header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2);
  require_format_error(dup.b, {"metadata 'k' key", "duplicate key", "at byte 41"});
  Bytes empty_key;
  empty_key.header(0, 1).str("").u32(4).u32(1);
  require_format_error(empty_key.b, {"empty key"});
  // A key with control characters is escaped in the (one-line) message.
  require_format_error(one_kv(13, [](Bytes&) {}), {"'k'"});
  Bytes nl;
  nl.header(0, 1).str("a\nb").u32(13).zeros(8);
  require_format_error(nl.b, {"a\\x0ab"});
}

TEST_CASE("crafted: alignment lies") {
  auto with_alignment = [](uint32_t type, uint64_t value) {
    Bytes b;
    b.header(0, 1).str("general.alignment").u32(type);
    if (type == 4) b.u32(static_cast<uint32_t>(value)); else b.u64(value);
    return b.zeros(16).b;
  };
  require_format_error(with_alignment(4, 48), {"general.alignment", "power of two"});
  require_format_error(with_alignment(4, 0), {"general.alignment", "power of two"});
  require_format_error(with_alignment(4, 1u << 31), {"general.alignment", "power of two"});
  require_format_error(with_alignment(10, 32), {"general.alignment", "expected type u32"});
  CHECK(File::from_memory(with_alignment(4, 16), "ok").alignment() == 16);
}

TEST_CASE("crafted: tensor table lies") {
  require_format_error(one_tensor({1, 1, 1, 1, 1}, 0, 0, 32), {"tensor 'w' n_dims", "at most 4"});
  require_format_error(one_tensor({}, 0, 0, 32, 0x7fffffff), {"tensor 'w' n_dims"});
  require_format_error(one_tensor({uint64_t{1} << 32, uint64_t{1} << 32}, 0, 0, 32), {"tensor 'w' dims", "overflows"});
  require_format_error(one_tensor({uint64_t{1} << 62}, 0, 0, 32), {"tensor 'w' dims", "overflows"});
  require_format_error(one_tensor({~uint64_t{0}}, 0, 0, 32), {"tensor 'w' dims"});
  require_format_error(one_tensor({8}, 99, 0, 32), {"tensor 'w' type", "unknown tensor type id 99"});
  require_format_error(one_tensor({33}, 2, 0, 64), {"tensor 'w' dims", "block size 32"});
  require_format_error(one_tensor({8}, 0, 4, 64), {"tensor 'w' offset", "not a multiple of the alignment 32"});
  require_format_error(one_tensor({8}, 0, 1u << 30, 32), {"tensor 'w' offset", "beyond the end of the file"});
  require_format_error(one_tensor({8}, 0, 0, 31), {"tensor 'w' offset", "beyond the end of the file"});
  require_format_error(one_tensor({8}, 0, ~uint64_t{31}, 32), {"tensor 'w' offset"});
  // Known but unsupported types are allowed in the table (inspect shows them).
  const auto q2k = one_tensor({256}, 10, 0, 84);
  const File f = File::from_memory(q2k, "q2k");
  REQUIRE(f.tensors().size() == 1);
  CHECK(f.tensors()[0].type == ys::quant::Type::q2_k);
  CHECK(f.tensor_data(f.tensors()[0]).size() == 84);
}

TEST_CASE("crafted: duplicate and overlapping tensors") {
  Bytes dup;
  dup.header(2, 0).str("w").u32(1).u64(8).u32(0).u64(0).str("w").u32(1).u64(8).u32(0).u64(32).pad(32).zeros(64);
  require_format_error(dup.b, {"tensor 'w' name", "duplicate tensor name"});
  Bytes overlap;
  overlap.header(2, 0).str("a").u32(1).u64(16).u32(0).u64(32).str("b").u32(1).u64(16).u32(0).u64(0);
  overlap.pad(32).zeros(128);
  require_format_error(overlap.b, {"tensor 'a' offset", "overlaps tensor 'b'"});
  Bytes empty_name;
  empty_name.header(1, 0).str("").u32(1).u64(8).u32(0).u64(0).pad(32).zeros(32);
  require_format_error(empty_name.b, {"empty tensor name"});
}

TEST_CASE("files on disk: missing file is an I/O error, empty file a format error") {
  CHECK_THROWS_MATCHES(File::open("/nonexistent/x.gguf"), ys::Error,
                       Catch::Predicate<ys::Error>([](const ys::Error& e) { return e.kind() == ys::ErrorKind::io; }));
  CHECK_THROWS_AS(File::open("/dev/null"), ys::Error);
}
