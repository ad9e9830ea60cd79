// The validating GGUF parser: every count, length and offset is checked against the
// bytes left and the limits in parser.h before it is used.
#include "engine/gguf/parser.h"

#include "engine/gguf/cursor.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <unordered_set>

namespace ys::gguf {
namespace {

constexpr uint64_t kMinKvBytes = 8 + 4 + 1;          // key length, value type, 1-byte value
constexpr uint64_t kMinTensorBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset
// Counts are only upper bounds until the entries are parsed: reserve at most this many.
constexpr uint64_t kMaxReserve = 1 << 16;

// Smallest encoded size of one array element of type t (strings: the length field).
uint64_t min_elem_bytes(ValueType t) {
  switch (t) {
    case ValueType::u8: case ValueType::i8: case ValueType::boolean: return 1;
    case ValueType::u16: case ValueType::i16: return 2;
    case ValueType::u32: case ValueType::i32: case ValueType::f32: return 4;
    case ValueType::u64: case ValueType::i64: case ValueType::f64: case ValueType::string: return 8;
    case ValueType::array: return 4 + 8;
  }
  return 1;
}

class Parser {
 public:
  Parser(std::span<const uint8_t> bytes, const std::string& name) : cur_(bytes, name) {}

  Parsed run() {
    const auto [n_tensors, n_kv] = header();
    metadata(n_kv);
    alignment();
    tensor_table(n_tensors);
    check_tensor_data();
    return std::move(out_);
  }

 private:
  std::pair<uint64_t, uint64_t> header() {
    const auto magic = cur_.read<uint32_t>("magic");
    if (magic != kMagic) cur_.fail_at(0, "magic", "expected 0x46554747 (\"GGUF\") but found 0x{:08x}", magic);
    const auto version = cur_.read<uint32_t>("version");
    if (version == 1) cur_.fail_at(4, "version", "GGUF v1 is not supported (expected version 2 or 3)");
    const uint32_t swapped = __builtin_bswap32(version);
    if (swapped == 2 || swapped == 3) {
      cur_.fail_at(4, "version", "big-endian GGUF files are not supported");
    }
    if (version != 2 && version != 3) {
      cur_.fail_at(4, "version", "unsupported version {} (expected 2 or 3)", version);
    }
    out_.version = version;
    const auto n_tensors = cur_.read<uint64_t>("tensor_count");
    const auto n_kv = cur_.read<uint64_t>("kv_count");
    const uint64_t left = cur_.remaining();
    if (n_tensors > left / kMinTensorBytes) {
      cur_.fail_at(8, "tensor_count", "{} tensors cannot fit in the {} bytes left", n_tensors, left);
    }
    if (n_kv > left / kMinKvBytes || n_kv * kMinKvBytes + n_tensors * kMinTensorBytes > left) {
      cur_.fail_at(16, "kv_count", "{} metadata entries and {} tensors cannot fit in the {} bytes left", n_kv,
                   n_tensors, left);
    }
    return {n_tensors, n_kv};
  }

  ValueType value_type(const char* field) {
    const uint64_t at = cur_.pos();
    const auto raw = cur_.read<uint32_t>(field);
    if (raw > static_cast<uint32_t>(ValueType::f64)) cur_.fail_at(at, field, "unknown value type {}", raw);
    return static_cast<ValueType>(raw);
  }

  void metadata(uint64_t n_kv) {
    std::unordered_set<std::string> seen;
    out_.metadata.reserve(std::min<uint64_t>(n_kv, kMaxReserve));
    for (uint64_t i = 0; i < n_kv; ++i) {
      cur_.set_context(fmt::format("metadata entry #{}", i));
      const uint64_t key_at = cur_.pos();
      std::string key = cur_.read_string("key");
      if (key.empty()) cur_.fail_at(key_at, "key", "empty key");
      if (key.size() > kMaxKeyLength) {
        cur_.fail_at(key_at, "key", "key length {} exceeds the limit {}", key.size(), kMaxKeyLength);
      }
      cur_.set_context(fmt::format("metadata '{}'", printable(key)));
      if (!seen.insert(key).second) cur_.fail_at(key_at, "key", "duplicate key");
      const ValueType t = value_type("value type");
      if (key == "general.alignment") alignment_at_ = cur_.pos();
      Value v = value(t, 0);
      out_.metadata.emplace_back(std::move(key), std::move(v));
    }
    cur_.set_context("");
  }

