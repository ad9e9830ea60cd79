// Hand-written blocks with known fields -> exact dequantized values; f16/bf16 edge cases.
#include "engine/quant/blocks.h"
#include "engine/quant/quant.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace ys::quant;

TEST_CASE("f16 conversion edge cases") {
  CHECK(f16_to_f32(0x3C00) == 1.0f);
  CHECK(f16_to_f32(0xC000) == -2.0f);
  CHECK(f16_to_f32(0x7BFF) == 65504.0f);
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(f16_to_f32(0x03FF) == std::ldexp(1023.0f, -24));
  CHECK(std::isinf(f16_to_f32(0x7C00)));
  CHECK(std::isnan(f16_to_f32(0x7E01)));
  CHECK(std::signbit(f16_to_f32(0x8000)));
  CHECK(f32_to_f16(1.0f) == 0x3C00);
  CHECK(f32_to_f16(65504.0f) == 0x7BFF);
  CHECK(f32_to_f16(65520.0f) == 0x7C00);            // rounds up to inf
  CHECK(f32_to_f16(1e9f) == 0x7C00);
  CHECK(f32_to_f16(-0.0f) == 0x8000);
  CHECK(f32_to_f16(std::ldexp(1.0f, -24)) == 0x0001);
  CHECK(f32_to_f16(std::ldexp(1.0f, -25)) == 0x0000);  // tie -> even (0)
  CHECK(f32_to_f16(std::ldexp(3.0f, -25)) == 0x0002);  // 1.5 ulp -> tie -> even (2)
  CHECK(f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);  // tie -> even
  CHECK(f32_to_f16(1.0f + std::ldexp(3.0f, -11)) == 0x3C02);  // tie -> even (up)
  CHECK(f32_to_f16(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26)) == 0x0400);  // subnormal rounds to min normal
  const uint16_t nan = f32_to_f16(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7C00) == 0x7C00);
  CHECK((nan & 0x03FF) != 0);
  // every half survives a round trip through f32
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t hh = static_cast<uint16_t>(h);
    if ((hh & 0x7C00) == 0x7C00 && (hh & 0x3FF) != 0) continue;
    REQUIRE(f32_to_f16(f16_to_f32(hh)) == hh);
  }
}

TEST_CASE("bf16 conversion edge cases") {
  CHECK(bf16_to_f32(0x3F80) == 1.0f);
  CHECK(f32_to_bf16(1.0f) == 0x3F80);
  CHECK(f32_to_bf16(bits_to_f32(0x3F808000)) == 0x3F80);  // tie -> even
  CHECK(f32_to_bf16(bits_to_f32(0x3F818000)) == 0x3F82);  // tie -> even (up)
  CHECK(f32_to_bf16(bits_to_f32(0x3F808001)) == 0x3F81);
  CHECK(f32_to_bf16(bits_to_f32(0x7F7FFFFF)) == 0x7F80);  // max float rounds to inf
  const uint16_t nan = f32_to_bf16(bits_to_f32(0x7F800001));  // payload only in low bits
  CHECK(std::isnan(bf16_to_f32(nan)));
  CHECK(f32_to_bf16(-0.0f) == 0x8000);
}

