// A bit-exact port of CPython's random.Random (Lib/random.py + Modules/_randommodule.c)
// for integer seeds: MT19937 seeded with init_by_array(the seed's 32-bit words, least
// significant first), random() = 53-bit double from two draws, getrandbits, _randbelow,
// sample() (set-based and pool-based branches) and the index drawn by random.choices.
// Used for lm-eval's few-shot sampler (PROTOCOLS.md §1.2) and bootstrap stderr (§1.5).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ys::metrics {

class PyRandom {
 public:
  // == Python random.Random(seed) for int seeds: init_by_array with the seed's 32-bit words.
  explicit PyRandom(uint64_t seed);

  // One MT19937 output (genrand_uint32 in _randommodule.c).
  uint32_t genrand_uint32();
  // random.random(): (a*67108864+b)/9007199254740992 with a=draw>>5, b=draw>>6.
  double random();
  // random.getrandbits(k) for 0 <= k <= 64 (words filled least significant first).
  uint64_t getrandbits(int k);
  // random._randbelow(n) (_randbelow_with_getrandbits) for n >= 1; returns 0 for n == 0.
  uint64_t randbelow(uint64_t n);
  // random.sample(range(population), k): the chosen indices in selection order.
  // Throws ys::Error(invalid_input) if k > population (Python raises ValueError).
  std::vector<size_t> sample(size_t population, size_t k);
  // floor(random() * n), the index random.choices(population, k=...) picks (n >= 1).
  size_t choice_index(size_t n);

 private:
  void init_genrand(uint32_t s);
  void init_by_array(const std::vector<uint32_t>& key);
  void twist();

  static constexpr int kN = 624;
  std::array<uint32_t, kN> mt_{};
  int mti_ = kN + 1;
};

}  // namespace ys::metrics
