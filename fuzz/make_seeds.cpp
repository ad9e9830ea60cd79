// Writes a few small valid GGUF files as the fuzzer's seed corpus: gguf_fuzz_seeds DIR
#include "common/error.h"
#include "engine/gguf/gguf.h"

#include <fmt/core.h>

#include <filesystem>
#include <vector>

using namespace ys::gguf;

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: gguf_fuzz_seeds OUTPUT_DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  try {
    Writer empty;
    empty.write(dir / "empty.gguf");

    Writer meta;
    meta.set("general.architecture", Value::make_string("llama"));
    meta.set("llama.block_count", Value::make_u32(2));
    meta.set("i8", {ValueType::i8, int64_t{-3}});
    meta.set("u16", {ValueType::u16, uint64_t{7}});
    meta.set("i16", {ValueType::i16, int64_t{-7}});
    meta.set("i32", Value::make_i32(-9));
    meta.set("u64", Value::make_u64(11));
    meta.set("i64", {ValueType::i64, int64_t{-11}});
    meta.set("f32", Value::make_f32(1.5f));
    meta.set("f64", {ValueType::f64, 2.5});
    meta.set("bool", Value::make_bool(true));
    meta.set("tokens", Value::make_array(ValueType::string, {Value::make_string("a"), Value::make_string("bc")}));
    meta.set("nested", Value::make_array(ValueType::array, {Value::make_array(ValueType::u8, {{ValueType::u8, uint64_t{1}}})}));
    meta.write(dir / "metadata.gguf");

    Writer tensors(64);
    tensors.set("general.architecture", Value::make_string("llama"));
    tensors.add_tensor("a", {4, 2}, ys::quant::Type::f32, std::vector<uint8_t>(32, 1));
    tensors.add_tensor("b", {32}, ys::quant::Type::q4_0, std::vector<uint8_t>(18, 2));
    tensors.add_tensor("c", {256}, ys::quant::Type::q2_k, std::vector<uint8_t>(84, 3));
    tensors.add_tensor("d", {8}, ys::quant::Type::f16, std::vector<uint8_t>(16, 4));
    tensors.write(dir / "tensors.gguf");
  } catch (const ys::Error& e) {
    fmt::print(stderr, "gguf_fuzz_seeds: {}\n", e.what());
    return 1;
  }
  return 0;
}
