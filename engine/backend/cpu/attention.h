// Internal: the per-ISA attention kernels behind ops.h's attention / attention_batch
// (tests use attention_batch_isa to compare variants).
//
// The canonical routine for one query row q of one head against its n keys/values
// (cache rows k0..k0+n-1 of its kv head; k0 = 0 but for sliding-window and chunked
// attention, ops.h AttnOptions), which every variant reproduces bit for bit
// (fma(a, b, c) = a*b + c rounded once; head_dim padded with zeros to C chunks of 16):
//  1. scores: for each key j, 16 lane accumulators acc[l] = fma(q[16c+l], k_j[16c+l], acc[l])
//     over chunks c = 0..C-1 in order (padded lanes use q = k = 0), from +0;
//     s_j = reduce16(acc) * scale, scale = float(1/sqrt(head_dim)) unless AttnOptions sets it
//     (reduce16: kernels.h); with a soft cap, s_j = attn_softcap(s_j, cap).
//  2. m = max_j s_j.
//  3. e_j = attn_exp(s_j - m) (below: the same float operations in every variant).
//  4. sum: 16 double lanes d[j % 16] += double(e_j) in key order, from +0; sum = the
//     reduce16 tree (w = 8, 4, 2, 1) on d in double; inv = float(1.0 / sum).
//  5. p_j = e_j * inv; out[i] = fma(p_j, v_j[i], out[i]) over keys j = 0..n-1 in order, from +0.
// Nothing depends on which other rows, heads or sequences a call holds, nor on the thread
// that runs it, so the bits are those of this routine whatever the batch, split or ISA.
//
// Work units are one query row x the query heads of one kv head, handed out dynamically,
// most expensive (latest) rows first. In a unit the SIMD variants (attention_simd.h) load
// each key and value chunk once for all its heads, keep the query in registers and do
// the horizontal sums of 16 keys together.
// Accuracy: max |err| 2.9e-7 against fp64 attention with |v| <= 1 (tests/quant/attention_test.cpp).
#pragma once

#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/ops.h"

#include <cstdint>

namespace ys::cpu {

// One work unit: heads [h0, h0 + n_heads) of one query row, all sharing one kv head.
// Cache row j of the kv head: k[j >> block_shift] + (j & mask) * kv_stride + kv_off
// elements (a paged cache; a contiguous one is one block with a large shift). Rows
// j..j+15 with j a multiple of 16 lie in one block (blocks hold a multiple of 16 rows);
// no variant relies on it, since a unit's keys may start at any row k0.
// Elements are floats, or IEEE halves for an f16 cache (the routine then runs on their
// exact f32 values, so an f16 cache changes the inputs, never the arithmetic).
struct AttnUnit {
  const float* q;           // query of head h0; head h0+g at q + g*head_dim
  const void* const* k;     // block pointers of the keys (row 0 of each block)
  const void* const* v;     // likewise for values
  float* out;               // output of head h0 (same layout as q)
  int64_t n_pos;            // its keys j = 0..n_pos-1 (>= 1) are cache rows k0 + j
  int64_t kv_stride;        // elements between cache rows of a block
  int64_t kv_off;           // elements from a row's start to the kv head
  int block_shift;
  int head_dim;
  int n_heads;
  float scale;
  int64_t k0 = 0;           // first cache row (sliding window / chunked attention)
  float softcap = 0.0f;     // > 0: s_j = attn_softcap(s_j, softcap) after step 1
};

// Key / value j of a unit, cache row k0 + j (E: float, or uint16_t for halves).
template <class E>
inline const E* attn_k(const AttnUnit& u, int64_t j) {
  j += u.k0;
  return static_cast<const E*>(u.k[j >> u.block_shift]) + (j & ((int64_t(1) << u.block_shift) - 1)) * u.kv_stride +
         u.kv_off;
}
template <class E>
inline const E* attn_v(const AttnUnit& u, int64_t j) {
  j += u.k0;
  return static_cast<const E*>(u.v[j >> u.block_shift]) + (j & ((int64_t(1) << u.block_shift) - 1)) * u.kv_stride +
         u.kv_off;
}

// Soft-capped score: float(cap * tanh(double(s) / cap)) (every variant calls this one).
float attn_softcap(float s, float cap);
// Applies attn_softcap to the n scores of each of the unit's heads (rows of stride np).
void attn_softcap_scores(const AttnUnit& u, float* sc, int64_t np);

using AttnUnitFn = void (*)(const AttnUnit& u);

void attend_unit_scalar(const AttnUnit& u);
void attend_unit_avx2(const AttnUnit& u);    // needs AVX2 + FMA
void attend_unit_avx512(const AttnUnit& u);  // needs AVX-512F
// The same over an f16 cache.
void attend_unit_scalar_h(const AttnUnit& u);
void attend_unit_avx2_h(const AttnUnit& u);    // needs AVX2 + FMA + F16C
void attend_unit_avx512_h(const AttnUnit& u);

// attention_batch (ops.h) with an explicit variant; a variant the CPU lacks is an error.
void attention_batch_isa(Isa isa, const float* q, const AttnSeq* seqs, int64_t n_seq, int n_head, int n_kv_head,
                         int head_dim, float* out, ThreadPool& pool, const AttnOptions& opt = {});

// Step 3's exponential for x <= 0 (the inputs s_j - m): 0 below -87 (and for NaN), else
// 2^n * P(r) with n = nearbyint(x * log2(e)), r = x - n*ln2 (two fmas, Cody-Waite split)
// and P the degree-7 Taylor polynomial by Horner fmas. Relative error < 2e-7.
namespace attn_exp_const {
constexpr float kMin = -87.0f;
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kC[8] = {1.0f,         1.0f,          1.0f / 2.0f,   1.0f / 6.0f,
                         1.0f / 24.0f, 1.0f / 120.0f, 1.0f / 720.0f, 1.0f / 5040.0f};
}  // namespace attn_exp_const

float attn_exp(float x);

// fma(a, b, c) rounded once, as the FMA instruction does, for the scalar variant (compiled
// for baseline x86-64 without FMA): twice as fast as std::fma there.
float attn_fma(float a, float b, float c);

// This thread's scratch of at least n floats (kept between calls; SIMD units use it so
// that their TUs instantiate no std:: containers).
float* attn_scratch(int64_t n);

}  // namespace ys::cpu
