// Attention over paged keys/values (f32 or f16), output statistics and MoE routing kernels.
#include "engine/backend/cuda/check.cuh"
#include "engine/backend/cuda/kernels.h"

#include <cuda_fp16.h>

#include <cfloat>

namespace ys::cuda {

namespace {

cudaStream_t st() { return static_cast<cudaStream_t>(stream()); }
constexpr int kMaxHeadDim = 256;
constexpr int kPer = kMaxHeadDim / 32;  // head dims per lane
constexpr int kSplits = 32;             // split-K factor of decode attention

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <typename E>
__device__ __forceinline__ float from_elem(E x);
template <>
__device__ __forceinline__ float from_elem<float>(float x) { return x; }
template <>
__device__ __forceinline__ float from_elem<__half>(__half x) { return __half2float(x); }

// Row j of the cache of row t's sequence (element type E), at the kv head offset.
template <typename E>
struct KvRows {
  const E* k;
  const E* v;
  const int32_t* table;
  int64_t row_dim, kvo;
  int shift;
  __device__ __forceinline__ int64_t at(int64_t j) const {
    return ((int64_t(table[j >> shift]) << shift) + (j & ((int64_t(1) << shift) - 1))) * row_dim + kvo;
  }
};

template <typename E>
__device__ __forceinline__ KvRows<E> kv_rows(const PagedKv& kv, int32_t seq, int64_t kvo) {
  return {static_cast<const E*>(kv.k), static_cast<const E*>(kv.v), kv.tables + int64_t(seq) * kv.table_stride,
          kv.row_dim, kvo, kv.block_shift};
}

// The first cache row the query at `p` sees (AttnMask).
__device__ __forceinline__ int64_t first_key(const AttnMask& mk, int64_t p) {
  if (mk.window > 0) return p - mk.window + 1 > 0 ? p - mk.window + 1 : 0;
  if (mk.chunk > 0) return p - p % mk.chunk;
  return 0;
}

// The online softmax of one warp over cache rows [j0, j1) of one (row, head).
template <typename E>
__device__ __forceinline__ void attend_rows(const KvRows<E>& c, const float* qr, int head_dim, float scale, int64_t j0,
                                            int64_t j1, float& m, float& l, float* acc, float softcap) {
  const int lane = threadIdx.x & 31;
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t o = c.at(j);
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int d = lane + 32 * i;
      if (d < head_dim) s += qr[i] * from_elem<E>(c.k[o + d]);
    }
    s = warp_sum(s) * scale;
    if (softcap > 0.0f) s = float(double(softcap) * tanh(double(s) / double(softcap)));
    const float m_new = fmaxf(m, s);
    const float corr = expf(m - m_new), p = expf(s - m_new);
    l = l * corr + p;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int d = lane + 32 * i;
      if (d < head_dim) acc[i] = acc[i] * corr + p * from_elem<E>(c.v[o + d]);
    }
    m = m_new;
  }
}

// Version 1: one warp per (row t, head h), online softmax over cache rows 0..pos[t].
// Lane L holds dims L, L+32, ... of q and the output accumulator.
template <typename E>
__global__ void attention_k(const float* q, int64_t n_rows, const int32_t* row_seq, const int32_t* pos, PagedKv kv,
                            int n_head, int n_kv_head, int head_dim, float scale, float* out, AttnMask mk) {
  const int64_t wid = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (wid >= n_rows * n_head) return;
  const int64_t t = wid / n_head;
  const int h = int(wid % n_head);
  const KvRows<E> c = kv_rows<E>(kv, row_seq[t], int64_t(h / (n_head / n_kv_head)) * head_dim);
  const float* qh = q + (t * n_head + h) * head_dim;
  float qr[kPer], acc[kPer];
#pragma unroll
  for (int i = 0; i < kPer; ++i) {
    const int d = lane + 32 * i;
    qr[i] = d < head_dim ? qh[d] : 0.0f;
    acc[i] = 0.0f;
  }
  float m = -FLT_MAX, l = 0.0f;
  attend_rows<E>(c, qr, head_dim, scale, first_key(mk, pos[t]), int64_t(pos[t]) + 1, m, l, acc, mk.softcap);
  float* o = out + (t * n_head + h) * head_dim;
  const float inv = 1.0f / l;
#pragma unroll
  for (int i = 0; i < kPer; ++i) {
    const int d = lane + 32 * i;
    if (d < head_dim) o[d] = acc[i] * inv;
  }
}