  Value value(ValueType t, int depth) {
    switch (t) {
      case ValueType::u8: return {t, uint64_t{cur_.read<uint8_t>("value")}};
      case ValueType::i8: return {t, int64_t{cur_.read<int8_t>("value")}};
      case ValueType::u16: return {t, uint64_t{cur_.read<uint16_t>("value")}};
      case ValueType::i16: return {t, int64_t{cur_.read<int16_t>("value")}};
      case ValueType::u32: return {t, uint64_t{cur_.read<uint32_t>("value")}};
      case ValueType::i32: return {t, int64_t{cur_.read<int32_t>("value")}};
      case ValueType::u64: return {t, cur_.read<uint64_t>("value")};
      case ValueType::i64: return {t, cur_.read<int64_t>("value")};
      case ValueType::f32: return {t, double{cur_.read<float>("value")}};
      case ValueType::f64: return {t, cur_.read<double>("value")};
      case ValueType::boolean: {
        const uint64_t at = cur_.pos();
        const auto b = cur_.read<uint8_t>("bool value");
        if (b > 1) cur_.fail_at(at, "bool value", "expected 0 or 1 but found {}", b);
        return {t, b == 1};
      }
      case ValueType::string: return {t, cur_.read_string("string value")};
      case ValueType::array: return {t, array(depth + 1)};
    }
    cur_.fail_at(cur_.pos(), "value", "unknown value type {}", static_cast<uint32_t>(t));
  }

  Array array(int depth) {
    const uint64_t at = cur_.pos();
    if (depth > kMaxNesting) cur_.fail_at(at, "array", "arrays nested deeper than {}", kMaxNesting);
    Array a;
    a.elem_type = value_type("array element type");
    const uint64_t count_at = cur_.pos();
    const auto count = cur_.read<uint64_t>("array count");
    if (count > cur_.remaining() / min_elem_bytes(a.elem_type)) {
      cur_.fail_at(count_at, "array count", "{} elements of type {} cannot fit in the {} bytes left", count,
                   to_string(a.elem_type), cur_.remaining());
    }
    total_elements_ += count;
    if (total_elements_ > kMaxArrayElements) {
      cur_.fail_at(count_at, "array count", "more than {} array elements in the file", kMaxArrayElements);
    }
    a.items.reserve(std::min<uint64_t>(count, kMaxReserve));
    for (uint64_t i = 0; i < count; ++i) a.items.push_back(value(a.elem_type, depth));
    return a;
  }

  void alignment() {
    const Value* v = nullptr;
    for (const auto& [k, val] : out_.metadata) {
      if (k == "general.alignment") v = &val;
    }
    if (v == nullptr) return;
    cur_.set_context("metadata 'general.alignment'");
    if (v->type != ValueType::u32) {
      cur_.fail_at(alignment_at_, "value", "expected type u32 but found {}", to_string(v->type));
    }
    const uint64_t a = std::get<uint64_t>(v->v);
    if (a == 0 || (a & (a - 1)) != 0 || a > kMaxAlignment) {
      cur_.fail_at(alignment_at_, "value", "alignment {} is not a power of two in [1, {}]", a, kMaxAlignment);
    }
    out_.alignment = a;
    cur_.set_context("");
  }

  void tensor_table(uint64_t n_tensors);
  TensorInfo tensor(uint64_t index, std::unordered_set<std::string>& seen);
  void check_tensor_data();

