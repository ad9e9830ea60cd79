#include "engine/model/weights.h"

#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/model/requant.h"
#include "engine/quant/quant.h"

#include <map>
#include <variant>

namespace ys::engine {

namespace {

std::string dims_str(const std::vector<uint64_t>& d) { return fmt::format("[{}]", fmt::join(d, ", ")); }

// llama.cpp's names of its mixed K-quant file types (general.file_type), whose most common
// tensor type does not name them (SmolLM2's Q4_K_M is mostly q5_0).
std::string mixed_file_type(uint64_t ftype) {
  switch (ftype) {
    case 10: return "q2_k";
    case 11: return "q3_k_s";
    case 12: return "q3_k_m";
    case 13: return "q3_k_l";
    case 14: return "q4_k_s";
    case 15: return "q4_k_m";
    case 16: return "q5_k_s";
    case 17: return "q5_k_m";
    default: return "";
  }
}

}  // namespace

const gguf::TensorInfo* WeightBinder::find(const std::string& name) const { return f_.find_tensor(name); }

const gguf::TensorInfo& WeightBinder::expect(const std::string& name, const std::vector<uint64_t>& dims) const {
  const gguf::TensorInfo* t = f_.find_tensor(name);
  if (!t) fail(ErrorKind::format, "{}: missing tensor '{}' (expected dims {})", f_.path(), name, dims_str(dims));
  if (t->dims != dims)
    fail(ErrorKind::format, "{}: tensor '{}' has dims {}, expected {}", f_.path(), name, dims_str(t->dims),
         dims_str(dims));
  return *t;
}

const float* WeightBinder::vec(const std::string& name, uint64_t n) {
  const gguf::TensorInfo& t = expect(name, {n});
  if (t.type == quant::Type::f32) return reinterpret_cast<const float*>(f_.tensor_data(t).data());
  std::vector<uint8_t> buf(size_t(n * sizeof(float)));
  quant::dequantize_row(t.type, f_.tensor_data(t).data(), reinterpret_cast<float*>(buf.data()), int64_t(n));
  owned_.push_back(std::move(buf));
  return reinterpret_cast<const float*>(owned_.back().data());
}

std::vector<WeightMat> WeightBinder::mats(const std::string& name, uint64_t cols, uint64_t rows, uint64_t n_mat) {
  std::vector<uint64_t> dims = {cols, rows};
  if (n_mat) dims.push_back(n_mat);
  const gguf::TensorInfo& t = expect(name, dims);
  quant::Type type = t.type;
  const void* data = f_.tensor_data(t).data();
  const uint64_t total_rows = rows * (n_mat ? n_mat : 1);
  if (rq_ && *rq_ != type) {
    owned_.push_back(convert_rows(name, type, data, int64_t(total_rows), int64_t(cols), *rq_));
    type = *rq_;
    data = owned_.back().data();
  }
  if (!quant::traits(type).supported)
    fail(ErrorKind::unsupported, "{}: tensor '{}' has type {}, which the engine cannot multiply", f_.path(), name,
         quant::name(type));
  if (cols % quant::traits(type).block_size != 0)
    fail(ErrorKind::format, "{}: tensor '{}': row length {} is not a multiple of the {} block size", f_.path(), name,
         cols, quant::name(type));
  elements_[quant::name(type)] += total_rows * cols;
  std::vector<WeightMat> out;
  const uint64_t mat_bytes = quant::row_bytes(type, cols) * rows;
  for (uint64_t e = 0; e < (n_mat ? n_mat : 1); ++e)
    out.push_back({type, static_cast<const uint8_t*>(data) + e * mat_bytes, int64_t(rows), int64_t(cols)});
  return out;
}

std::string WeightBinder::weight_type() const {
  std::string best;
  uint64_t n = 0;
  for (const auto& [k, v] : elements_)
    if (v > n) best = k, n = v;
  // A label only: a file_type of another value type is ignored, not an error.
  const gguf::Value* ft = rq_ ? nullptr : f_.find("general.file_type");
  uint64_t ftype = 0;
  if (ft && std::holds_alternative<uint64_t>(ft->v)) ftype = std::get<uint64_t>(ft->v);
  if (ft && std::holds_alternative<int64_t>(ft->v) && std::get<int64_t>(ft->v) > 0) ftype = uint64_t(std::get<int64_t>(ft->v));
  if (std::string mix = mixed_file_type(ftype); !mix.empty()) return mix;
  return best;
}

}  // namespace ys::engine