// Version 2 (decode, split-K): warp (t, h, split) runs the online softmax over its share
// of the cache rows [0, pos[t]], chunk = ceil(n_pos / kSplits), and writes (m, l, acc).
template <typename E>
__global__ void attention_split_k(const float* q, const int32_t* row_seq, const int32_t* pos, PagedKv kv, int n_head,
                                  int n_kv_head, int head_dim, float scale, float* part, AttnMask mk) {
  const int64_t wid = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;  // (t*n_head + h)*S + s
  const int lane = threadIdx.x & 31;
  const int split = int(wid % kSplits);
  const int64_t th = wid / kSplits, t = th / n_head;
  const int h = int(th % n_head);
  const KvRows<E> c = kv_rows<E>(kv, row_seq[t], int64_t(h / (n_head / n_kv_head)) * head_dim);
  const float* qh = q + th * head_dim;
  float qr[kPer], acc[kPer];
#pragma unroll
  for (int i = 0; i < kPer; ++i) {
    const int d = lane + 32 * i;
    qr[i] = d < head_dim ? qh[d] : 0.0f;
    acc[i] = 0.0f;
  }
  const int64_t first = first_key(mk, pos[t]), end = int64_t(pos[t]) + 1;
  const int64_t chunk = (end - first + kSplits - 1) / kSplits;
  const int64_t j0 = first + split * chunk, j1 = min(end, j0 + chunk);
  float m = -FLT_MAX, l = 0.0f;
  attend_rows<E>(c, qr, head_dim, scale, j0, j1, m, l, acc, mk.softcap);
  float* o = part + wid * (head_dim + 2);
  if (lane == 0) o[0] = m, o[1] = l;
#pragma unroll
  for (int i = 0; i < kPer; ++i) {
    const int d = lane + 32 * i;
    if (d < head_dim) o[2 + d] = acc[i];
  }
}

// Combines the kSplits partials of (t, h): one block of head_dim threads.
__global__ void attention_combine_k(const float* part, int head_dim, float* out) {
  const int64_t th = blockIdx.x;
  const float* p = part + th * kSplits * (head_dim + 2);
  float mx = -FLT_MAX;
  for (int s = 0; s < kSplits; ++s) mx = fmaxf(mx, p[s * (head_dim + 2)]);
  float l = 0.0f, a = 0.0f;
  for (int s = 0; s < kSplits; ++s) {
    const float* ps = p + s * (head_dim + 2);
    if (ps[1] == 0.0f) continue;  // an empty split
    const float w = expf(ps[0] - mx);
    l += ps[1] * w;
    a += ps[2 + threadIdx.x] * w;
  }
  out[th * head_dim + threadIdx.x] = a / l;
}

// One block per row: max/argmax (lowest id wins), then sum of exp in double.
__global__ void row_stats_k(const float* logits, int64_t n_vocab, const int32_t* targets, double* logprob,
                            int32_t* argmax, const int32_t* rows) {
  __shared__ float smax[256];
  __shared__ int32_t sidx[256];
  __shared__ double ssum[256];
  const float* r = logits + int64_t(rows ? rows[blockIdx.x] : int32_t(blockIdx.x)) * n_vocab;
  float best = -INFINITY;
  int32_t bi = 0x7fffffff;
  for (int64_t i = threadIdx.x; i < n_vocab; i += blockDim.x)
    if (r[i] > best || bi == 0x7fffffff) best = r[i], bi = int32_t(i);
  smax[threadIdx.x] = best;
  sidx[threadIdx.x] = bi;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (int(threadIdx.x) < s) {
      const float ob = smax[threadIdx.x + s];
      const int32_t oi = sidx[threadIdx.x + s];
      if (ob > smax[threadIdx.x] || (ob == smax[threadIdx.x] && oi < sidx[threadIdx.x]))
        smax[threadIdx.x] = ob, sidx[threadIdx.x] = oi;
    }
    __syncthreads();
  }
  const double mx = double(r[sidx[0]]);
  double sum = 0.0;
  for (int64_t i = threadIdx.x; i < n_vocab; i += blockDim.x) sum += exp(double(r[i]) - mx);
  ssum[threadIdx.x] = sum;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (int(threadIdx.x) < s) ssum[threadIdx.x] += ssum[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    argmax[blockIdx.x] = sidx[0];
    double lp = 0.0;
    if (targets) {
      const int32_t tg = targets[blockIdx.x];
      lp = tg < 0 ? 0.0 : tg < n_vocab ? double(r[tg]) - mx - log(ssum[0]) : -INFINITY;
    }
    logprob[blockIdx.x] = lp;
  }
}

// One thread per token: k rounds of selection (ties to the lower id), softmax over them.
__global__ void moe_topk_k(const float* router, int64_t n_tok, int n_expert, int k, int32_t* sel, float* wsel,
                           int gating) {
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= n_tok) return;
  const float* r = router + t * n_expert;
  int32_t* s = sel + t * k;
  float* w = wsel + t * k;
  for (int j = 0; j < k; ++j) {
    int best = -1;
    for (int e = 0; e < n_expert; ++e) {
      bool taken = false;
      for (int i = 0; i < j; ++i) taken = taken || s[i] == e;
      if (!taken && (best < 0 || r[e] > r[best])) best = e;
    }
    s[j] = best;
    w[j] = r[best];
  }
  if (gating == 2) {  // sigmoid of each selected logit
    for (int j = 0; j < k; ++j) w[j] = 1.0f / (1.0f + expf(-w[j]));
    return;
  }
  if (gating == 1) {  // softmax over all experts (in double, as cpu::softmax), selected kept as they are
    float am = r[0];
    for (int e = 1; e < n_expert; ++e) am = fmaxf(am, r[e]);
    double z = 0.0;
    for (int e = 0; e < n_expert; ++e) z += expf(r[e] - am);
    const float inv = float(1.0 / z);
    for (int j = 0; j < k; ++j) w[j] = expf(w[j] - am) * inv;
    return;
  }
  float mx = w[0];
  for (int j = 1; j < k; ++j) mx = fmaxf(mx, w[j]);
  double sum = 0.0;
  for (int j = 0; j < k; ++j) {
    w[j] = expf(w[j] - mx);
    sum += w[j];
  }
  const float inv = float(1.0 / sum);
  for (int j = 0; j < k; ++j) w[j] *= inv;
}

