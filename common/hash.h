// Content hashes: SHA-256 (OpenSSL EVP) for provenance and dataset checks, XXH3 for
// fast in-process keys (prompt hashes, prefix-cache blocks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ys {

// Lower-case hex SHA-256 of a byte string.
std::string sha256_hex(std::string_view bytes);
// Lower-case hex SHA-256 of a file's content, streamed. Throws ys::Error(io).
std::string sha256_file(const std::filesystem::path& path);
// 64-bit XXH3 of a byte string.
uint64_t xxh64(std::string_view bytes);
// 16 hex digits of xxh64.
std::string xxh64_hex(std::string_view bytes);

}  // namespace ys
