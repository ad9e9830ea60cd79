// CPython's random.Random, bit for bit (see py_random.h). MT19937 constants and the
// seeding/tempering steps are those of Matsumoto & Nishimura's mt19937ar.c, which
// CPython's _randommodule.c uses unchanged.
#include "suites/metrics/py_random.h"

#include "common/error.h"

#include <cmath>
#include <unordered_set>

namespace ys::metrics {

namespace {
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

int bit_length(uint64_t n) {
  int k = 0;
  while (n) {
    ++k;
    n >>= 1;
  }
  return k;
}
}  // namespace

PyRandom::PyRandom(uint64_t seed) {
  // random_seed(): abs(n) split into 32-bit words, least significant first; 0 -> [0].
  std::vector<uint32_t> key;
  key.push_back(static_cast<uint32_t>(seed & 0xffffffffU));
  if (seed >> 32) key.push_back(static_cast<uint32_t>(seed >> 32));
  init_by_array(key);
}

void PyRandom::init_genrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i)
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  mti_ = kN;
}

void PyRandom::init_by_array(const std::vector<uint32_t>& key) {
  init_genrand(19650218U);
  int i = 1;
  size_t j = 0;
  const size_t len = key.size();
  for (size_t k = (static_cast<size_t>(kN) > len ? kN : len); k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] + static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= len) j = 0;
  }
  for (int k = kN - 1; k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;  // MSB is 1, assuring a non-zero initial array
}

void PyRandom::twist() {
  int kk = 0;
  for (; kk < kN - kM; ++kk) {
    uint32_t y = (mt_[kk] & kUpperMask) | (mt_[kk + 1] & kLowerMask);
    mt_[kk] = mt_[kk + kM] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  }
  for (; kk < kN - 1; ++kk) {
    uint32_t y = (mt_[kk] & kUpperMask) | (mt_[kk + 1] & kLowerMask);
    mt_[kk] = mt_[kk + (kM - kN)] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  }
  uint32_t y = (mt_[kN - 1] & kUpperMask) | (mt_[0] & kLowerMask);
  mt_[kN - 1] = mt_[kM - 1] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  mti_ = 0;
}

uint32_t PyRandom::genrand_uint32() {
  if (mti_ >= kN) twist();
  uint32_t y = mt_[mti_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

double PyRandom::random() {
  uint32_t a = genrand_uint32() >> 5, b = genrand_uint32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

uint64_t PyRandom::getrandbits(int k) {
  if (k < 0 || k > 64) fail(ErrorKind::invalid_input, "PyRandom::getrandbits: k={} outside [0, 64]", k);
  if (k == 0) return 0;
  if (k <= 32) return genrand_uint32() >> (32 - k);
  // Words are filled least significant first; the last word keeps its top (k % 32) bits.
  uint64_t lo = genrand_uint32();
  uint64_t hi = genrand_uint32() >> (64 - k);
  return lo | (hi << 32);
}

uint64_t PyRandom::randbelow(uint64_t n) {
  if (n == 0) return 0;
  const int k = bit_length(n);
  uint64_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

std::vector<size_t> PyRandom::sample(size_t population, size_t k) {
  if (k > population)
    fail(ErrorKind::invalid_input, "PyRandom::sample: sample larger than population ({} > {})", k, population);
  std::vector<size_t> result(k);
  size_t setsize = 21;
  if (k > 5) setsize += static_cast<size_t>(std::pow(4.0, std::ceil(std::log(static_cast<double>(k * 3)) /
                                                                     std::log(4.0))));
  const size_t n = population;
  if (n <= setsize) {
    std::vector<size_t> pool(n);
    for (size_t i = 0; i < n; ++i) pool[i] = i;
    for (size_t i = 0; i < k; ++i) {
      size_t j = static_cast<size_t>(randbelow(n - i));
      result[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::unordered_set<size_t> selected;
    for (size_t i = 0; i < k; ++i) {
      size_t j = static_cast<size_t>(randbelow(n));
      while (selected.count(j)) j = static_cast<size_t>(randbelow(n));
      selected.insert(j);
      result[i] = j;
    }
  }
  return result;
}

size_t PyRandom::choice_index(size_t n) {
  return static_cast<size_t>(std::floor(random() * static_cast<double>(n)));
}

}  // namespace ys::metrics
