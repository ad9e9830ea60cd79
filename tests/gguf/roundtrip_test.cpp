// Writer -> reader round trips, and the writer's bytes checked against the spec by hand.
#include "tests/gguf/gguf_test_util.h"

#include <unistd.h>

#include <filesystem>

using namespace ys::gguf;
using namespace ys::gguf::testing;

namespace {

void require_same_as_sample(const File& f) {
  // Values compared against the literals the test wrote (not against a second parse).
  REQUIRE(f.version() == 3);
  REQUIRE(f.alignment() == 32);
  REQUIRE(f.metadata().size() == 17);
  CHECK(f.get("t.u8").as_uint("t.u8") == 200);
  CHECK(f.get("t.i8").as_int("t.i8") == -100);
  CHECK(f.get("t.u16").as_uint("t.u16") == 60000);
  CHECK(f.get("t.i16").as_int("t.i16") == -30000);
  CHECK(f.get("t.u32").type == ValueType::u32);
  CHECK(f.get_uint("t.u32", 0) == 4000000000u);
  CHECK(f.get("t.i32").as_int("t.i32") == -2000000000);
  CHECK(f.get_float("t.f32", 0) == 0.15625);
  CHECK(f.get_bool("t.bool", false));
  CHECK(f.get_string("t.string", "") == "h\xc3\xa9llo\n");
  CHECK(f.get_uint("t.u64", 0) == 0xfedcba9876543210ull);
  CHECK(f.get("t.i64").as_int("t.i64") == -1234567890123ll);
  CHECK(f.get_float("t.f64", 0) == 2.718281828459045);
  const Array& strs = f.get("t.strings").as_array("t.strings");
  REQUIRE(strs.items.size() == 3);
  CHECK(strs.items[2].as_string("") == "<|im_end|>");
  CHECK(strs.items[1].as_string("").empty());
  const Array& nested = f.get("t.nested").as_array("t.nested");
  REQUIRE(nested.elem_type == ValueType::array);
  REQUIRE(nested.items.size() == 3);
  CHECK(nested.items[0].as_array("").items[1].as_int("") == -2);
  CHECK(nested.items[1].as_array("").items.empty());
  CHECK(nested.items[2].as_array("").elem_type == ValueType::boolean);
  CHECK(f.get("t.empty").as_array("").items.empty());
}

}  // namespace

TEST_CASE("round trip: metadata of every type, nested arrays and tensor bytes") {
  const std::vector<uint8_t> bytes = sample_bytes();
  const File f = File::from_memory(bytes, "sample.gguf");
  require_same_as_sample(f);
  {
    Writer w = sample_writer();
    const auto image = w.to_bytes();
    REQUIRE(image == bytes);   // deterministic output
  }
  REQUIRE(f.metadata()[0].first == "general.architecture");
  REQUIRE(f.metadata().back().first == "t.empty");
  REQUIRE(f.tensors().size() == 3);
  const TensorInfo* a = f.find_tensor("a.weight");
  REQUIRE(a != nullptr);
  CHECK(a->dims == std::vector<uint64_t>{3, 2});
  CHECK(a->n_elements() == 6);
  CHECK(a->rows() == 2);
  CHECK(a->n_bytes() == 24);
  auto data = f.tensor_data(*a);
  REQUIRE(data.size() == 24);
  for (size_t i = 0; i < data.size(); ++i) CHECK(data[i] == static_cast<uint8_t>(i * 7 + 1));
  const TensorInfo* b = f.find_tensor("b.weight");
  REQUIRE(b != nullptr);
  CHECK(b->type == ys::quant::Type::q4_0);
  CHECK(b->offset % 32 == 0);
  auto qb = f.tensor_data(*b);
  REQUIRE(qb.size() == 36);
  for (size_t i = 0; i < qb.size(); ++i) CHECK(qb[i] == static_cast<uint8_t>(255 - i));
  const TensorInfo* c = f.find_tensor("c.bias");
  REQUIRE(c != nullptr);
  CHECK(f.data_offset() + c->offset + 64 == bytes.size());
  CHECK(f.find_tensor("missing") == nullptr);
  CHECK(f.find("missing") == nullptr);
  CHECK(f.get_uint("missing", 7) == 7);
  CHECK_THROWS_AS(f.get("missing"), ys::Error);
  CHECK_THROWS_AS(f.get_string("t.u32", ""), ys::Error);   // type mismatch
  CHECK_THROWS_AS(f.get_uint("t.i8", 0), ys::Error);       // negative
}