TEST_CASE("q4_0 q4_1 q8_0 hand-made blocks") {
  block_q4_0 a{};
  a.d = f32_to_f16(0.5f);
  for (int j = 0; j < 16; ++j) a.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  dequantize_row(Type::q4_0, &a, y, 32);
  for (int j = 0; j < 16; ++j) {
    CHECK(y[j] == 0.5f * static_cast<float>(j - 8));
    CHECK(y[j + 16] == 0.5f * static_cast<float>(7 - j));
  }
  block_q4_1 b{};
  b.d = f32_to_f16(0.25f);
  b.m = f32_to_f16(-1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(3 | (j << 4));
  dequantize_row(Type::q4_1, &b, y, 32);
  for (int j = 0; j < 16; ++j) {
    CHECK(y[j] == -0.25f);
    CHECK(y[j + 16] == 0.25f * static_cast<float>(j) - 1.0f);
  }
  block_q8_0 c{};
  c.d = f32_to_f16(2.0f);
  for (int j = 0; j < 32; ++j) c.qs[j] = static_cast<int8_t>(j * 8 - 128);
  dequantize_row(Type::q8_0, &c, y, 32);
  for (int j = 0; j < 32; ++j) CHECK(y[j] == 2.0f * static_cast<float>(j * 8 - 128));
}

TEST_CASE("q5_0 and q5_1 hand-made blocks") {
  // Element j: low nibble qs[j] (j < 16) or high nibble qs[j-16], bit 4 = bit j of qh
  // (little-endian). Values chosen so that every element has a different five-bit code.
  int code[32];
  for (int j = 0; j < 32; ++j) code[j] = (j * 7 + 3) % 32;
  uint8_t qs[16] = {}, qh[4] = {};
  for (int j = 0; j < 32; ++j) {
    const int nib = code[j] & 0xF;
    if (j < 16) qs[j] = static_cast<uint8_t>(qs[j] | nib);
    else qs[j - 16] = static_cast<uint8_t>(qs[j - 16] | nib << 4);
    if (code[j] & 0x10) qh[j / 8] = static_cast<uint8_t>(qh[j / 8] | 1 << (j % 8));
  }
  block_q5_0 a{};
  a.d = f32_to_f16(0.5f);
  std::memcpy(a.qs, qs, 16);
  std::memcpy(a.qh, qh, 4);
  float y[32];
  dequantize_row(Type::q5_0, &a, y, 32);
  for (int j = 0; j < 32; ++j) CHECK(y[j] == 0.5f * static_cast<float>(code[j] - 16));
  block_q5_1 b{};
  b.d = f32_to_f16(0.25f);
  b.m = f32_to_f16(-3.0f);
  std::memcpy(b.qs, qs, 16);
  std::memcpy(b.qh, qh, 4);
  dequantize_row(Type::q5_1, &b, y, 32);
  for (int j = 0; j < 32; ++j) CHECK(y[j] == 0.25f * static_cast<float>(code[j]) - 3.0f);
  // Quantizing the dequantized values gives them back (they are on the grid).
  for (Type t : {Type::q5_0, Type::q5_1}) {
    float x[32], back[32];
    dequantize_row(t, t == Type::q5_0 ? static_cast<const void*>(&a) : static_cast<const void*>(&b), x, 32);
    uint8_t q[24];
    quantize_row(t, x, q, 32);
    dequantize_row(t, q, back, 32);
    for (int j = 0; j < 32; ++j) CHECK(back[j] == x[j]);
  }
}

TEST_CASE("q4_k and q5_k hand-made super-blocks") {
  block_q4_k b{};
  b.d = f32_to_f16(0.5f);
  b.dmin = f32_to_f16(0.25f);
  // sub-block j: scale j+1 (6 bits), min 2j+1; packed like ggml's get_scale_min_k4
  const uint8_t sc[8] = {1, 2, 3, 4, 37, 50, 63, 17}, mn[8] = {1, 3, 5, 7, 33, 41, 62, 20};
  for (int j = 0; j < 4; ++j) {
    b.scales[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    b.scales[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    b.scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
  for (int i = 0; i < 128; ++i) b.qs[i] = static_cast<uint8_t>((i % 16) | (((i + 5) % 16) << 4));
  for (int j = 0; j < 8; ++j) {
    uint8_t s, m;
    k_scale_min(j, b.scales, s, m);
    CHECK(s == sc[j]);
    CHECK(m == mn[j]);
  }
  std::vector<float> y(256);
  dequantize_row(Type::q4_k, &b, y.data(), 256);
  for (int e = 0; e < 256; ++e) {
    const int j = e / 32, l = e % 32, byte = (e / 64) * 32 + l;
    const int q = (j % 2 == 0) ? byte % 16 : (byte + 5) % 16;
    CHECK(y[e] == 0.5f * sc[j] * q - 0.25f * mn[j]);
  }
  block_q5_k c{};
  c.d = b.d;
  c.dmin = b.dmin;
  std::memcpy(c.scales, b.scales, 12);
  std::memcpy(c.qs, b.qs, 128);
  for (int l = 0; l < 32; ++l) c.qh[l] = static_cast<uint8_t>(l * 7 + 3);
  dequantize_row(Type::q5_k, &c, y.data(), 256);
  for (int e = 0; e < 256; ++e) {
    const int j = e / 32, l = e % 32, byte = (e / 64) * 32 + l;
    const int q = ((j % 2 == 0) ? byte % 16 : (byte + 5) % 16) + 16 * ((c.qh[l] >> j) & 1);
    CHECK(y[e] == 0.5f * sc[j] * q - 0.25f * mn[j]);
  }
}

TEST_CASE("q6_k hand-made super-block") {
  block_q6_k b{};
  b.d = f32_to_f16(0.125f);
  for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<int8_t>(s * 9 - 70);
  // element 0: ql[0] low nibble, qh[0] bits 0-1; element 32: ql[32] low, qh[0] bits 2-3;
  // element 64: ql[0] high nibble, qh[0] bits 4-5; element 96: ql[32] high, qh[0] bits 6-7.
  b.ql[0] = 0xA5;     // elem 0 low=5, elem 64 low=10
  b.ql[32] = 0x3C;    // elem 32 low=12, elem 96 low=3
  b.qh[0] = 0xE4;     // bits: e0=0, e32=1, e64=2, e96=3
  b.ql[64 + 1] = 0x0F;  // element 129 (second half, l=1): low 15
  b.qh[32 + 1] = 0x03;  // element 129 high 3 -> q=63
  std::vector<float> y(256);
  dequantize_row(Type::q6_k, &b, y.data(), 256);
  auto expect = [&](int e, int q) { CHECK(y[e] == 0.125f * b.scales[e / 16] * static_cast<float>(q - 32)); };
  expect(0, 5);
  expect(32, 12 | 16);
  expect(64, 10 | 32);
  expect(96, 3 | 48);
  expect(129, 63);
  expect(1, 0);
  expect(200, 0);
}

TEST_CASE("rows that are not a whole number of blocks are rejected") {
  std::vector<uint8_t> buf(1024);
  std::vector<float> y(64);
  CHECK_THROWS(dequantize_row(Type::q4_0, buf.data(), y.data(), 33));
  CHECK_THROWS(quantize_row(Type::q4_k, y.data(), buf.data(), 64));
  CHECK_THROWS(dequantize_row(Type::q2_k, buf.data(), y.data(), 256));
  CHECK_FALSE(can_quantize(Type::iq2_xs));
}
