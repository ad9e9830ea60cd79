// Arbitrary bytes and concurrent use of the SmolLM2 tokenizer.
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"
#include "tests/tokenizer/test_env.h"

#include <catch2/catch.hpp>

#include <random>
#include <thread>

namespace t = ys::tok::test;

namespace {
std::vector<std::string> random_strings(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::string alphabet[] = {"a", "Z", " ", "  ", "\n", "\t", "1", "'s", "é", "你", "😀", "<|im_end|>", "\xff", "\xc3", "!"};
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string s;
    const size_t len = rng() % 40;
    for (size_t k = 0; k < len; ++k) {
      if (rng() % 4 == 0) s.push_back(static_cast<char>(rng() % 256));
      else s += alphabet[rng() % std::size(alphabet)];
    }
    out.push_back(std::move(s));
  }
  return out;
}
}  // namespace

TEST_CASE("SmolLM2 encodes arbitrary bytes losslessly up to U+FFFD replacement") {
  const ys::tok::Tokenizer* tok = t::smollm2();
  if (tok == nullptr) return;
  for (const auto& s : random_strings(500, 7)) {
    std::string clean, kept;
    ys::tok::utf8_sanitize(s, clean);
    // SmolLM2 has no token for these control bytes; llama.cpp drops them too (fixture "a\x04b").
    for (char c : clean) {
      if (std::string_view("\x04\x06\x13\x14\x16\x1d").find(c) == std::string_view::npos) kept.push_back(c);
    }
    const auto ids = tok->encode(s, false);
    for (int32_t id : ids) REQUIRE((id >= 0 && id < tok->n_vocab()));
    CHECK(tok->decode(ids) == kept);
    CHECK(tok->encode(clean, false) == ids);
  }
}

TEST_CASE("SmolLM2 encode gives the same ids from several threads at once") {
  const ys::tok::Tokenizer* tok = t::smollm2();
  if (tok == nullptr) return;
  const auto strings = random_strings(300, 11);
  std::vector<std::vector<int32_t>> expected;
  for (const auto& s : strings) expected.push_back(tok->encode(s, false));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int rep = 0; rep < 3; ++rep) {
        for (size_t i = 0; i < strings.size(); ++i) {
          const size_t k = (i * 7 + static_cast<size_t>(w) * 13) % strings.size();
          if (tok->encode(strings[k], false) != expected[k]) ++mismatches[w];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches == std::vector<int>(4, 0));
  const ys::tok::Tokenizer copy = *tok;   // copies are independent values
  CHECK(copy.encode("Hello world", false) == tok->encode("Hello world", false));
}
