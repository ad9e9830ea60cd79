// ModelInfo::weight_type: the most common matrix type, or llama.cpp's name of a mixed
// K-quant file type (general.file_type), whose most common type would mislead (SmolLM2's
// Q4_K_M is mostly q5_0 because 576 columns are not a multiple of 256).
#include "tests/model/helpers.h"

#include "engine/gguf/gguf.h"

#include <catch2/catch.hpp>

using namespace ys;

namespace {

std::filesystem::path base_file() {
  engine::SynthSpec s;
  s.n_layer = 1, s.n_embd = 64, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 128, s.n_vocab = 300, s.n_ctx = 64;
  s.type = quant::Type::q5_0;
  s.seed = 11;
  return test::synth_file("weight_type_q5_0", s);
}

// A copy of `in` with general.file_type set to `value`.
std::filesystem::path with_file_type(const std::filesystem::path& in_path, const gguf::Value& value,
                                     const std::string& tag) {
  const gguf::File in = gguf::File::open(in_path);
  gguf::Writer w(in.alignment());
  for (const auto& [k, v] : in.metadata())
    if (k != "general.alignment") w.set(k, v);
  w.set("general.file_type", value);
  for (const auto& t : in.tensors()) {
    const auto data = in.tensor_data(t);
    w.add_tensor(t.name, t.dims, t.type, {data.begin(), data.end()});
  }
  const auto out = in_path.parent_path() / ("weight_type_ftype_" + tag + ".gguf");
  w.write(out);
  return out;
}

}  // namespace

TEST_CASE("weight_type names llama.cpp's mixed K-quant file types, else the most common type") {
  engine::LoadOptions o;
  o.threads = 1;
  auto u32 = [](uint32_t x) { return gguf::Value::make_u32(x); };
  CHECK(engine::CpuModel(base_file(), o).info().weight_type == "q5_0");
  CHECK(engine::CpuModel(with_file_type(base_file(), u32(15), "15"), o).info().weight_type == "q4_k_m");
  CHECK(engine::CpuModel(with_file_type(base_file(), u32(17), "17"), o).info().weight_type == "q5_k_m");
  CHECK(engine::CpuModel(with_file_type(base_file(), u32(8), "8"), o).info().weight_type == "q5_0");  // not a mix
  // Untrusted metadata: a file_type of another value type is ignored, the model still loads.
  const auto odd = with_file_type(base_file(), gguf::Value::make_string("Q4_K_M"), "string");
  CHECK(engine::CpuModel(odd, o).info().weight_type == "q5_0");
  engine::LoadOptions rq = o;
  rq.quant = "q8_0";  // re-quantized: the file's type no longer applies
  CHECK(engine::CpuModel(with_file_type(base_file(), u32(15), "15"), rq).info().weight_type == "q8_0");
}