  Cursor cur_;
  Parsed out_;
  uint64_t alignment_at_ = 0;
  uint64_t total_elements_ = 0;
  std::vector<uint64_t> offset_at_;   // byte offset of each tensor's offset field
};

void Parser::tensor_table(uint64_t n_tensors) {
  std::unordered_set<std::string> seen;
  out_.tensors.reserve(std::min<uint64_t>(n_tensors, kMaxReserve));
  offset_at_.reserve(std::min<uint64_t>(n_tensors, kMaxReserve));
  for (uint64_t i = 0; i < n_tensors; ++i) out_.tensors.push_back(tensor(i, seen));
  cur_.set_context("");
  const uint64_t end = cur_.pos();
  out_.data_offset = (end + out_.alignment - 1) / out_.alignment * out_.alignment;
}

TensorInfo Parser::tensor(uint64_t index, std::unordered_set<std::string>& seen) {
  TensorInfo t;
  cur_.set_context(fmt::format("tensor #{}", index));
  const uint64_t name_at = cur_.pos();
  t.name = cur_.read_string("name");
  if (t.name.empty()) cur_.fail_at(name_at, "name", "empty tensor name");
  if (t.name.size() > kMaxKeyLength) cur_.fail_at(name_at, "name", "name length {} too long", t.name.size());
  cur_.set_context(fmt::format("tensor '{}'", printable(t.name)));
  if (!seen.insert(t.name).second) cur_.fail_at(name_at, "name", "duplicate tensor name");
  const uint64_t ndims_at = cur_.pos();
  const auto n_dims = cur_.read<uint32_t>("n_dims");
  if (n_dims > kMaxDims) cur_.fail_at(ndims_at, "n_dims", "{} dimensions (at most {} allowed)", n_dims, kMaxDims);
  const uint64_t dims_at = cur_.pos();
  uint64_t n_elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    const auto dim = cur_.read<uint64_t>("dims");
    if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(n_elements, dim, &n_elements)) {
      cur_.fail_at(dims_at, "dims", "the element count overflows 64 bits (dims[{}] = {})", d, dim);
    }
    t.dims.push_back(dim);
  }
  const uint64_t type_at = cur_.pos();
  const auto type_id = cur_.read<uint32_t>("type");
  const quant::TypeTraits* tr = quant::find_traits(type_id);
  if (tr == nullptr) cur_.fail_at(type_at, "type", "unknown tensor type id {}", type_id);
  t.type = tr->type;
  const uint64_t row = t.dims.empty() ? 1 : t.dims[0];
  if (row % tr->block_size != 0) {
    cur_.fail_at(dims_at, "dims", "row length {} is not a multiple of the {} block size {}", row, tr->name,
                 tr->block_size);
  }
  uint64_t n_bytes = 0;
  if (__builtin_mul_overflow(n_elements / tr->block_size, uint64_t{tr->type_size}, &n_bytes)) {
    cur_.fail_at(dims_at, "dims", "the byte size of {} {} elements overflows 64 bits", n_elements, tr->name);
  }
  offset_at_.push_back(cur_.pos());
  t.offset = cur_.read<uint64_t>("offset");
  if (t.offset % out_.alignment != 0) {
    cur_.fail_at(offset_at_.back(), "offset", "{} is not a multiple of the alignment {}", t.offset,
                 out_.alignment);
  }
  return t;
}

void Parser::check_tensor_data() {
  const uint64_t size = cur_.size();
  const uint64_t blob = size > out_.data_offset ? size - out_.data_offset : 0;
  const auto& ts = out_.tensors;
  for (size_t i = 0; i < ts.size(); ++i) {
    const uint64_t n = ts[i].n_bytes();
    if (ts[i].offset > blob || n > blob - ts[i].offset) {
      cur_.set_context(fmt::format("tensor '{}'", printable(ts[i].name)));
      cur_.fail_at(offset_at_[i], "offset",
                   "data [{}, +{}) extends beyond the end of the file (data blob starts at {}, file size {})",
                   ts[i].offset, n, out_.data_offset, size);
    }
  }
  std::vector<size_t> order(ts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ts[a].offset < ts[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& prev = ts[order[k - 1]];
    const TensorInfo& cur = ts[order[k]];
    if (prev.offset + prev.n_bytes() > cur.offset) {
      cur_.set_context(fmt::format("tensor '{}'", printable(cur.name)));
      cur_.fail_at(offset_at_[order[k]], "offset", "data at {} overlaps tensor '{}' at [{}, +{})", cur.offset,
                   printable(prev.name), prev.offset, prev.n_bytes());
    }
  }
}

}  // namespace

Parsed parse_gguf(std::span<const uint8_t> bytes, const std::string& name) {
  return Parser(bytes, name).run();
}

}  // namespace ys::gguf