TEST_CASE("round trip through a file on disk (mmap) with alignment 64") {
  Writer w = sample_writer();
  Writer w64(64);
  for (const auto& t : {"general.architecture", "t.nested", "t.strings"}) {
    const File src = File::from_memory(w.to_bytes(), "src");
    w64.set(t, src.get(t));
  }
  std::vector<uint8_t> data(4 * 10);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  w64.add_tensor("x", {10}, ys::quant::Type::f32, data);
  w64.add_tensor("y", {10}, ys::quant::Type::f32, data);
  const auto path = std::filesystem::temp_directory_path() / ("ys_gguf_rt_" + std::to_string(::getpid()) + ".gguf");
  w64.write(path);
  {
    const File f = File::open(path);
    CHECK(f.alignment() == 64);
    CHECK(f.get("general.alignment").type == ValueType::u32);
    CHECK(f.data_offset() % 64 == 0);
    CHECK(f.file_size() == std::filesystem::file_size(path));
    const File src = File::from_memory(w.to_bytes(), "src");
    CHECK(values_equal(f.get("t.nested"), src.get("t.nested")));
    CHECK(values_equal(f.get("t.strings"), src.get("t.strings")));
    REQUIRE(f.tensors().size() == 2);
    CHECK(f.tensors()[1].offset == 64);
    auto y = f.tensor_data(f.tensors()[1]);
    CHECK(std::vector<uint8_t>(y.begin(), y.end()) == data);
  }
  std::filesystem::remove(path);
}

TEST_CASE("writer bytes follow the GGUF spec layout") {
  Writer w;
  w.set("k", Value::make_u32(0x01020304));
  w.add_tensor("t", {8}, ys::quant::Type::f32, std::vector<uint8_t>(32, 0xab));
  const auto got = w.to_bytes();
  Bytes want;
  want.header(1, 1).str("k").u32(4).u32(0x01020304);   // key, type u32, value
  want.str("t").u32(1).u64(8).u32(0).u64(0);          // name, n_dims, dims, type f32, offset
  want.pad(32);
  want.b.insert(want.b.end(), 32, 0xab);
  CHECK(got == want.b);
  // The header starts with "GGUF" and version 3, little-endian.
  REQUIRE(got.size() > 8);
  CHECK(std::string(got.begin(), got.begin() + 4) == "GGUF");
  CHECK(got[4] == 3);
}

TEST_CASE("writer rejects inconsistent input") {
  using ys::quant::Type;
  CHECK_THROWS_AS(Writer(48), ys::Error);
  Writer w;
  CHECK_THROWS_AS(w.add_tensor("t", {8}, Type::f32, std::vector<uint8_t>(31)), ys::Error);
  CHECK_THROWS_AS(w.add_tensor("q", {33}, Type::q4_0, std::vector<uint8_t>(18)), ys::Error);
  CHECK_THROWS_AS(w.add_tensor("t", {1, 1, 1, 1, 1}, Type::f32, std::vector<uint8_t>(4)), ys::Error);
  w.add_tensor("t", {8}, Type::f32, std::vector<uint8_t>(32));
  CHECK_THROWS_AS(w.add_tensor("t", {8}, Type::f32, std::vector<uint8_t>(32)), ys::Error);
  w.set("bad", {ValueType::u8, uint64_t{256}});
  CHECK_THROWS_AS(w.to_bytes(), ys::Error);
  w.set("bad", Value::make_array(ValueType::u32, {Value::make_string("x")}));
  CHECK_THROWS_AS(w.to_bytes(), ys::Error);
  w.set("bad", Value::make_bool(false));   // set() replaces, keeping order
  CHECK_NOTHROW(w.to_bytes());
}
