// Helpers for the GGUF tests: a sample file built by the Writer, a raw byte builder for
// crafted (lying) files, and a value comparison independent of the reader.
#pragma once

#include "common/error.h"
#include "engine/gguf/gguf.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

namespace ys::gguf::testing {

// Raw little-endian byte builder.
struct Bytes {
  std::vector<uint8_t> b;
  template <typename T>
  Bytes& put(T x) {
    const size_t at = b.size();
    b.resize(at + sizeof(T));
    std::memcpy(b.data() + at, &x, sizeof(T));
    return *this;
  }
  Bytes& u8(uint8_t x) { return put(x); }
  Bytes& u32(uint32_t x) { return put(x); }
  Bytes& u64(uint64_t x) { return put(x); }
  Bytes& str(const std::string& s) {
    u64(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return u32(0x46554747).u32(version).u64(n_tensors).u64(n_kv);
  }
  Bytes& pad(size_t alignment) {
    while (b.size() % alignment != 0) b.push_back(0);
    return *this;
  }
  Bytes& zeros(size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
};

// A small valid file with metadata of every type (incl. nested arrays and arrays of
// strings) and three tensors; the last tensor's size is a multiple of the alignment so
// that every proper prefix of the file is invalid.
Writer sample_writer();
std::vector<uint8_t> sample_bytes();

bool values_equal(const Value& a, const Value& b);

// Parses `bytes` and requires a format error whose message contains every needle.
void require_format_error(const std::vector<uint8_t>& bytes, const std::vector<std::string>& needles);

}  // namespace ys::gguf::testing
