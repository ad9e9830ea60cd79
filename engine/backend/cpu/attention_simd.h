// The canonical attention routine (attention.h) written once over a 16-lane vector type,
// instantiated by attention_avx2.cpp and attention_avx512.cpp with their own traits `T`:
//   V (16 floats), M (lane mask), kKeys (keys per score block, divides 16), kQkRegs
//   (query chunks kept in registers), kPvChunks, kPvHeads (step-5 tile), zero, set1, load, loadz (masked
//   lanes read as 0 and are not touched in memory), store, storem, fma(a, b, c) = a*b + c,
//   mul, sub, max, select(m, a, b), mask(n) (first n lanes), hmax, exp (attn_exp per
//   lane), scores(acc[kKeys], scale, out) (reduce16 of each accumulator times scale),
//   DSum (16 double lanes: add(V), reduce()), load_h (16 IEEE halves widened exactly).
// Include only from those TUs: everything here is a template over their own T (so no
// inline function is shared between TUs compiled with different instruction sets).
#pragma once

#include "engine/backend/cpu/attention.h"

#include <cmath>
#include <cstdint>

namespace ys::cpu::attn_simd {

// Keys and values stream from memory once the cache outgrows L3 (decode at long context):
// rows are prefetched this many keys ahead, every cache line of the head's n floats.
constexpr int64_t kPrefetchKeys = 48;
template <class E>
inline void prefetch_row(const E* p, int n) {
  for (int i = 0; i < n; i += int(64 / sizeof(E))) __builtin_prefetch(p + i, 0, 3);
}

// Loads of cache elements (floats or halves); ldz: only the first n lanes (n <= 16) are
// read, the others are 0.
template <class T>
typename T::V ld(const float* p) {
  return T::load(p);
}
template <class T>
typename T::V ld(const uint16_t* p) {
  return T::load_h(p);
}
template <class T>
typename T::V ldz(const float* p, typename T::M m, int) {
  return T::loadz(p, m);
}
template <class T>
typename T::V ldz(const uint16_t* p, typename T::M, int n) {
  uint16_t tmp[16] = {};
  for (int i = 0; i < n; ++i) tmp[i] = p[i];
  return T::load_h(tmp);
}

// Step 1 for all keys and heads of the unit: sc[g*np + j] = s_j of head g (any head_dim;
// the fallback of qk_pass for the head_dims it does not unroll).
template <class T, class E>
void scores_pass(const AttnUnit& u, float* sc, int64_t np) {
  using V = typename T::V;
  constexpr int KB = T::kKeys;
  const int hd = u.head_dim;
  const int full = hd / 16, rem = hd % 16;
  const typename T::M tail = T::mask(rem);
  const int64_t n = u.n_pos;
  for (int64_t j0 = 0; j0 < n; j0 += KB) {
    const E* kr[KB];
    for (int kk = 0; kk < KB; ++kk) kr[kk] = attn_k<E>(u, j0 + kk < n ? j0 + kk : n - 1);
    for (int g = 0; g < u.n_heads; ++g) {
      const float* q = u.q + int64_t(g) * hd;
      V acc[KB];
      for (int kk = 0; kk < KB; ++kk) acc[kk] = T::zero();
      for (int c = 0; c < full; ++c) {
        const V qc = T::load(q + 16 * c);
        for (int kk = 0; kk < KB; ++kk) acc[kk] = T::fma(qc, ld<T>(kr[kk] + 16 * c), acc[kk]);
      }
      if (rem) {
        const V qc = T::loadz(q + 16 * full, tail);
        for (int kk = 0; kk < KB; ++kk) acc[kk] = T::fma(qc, ldz<T>(kr[kk] + 16 * full, tail, rem), acc[kk]);
      }
      T::scores(acc, u.scale, sc + int64_t(g) * np + j0);
    }
  }
}

// Steps 2-4 and p_j (step 5) in place on one head's scores s[0..n).
template <class T>
void softmax_row(float* s, int64_t n) {
  using V = typename T::V;
  const int64_t nb = n / 16;
  const int rem = int(n % 16);
  const typename T::M tail = T::mask(rem);
  const V ninf = T::set1(-INFINITY);
  V mx = ninf;
  for (int64_t b = 0; b < nb; ++b) mx = T::max(mx, T::load(s + 16 * b));
  if (rem) mx = T::max(mx, T::select(tail, T::load(s + 16 * nb), ninf));
  const V m = T::set1(T::hmax(mx));
  typename T::DSum ds;
  for (int64_t b = 0; b < nb; ++b) {
    const V e = T::exp(T::sub(T::load(s + 16 * b), m));
    T::store(s + 16 * b, e);
    ds.add(e);
  }
  if (rem) {
    const V e = T::select(tail, T::exp(T::sub(T::load(s + 16 * nb), m)), T::zero());
    T::store(s + 16 * nb, e);
    ds.add(e);
  }
  const V inv = T::set1(float(1.0 / ds.reduce()));
  for (int64_t b = 0; b < nb + (rem ? 1 : 0); ++b) T::store(s + 16 * b, T::mul(T::load(s + 16 * b), inv));
}

// Step 1 for heads [g0, g0+GH) with head_dim padded to NC chunks: the query chunks stay in
// registers and each key's chunks are loaded once for all GH heads; the accumulators of 16
// keys are then reduced together.
template <class T, class E, int NC, int GH>
void qk_heads(const AttnUnit& u, int g0, float* sc, int64_t np) {
  using V = typename T::V;
  constexpr int KB = T::kKeys;
  const int hd = u.head_dim;
  const typename T::M tail = T::mask(hd - 16 * (NC - 1));
  V qv[GH][NC];
  for (int g = 0; g < GH; ++g) {
    const float* q = u.q + int64_t(g0 + g) * hd;
    for (int c = 0; c < NC - 1; ++c) qv[g][c] = T::load(q + 16 * c);
    qv[g][NC - 1] = T::loadz(q + 16 * (NC - 1), tail);
  }
  V accs[GH][16];
  for (int g = 0; g < GH; ++g)
    for (int kk = 0; kk < 16; ++kk) accs[g][kk] = T::zero();
  const int64_t n = u.n_pos;
  for (int64_t j0 = 0; j0 < n; j0 += 16) {
    const int kn = n - j0 < 16 ? int(n - j0) : 16;
    if (j0 + 16 + kPrefetchKeys <= n)
      for (int kk = 0; kk < 16; ++kk) prefetch_row(attn_k<E>(u, j0 + kPrefetchKeys + kk), hd);
    for (int kk = 0; kk < kn; ++kk) {
      const E* p = attn_k<E>(u, j0 + kk);
      V acc[GH];
      for (int g = 0; g < GH; ++g) acc[g] = T::zero();
      for (int c = 0; c < NC; ++c) {
        const V kv = c == NC - 1 ? ldz<T>(p + 16 * c, tail, hd - 16 * (NC - 1)) : ld<T>(p + 16 * c);
        for (int g = 0; g < GH; ++g) acc[g] = T::fma(qv[g][c], kv, acc[g]);
      }
      for (int g = 0; g < GH; ++g) accs[g][kk] = acc[g];
    }
    // Lanes of keys >= n hold stale sums: their scores land past n and are never used.
    for (int g = 0; g < GH; ++g)
      for (int i = 0; i < 16; i += KB) T::scores(&accs[g][i], u.scale, sc + int64_t(g0 + g) * np + j0 + i);
  }
}

// Heads g.. of the unit in groups of at most GH.
template <class T, class E, int NC, int GH>
void qk_groups(const AttnUnit& u, int g, float* sc, int64_t np) {
  if constexpr (GH > 1) {
    for (; u.n_heads - g >= GH; g += GH) qk_heads<T, E, NC, GH>(u, g, sc, np);
    if (g < u.n_heads) qk_groups<T, E, NC, GH - 1>(u, g, sc, np);
  } else {
    for (; g < u.n_heads; ++g) qk_heads<T, E, NC, 1>(u, g, sc, np);
  }
}

template <class T, class E, int NC>
void qk_nc(const AttnUnit& u, float* sc, int64_t np) {
  constexpr int kHeads = T::kQkRegs / NC < 1 ? 1 : T::kQkRegs / NC > 4 ? 4 : T::kQkRegs / NC;
  qk_groups<T, E, NC, kHeads>(u, 0, sc, np);
}

// Step 1 for the whole unit.
template <class T, class E>
void qk_pass(const AttnUnit& u, float* sc, int64_t np) {
  switch ((u.head_dim + 15) / 16) {
    case 1: return qk_nc<T, E, 1>(u, sc, np);
    case 2: return qk_nc<T, E, 2>(u, sc, np);
    case 3: return qk_nc<T, E, 3>(u, sc, np);
    case 4: return qk_nc<T, E, 4>(u, sc, np);
    case 5: return qk_nc<T, E, 5>(u, sc, np);
    case 6: return qk_nc<T, E, 6>(u, sc, np);
    case 7: return qk_nc<T, E, 7>(u, sc, np);
    case 8: return qk_nc<T, E, 8>(u, sc, np);
    case 16: return qk_nc<T, E, 16>(u, sc, np);  // head_dim 256
    default: return scores_pass<T, E>(u, sc, np);
  }
}

// Step 5 for heads [g0, g0+GH) and columns [col0, col0 + 16*CW): each value chunk is
// loaded once for all GH heads. PARTIAL: the tile reaches past head_dim (masked loads,
// and chunks wholly past it are computed on zeros and not stored).
template <class T, class E, int GH, bool PARTIAL>
void pv_tile(const AttnUnit& u, int g0, int col0, const float* sc, int64_t np) {
  using V = typename T::V;
  constexpr int CW = T::kPvChunks;
  const int hd = u.head_dim;
  typename T::M mk[CW];
  int nk[CW];
  for (int c = 0; c < CW; ++c) {
    const int left = hd - col0 - 16 * c;
    nk[c] = left < 0 ? 0 : left > 16 ? 16 : left;
    mk[c] = T::mask(nk[c]);
  }
  const float* pp[GH];
  for (int g = 0; g < GH; ++g) pp[g] = sc + int64_t(g0 + g) * np;
  V acc[GH][CW];
  for (int g = 0; g < GH; ++g)
    for (int c = 0; c < CW; ++c) acc[g][c] = T::zero();
  const int64_t n = u.n_pos;
  for (int64_t j = 0; j < n; ++j) {
    const E* vr = attn_v<E>(u, j) + col0;
    if (j + kPrefetchKeys < n) prefetch_row(attn_v<E>(u, j + kPrefetchKeys) + col0, 16 * CW < hd - col0 ? 16 * CW : hd - col0);
    V vv[CW];
    for (int c = 0; c < CW; ++c) vv[c] = PARTIAL ? ldz<T>(vr + 16 * c, mk[c], nk[c]) : ld<T>(vr + 16 * c);
    for (int g = 0; g < GH; ++g) {
      const V pb = T::set1(pp[g][j]);
      for (int c = 0; c < CW; ++c) acc[g][c] = T::fma(pb, vv[c], acc[g][c]);
    }
  }
  for (int g = 0; g < GH; ++g) {
    float* o = u.out + int64_t(g0 + g) * hd + col0;
    for (int c = 0; c < CW; ++c) {
      if (!PARTIAL)
        T::store(o + 16 * c, acc[g][c]);
      else if (col0 + 16 * c < hd)
        T::storem(o + 16 * c, mk[c], acc[g][c]);
    }
  }
}

template <class T, class E, int GH>
void pv_heads(const AttnUnit& u, int g0, const float* sc, int64_t np) {
  constexpr int W = 16 * T::kPvChunks;
  int col0 = 0;
  for (; col0 + W <= u.head_dim; col0 += W) pv_tile<T, E, GH, false>(u, g0, col0, sc, np);
  if (col0 < u.head_dim) pv_tile<T, E, GH, true>(u, g0, col0, sc, np);
}

template <class T, class E, int GH>
void pv_groups(const AttnUnit& u, int g, const float* sc, int64_t np) {
  if constexpr (GH > 1) {
    for (; u.n_heads - g >= GH; g += GH) pv_heads<T, E, GH>(u, g, sc, np);
    if (g < u.n_heads) pv_groups<T, E, GH - 1>(u, g, sc, np);
  } else {
    for (; g < u.n_heads; ++g) pv_heads<T, E, 1>(u, g, sc, np);
  }
}

// E: float, or uint16_t (IEEE halves) for an f16 cache.
template <class T, class E>
void attend_unit(const AttnUnit& u) {
  const int64_t np = (u.n_pos + 15) / 16 * 16;
  float* sc = attn_scratch(np * u.n_heads);
  qk_pass<T, E>(u, sc, np);
  if (u.softcap > 0.0f) attn_softcap_scores(u, sc, np);
  for (int g = 0; g < u.n_heads; ++g) softmax_row<T>(sc + int64_t(g) * np, u.n_pos);
  pv_groups<T, E, T::kPvHeads>(u, 0, sc, np);
}

}  // namespace ys::cpu::attn_simd
