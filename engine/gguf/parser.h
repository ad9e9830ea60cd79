// Validating parser of a whole GGUF image (header, metadata, tensor table).
// Used by File; exposed separately so the limits are documented in one place.
#pragma once

#include "engine/gguf/gguf.h"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace ys::gguf {

inline constexpr uint32_t kMagic = 0x46554747;          // "GGUF" little-endian
inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr uint64_t kMaxAlignment = uint64_t{1} << 20;
inline constexpr uint32_t kMaxDims = 4;
inline constexpr int kMaxNesting = 8;                     // array-in-array depth
inline constexpr uint64_t kMaxKeyLength = 65535;
// Total array elements over the whole file: bounds the in-memory expansion of
// small-element arrays (each Value is ~48 bytes) to ~400 MB. Real vocabularies need
// ~1-2M (tokens + merges + scores + token types of a 256k vocabulary).
inline constexpr uint64_t kMaxArrayElements = uint64_t{1} << 23;

struct Parsed {
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t data_offset = 0;   // start of the tensor data blob
  std::vector<std::pair<std::string, Value>> metadata;
  std::vector<TensorInfo> tensors;
};

// Parses and validates; throws ys::Error(format) naming `name`, the field and its offset.
Parsed parse_gguf(std::span<const uint8_t> bytes, const std::string& name);

}  // namespace ys::gguf
