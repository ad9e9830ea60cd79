// Truncations and bit flips of a valid file: a format error or a clean parse, never a crash.
#include "tests/gguf/gguf_test_util.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

using namespace ys::gguf;
using namespace ys::gguf::testing;

namespace {

// Parses and touches every value and tensor byte; returns true if the file parsed.
bool parse_and_touch(const std::vector<uint8_t>& bytes) {
  try {
    const File f = File::from_memory(bytes, "mutant.gguf");
    uint64_t sum = 0;
    for (const auto& [k, v] : f.metadata()) sum += k.size() + static_cast<uint64_t>(v.type);
    for (const TensorInfo& t : f.tensors()) {
      for (uint8_t b : f.tensor_data(t)) sum += b;
    }
    return sum != 1;  // keeps the loop from being optimised away
  } catch (const ys::Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    REQUIRE(msg.find('\n') == std::string::npos);
    REQUIRE(msg.rfind("mutant.gguf", 0) == 0);
    return false;
  }
}

}  // namespace

TEST_CASE("every proper prefix of a valid file is a format error naming the offset") {
  const std::vector<uint8_t> bytes = sample_bytes();
  REQUIRE_NOTHROW(File::from_memory(bytes, "full"));
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    try {
      File::from_memory(prefix, "trunc.gguf");
      FAIL("prefix of " << n << " bytes parsed");
    } catch (const ys::Error& e) {
      INFO("prefix " << n << ": " << e.what());
      REQUIRE(e.kind() == ys::ErrorKind::format);
      REQUIRE(std::string(e.what()).find("at byte ") != std::string::npos);
    }
  }
}

TEST_CASE("one-bit flips in every header/metadata byte parse or throw ys::Error") {
  const std::vector<uint8_t> bytes = sample_bytes();
  const File ok = File::from_memory(bytes, "ok");
  const size_t region = static_cast<size_t>(ok.data_offset());
  REQUIRE(region < bytes.size());
  size_t parsed = 0, rejected = 0;
  for (size_t i = 0; i < region; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> m = bytes;
      m[i] ^= static_cast<uint8_t>(1u << bit);
      (parse_and_touch(m) ? parsed : rejected)++;
    }
  }
  // Flipping the magic must be rejected; flipping a string byte of a value must not be.
  CHECK(rejected > 0);
  CHECK(parsed > 0);
}

TEST_CASE("deterministic random multi-byte corruption parses or throws ys::Error") {
  const std::vector<uint8_t> bytes = sample_bytes();
  std::mt19937_64 rng(20261127);
  std::uniform_int_distribution<size_t> pos(0, bytes.size() - 1);
  std::uniform_int_distribution<int> val(0, 255), count(1, 4);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<uint8_t> m = bytes;
    const int n = count(rng);
    for (int k = 0; k < n; ++k) m[pos(rng)] = static_cast<uint8_t>(val(rng));
    parse_and_touch(m);
  }
  SUCCEED();
}

// Regression inputs: the fuzzer's seeds and any crasher it found are committed to
// tests/fixtures/gguf/; each one (and each of its prefixes) must parse or throw ys::Error.
TEST_CASE("fixtures in tests/fixtures/gguf parse or throw ys::Error, as do their prefixes") {
  const std::filesystem::path dir = std::filesystem::path(YS_SOURCE_DIR) / "tests/fixtures/gguf";
  REQUIRE(std::filesystem::is_directory(dir));
  size_t n_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".gguf") continue;
    ++n_files;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(entry.path().string());
    REQUIRE(bytes.size() < 65536);
    parse_and_touch(bytes);
    for (size_t n = 0; n < bytes.size(); ++n) parse_and_touch({bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)});
  }
  CHECK(n_files >= 2);
  const File seeds = File::open(dir / "tiny_seed_tensors.gguf");
  CHECK(seeds.alignment() == 64);
  REQUIRE(seeds.tensors().size() == 4);
  CHECK(seeds.tensors()[2].type == ys::quant::Type::q2_k);
  CHECK(seeds.tensor_data(seeds.tensors()[3]).size() == 16);
}
