// GGUF: the model file format of llama.cpp/ggml, read and written here.
//
// Layout (all little-endian; v2 and v3 differ from v1 in using 64-bit counts):
//   u32 magic "GGUF" (0x46554747) | u32 version (2 or 3) | u64 tensor_count | u64 kv_count
//   kv_count times:     string key | u32 value_type | value
//   tensor_count times: string name | u32 n_dims (<= 4) | u64 dims[n_dims] | u32 ggml_type | u64 offset
//   padding to general.alignment (default 32), then the tensor data blob;
//   each tensor's offset is relative to the blob start and a multiple of the alignment.
// string = u64 length + bytes (not NUL-terminated). Value types: 0 u8, 1 i8, 2 u16, 3 i16,
// 4 u32, 5 i32, 6 f32, 7 bool (1 byte), 8 string, 9 array (u32 elem type + u64 count +
// elems; arrays may nest), 10 u64, 11 i64, 12 f64.
// dims[0] is the fastest-varying (row length); a 2-D weight [ne0, ne1] has ne1 rows of ne0.
//
// The reader treats the file as untrusted: every count, length, offset and size is
// checked against the file size and sane limits before use, and a bad file raises
// ys::Error(format) naming the file, the field and its byte offset.
#pragma once

#include "engine/quant/types.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace ys::gguf {

enum class ValueType : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
const char* to_string(ValueType t);

struct Value;
struct Array {
  ValueType elem_type = ValueType::u8;
  std::vector<Value> items;
};

// One metadata value. Integers keep their declared type so a round trip is exact.
struct Value {
  ValueType type = ValueType::u8;
  std::variant<uint64_t, int64_t, double, bool, std::string, Array> v;

  static Value make_u32(uint32_t x) { return {ValueType::u32, uint64_t{x}}; }
  static Value make_i32(int32_t x) { return {ValueType::i32, int64_t{x}}; }
  static Value make_u64(uint64_t x) { return {ValueType::u64, x}; }
  static Value make_f32(float x) { return {ValueType::f32, double{x}}; }
  static Value make_bool(bool x) { return {ValueType::boolean, x}; }
  static Value make_string(std::string s) { return {ValueType::string, std::move(s)}; }
  static Value make_array(ValueType elem, std::vector<Value> items) {
    return {ValueType::array, Array{elem, std::move(items)}};
  }

  // Checked accessors: throw ys::Error(format) naming `what` on a type mismatch.
  uint64_t as_uint(const std::string& what) const;   // any non-negative integer type
  int64_t as_int(const std::string& what) const;     // any integer type
  double as_float(const std::string& what) const;    // f32/f64 or integer
  bool as_bool(const std::string& what) const;
  const std::string& as_string(const std::string& what) const;
  const Array& as_array(const std::string& what) const;
};

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> dims;   // dims[0] = row length (fastest varying)
  quant::Type type = quant::Type::f32;
  uint64_t offset = 0;          // relative to the data blob
  uint64_t n_elements() const;
  uint64_t n_bytes() const;     // from the type's block size and bytes per block
  uint64_t rows() const;        // product of dims[1..]
};

// A memory-mapped, validated GGUF file. Movable, not copyable.
class File {
 public:
  // Opens and validates the header, metadata and tensor table. Throws ys::Error.
  static File open(const std::filesystem::path& path);
  // Parses an in-memory image (for fuzzing and tests); `bytes` must outlive the File.
  static File from_memory(std::span<const uint8_t> bytes, std::string name = "<memory>");

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  const std::string& path() const;
  uint32_t version() const;
  uint64_t alignment() const;
  uint64_t file_size() const;
  uint64_t data_offset() const;   // byte offset of the tensor data blob in the file

  // Metadata in file order.
  const std::vector<std::pair<std::string, Value>>& metadata() const;
  const Value* find(const std::string& key) const;          // nullptr if absent
  const Value& get(const std::string& key) const;           // throws format error if absent
  // Typed getters with defaults (throw on a type mismatch, not on absence).
  uint64_t get_uint(const std::string& key, uint64_t fallback) const;
  double get_float(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;

  const std::vector<TensorInfo>& tensors() const;
  const TensorInfo* find_tensor(const std::string& name) const;   // nullptr if absent
  // The tensor's bytes inside the mapping (bounds already checked at open).
  std::span<const uint8_t> tensor_data(const TensorInfo& t) const;

 private:
  struct Impl;
  explicit File(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Writes GGUF v3. Tensors are laid out in the order added, each aligned.
class Writer {
 public:
  explicit Writer(uint64_t alignment = 32);
  void set(const std::string& key, Value value);   // replaces an existing key, keeps order
  void add_tensor(const std::string& name, std::vector<uint64_t> dims, quant::Type type,
                  std::vector<uint8_t> data);       // data.size() must equal the type's n_bytes
  // Writes to a temporary file next to `path` and renames it into place.
  void write(const std::filesystem::path& path) const;
  std::vector<uint8_t> to_bytes() const;

 private:
  uint64_t alignment_;
  std::vector<std::pair<std::string, Value>> kv_;
  struct PendingTensor {
    std::string name;
    std::vector<uint64_t> dims;
    quant::Type type;
    std::vector<uint8_t> data;
  };
  std::vector<PendingTensor> tensors_;
};

}  // namespace ys::gguf