__global__ void moe_combine_k(const float* src, const float* wsel, int64_t n_tok, int k, int64_t dim, float* out) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_tok * dim) return;
  const int64_t t = i / dim, c = i % dim;
  float o = 0.0f;
  for (int j = 0; j < k; ++j) o += (wsel ? wsel[t * k + j] : 1.0f) * src[(t * k + j) * dim + c];
  out[i] = o;
}

__global__ void moe_scale_inputs_k(const float* x, const float* wsel, int64_t n_tok, int k, int64_t dim, float* y) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_tok * k * dim) return;
  const int64_t b = i / dim;
  y[i] = wsel[b] * x[(b / k) * dim + i % dim];
}

}  // namespace

int64_t attention_scratch_floats(int64_t n_rows, int n_head, int head_dim) {
  return n_rows * n_head * kSplits * (head_dim + 2);
}

void attention(const float* q, int64_t n_rows, const int32_t* row_seq, const int32_t* pos, const PagedKv& kv,
               int n_head, int n_kv_head, int head_dim, float scale, float* out, float* scratch, const AttnMask& mask) {
  if (head_dim > kMaxHeadDim)
    raise(Err::unsupported, "CUDA attention: head dim " + std::to_string(head_dim) + " > 256");
  const int64_t warps = n_rows * n_head;
  if (warps <= 0) return;
  if (scratch && n_rows <= kAttentionSplitMaxTokens) {
    const int64_t sw = warps * kSplits;
    const unsigned blocks = unsigned((sw + 3) / 4);
    if (kv.f16)
      attention_split_k<__half><<<blocks, 128, 0, st()>>>(q, row_seq, pos, kv, n_head, n_kv_head, head_dim, scale, scratch,
                                                          mask);
    else
      attention_split_k<float><<<blocks, 128, 0, st()>>>(q, row_seq, pos, kv, n_head, n_kv_head, head_dim, scale, scratch,
                                                         mask);
    check_launch("attention_split");
    attention_combine_k<<<unsigned(warps), unsigned(head_dim), 0, st()>>>(scratch, head_dim, out);
    check_launch("attention_combine");
    return;
  }
  const unsigned blocks = unsigned((warps + 3) / 4);
  if (kv.f16)
    attention_k<__half><<<blocks, 128, 0, st()>>>(q, n_rows, row_seq, pos, kv, n_head, n_kv_head, head_dim, scale, out,
                                                    mask);
  else
    attention_k<float><<<blocks, 128, 0, st()>>>(q, n_rows, row_seq, pos, kv, n_head, n_kv_head, head_dim, scale, out,
                                                   mask);
  check_launch("attention");
}

void row_stats(const float* logits, int64_t n_rows, int64_t n_vocab, const int32_t* targets, double* logprob,
               int32_t* argmax, const int32_t* rows) {
  if (n_rows <= 0) return;
  row_stats_k<<<unsigned(n_rows), 256, 0, st()>>>(logits, n_vocab, targets, logprob, argmax, rows);
  check_launch("row_stats");
}

void moe_topk(const float* router, int64_t n_tok, int n_expert, int k, int32_t* sel, float* wsel, int gating) {
  if (n_tok <= 0) return;
  moe_topk_k<<<unsigned((n_tok + 63) / 64), 64, 0, st()>>>(router, n_tok, n_expert, k, sel, wsel, gating);
  check_launch("moe_topk");
}

void moe_combine(const float* src, const float* wsel, int64_t n_tok, int k, int64_t dim, float* out) {
  const int64_t n = n_tok * dim;
  if (n <= 0) return;
  moe_combine_k<<<unsigned((n + 255) / 256), 256, 0, st()>>>(src, wsel, n_tok, k, dim, out);
  check_launch("moe_combine");
}

void moe_scale_inputs(const float* x, const float* wsel, int64_t n_tok, int k, int64_t dim, float* y) {
  const int64_t n = n_tok * k * dim;
  if (n <= 0) return;
  moe_scale_inputs_k<<<unsigned((n + 255) / 256), 256, 0, st()>>>(x, wsel, n_tok, k, dim, y);
  check_launch("moe_scale_inputs");
}

}  // namespace ys::cuda
