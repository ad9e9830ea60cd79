#include "engine/model/requant.h"

#include "common/error.h"
#include "engine/quant/quant.h"

namespace ys::engine {

quant::Type parse_requant_type(const std::string& name, const std::string& flag) {
  const auto t = quant::parse_type(name);
  using quant::Type;
  if (!t || !(*t == Type::f32 || *t == Type::f16 || *t == Type::bf16 || *t == Type::q8_0 || *t == Type::q4_0 ||
              *t == Type::q4_1 || *t == Type::q5_0 || *t == Type::q5_1))
    fail(ErrorKind::invalid_input,
         "{}: '{}' is not a re-quantization target; expected f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1",
         flag, name);
  return *t;
}

bool is_requantizable(const gguf::TensorInfo& t) {
  const std::string suffix = ".weight";
  const bool is_weight = t.name.size() > suffix.size() && t.name.ends_with(suffix);
  return is_weight && t.dims.size() >= 2 && t.name != "rope_freqs.weight";
}

std::vector<uint8_t> convert_rows(const std::string& tensor, quant::Type from, const void* src, int64_t rows,
                                  int64_t cols, quant::Type to) {
  const auto& tt = quant::traits(to);
  const auto& tf = quant::traits(from);
  if (cols % tt.block_size != 0)
    fail(ErrorKind::invalid_input, "tensor '{}': row length {} is not a multiple of {}'s block size {}", tensor, cols,
         tt.name, tt.block_size);
  if (!quant::can_dequantize(from))
    fail(ErrorKind::unsupported, "tensor '{}': cannot decode type {}", tensor, tf.name);
  const uint64_t in_row = quant::row_bytes(from, uint64_t(cols));
  const uint64_t out_row = quant::row_bytes(to, uint64_t(cols));
  std::vector<uint8_t> out(size_t(out_row * uint64_t(rows)));
  std::vector<float> tmp(static_cast<size_t>(cols));
  const auto* in = static_cast<const uint8_t*>(src);
  for (int64_t r = 0; r < rows; ++r) {
    quant::dequantize_row(from, in + uint64_t(r) * in_row, tmp.data(), cols);
    quant::quantize_row(to, tmp.data(), out.data() + uint64_t(r) * out_row, cols);
  }
  return out;
}

}  // namespace ys::engine
