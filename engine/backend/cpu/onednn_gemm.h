// oneDNN (Intel's vendor library, Debian's libdnnl 2.6) as a second implementation of the
// matrix product of matmul.h: the reference the kernel benchmarks compare the engine with
// (suites/kernels/onednn_bench.cpp) and the opt-in engine path `--cpu-gemm onednn`.
//
// Y[t*rows + r] = sum_k W[r,k] * X[t*cols + k], as matmul.h. The weights are converted once:
// dequantized to f32 (quant::dequantize_row's values), then to the product's type, and
// reordered into the blocked layout oneDNN asks for. Types:
//  * f32:  f32 x f32, f32 accumulation (oneDNN's order).
//  * bf16: W and X rounded to bfloat16 (round to nearest even, relative error <= 2^-9 each),
//          products accumulated in f32 (AMX or AVX512-BF16 where the CPU has them).
//  * s8:   W symmetric int8 per row (scale amax_r/127), X symmetric int8 per token (scale
//          amax_t/127), exact int32 dot products, y = float(acc) * (sx_t * sw_r).
//
// Two ways to run it:
//  * OnednnProduct: the vendor's way, one primitive for exactly n_tok tokens, threaded by
//    oneDNN's own OpenMP threads. oneDNN picks kernels and their blocking of k from the
//    problem size and the thread count, so a token's bits differ between n_tok = 1 and
//    n_tok = 128 (measured on this Xeon: bf16 576x1536 differs from M = 100 on; f32 at
//    M >= 255 with 4 threads).
//  * OnednnMatrix: batch-invariant. Every product runs through the same single-threaded
//    primitives over fixed tiles, kChunk tokens (the last chunk zero-padded) x kBlock rows
//    of W; the engine's thread pool runs the tiles. A tile's result is a function of its
//    inputs alone, so a token's bits do not depend on the thread count; that they do not
//    depend on the token's position in its chunk nor on the other tokens there is a
//    property of oneDNN's kernels that oneDNN does not document, so it is tested
//    (tests/quant/onednn_gemm_test.cpp), not assumed.
//
// The engine hook: an OnednnGemm made from a model's weight views registers them while it
// lives; matmul() and matmul_shared() (matmul.cpp) hand a registered matrix to it.
#pragma once

#include "engine/backend/cpu/cpu_gemm.h"
#include "engine/backend/cpu/matmul.h"
#include "engine/backend/cpu/thread_pool.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ys::cpu {

const char* onednn_type_name(OnednnType t);

// "2.6.3" and the ISA oneDNN dispatches to here ("avx512_core_amx", ...).
std::string onednn_version();
std::string onednn_isa();
// True when the CPU has instructions for the type (bf16: AVX512-BF16 or AMX-BF16; s8:
// AVX512-VNNI, AVX-VNNI or AMX-INT8); oneDNN emulates the rest slowly, or not at all.
bool onednn_native(OnednnType t);

struct OnednnWeights;  // converted weights (onednn_gemm.cpp)

// One product at a fixed n_tok, made and threaded as oneDNN intends (see above).
class OnednnProduct {
 public:
  OnednnProduct(const WeightView& w, OnednnType t, int64_t n_tok, int threads);
  ~OnednnProduct();
  OnednnProduct(const OnednnProduct&) = delete;
  OnednnProduct& operator=(const OnednnProduct&) = delete;
  // x: n_tok * cols floats, y: n_tok * rows floats.
  void run(const float* x, float* y);
  std::string impl() const;  // oneDNN's implementation name, e.g. "brg:avx512_core_amx_bf16"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The batch-invariant product (see above).
class OnednnMatrix {
 public:
  static constexpr int64_t kChunk = 32;   // tokens per tile
  static constexpr int64_t kBlock = 256;  // rows of W per tile (the last block may be narrower)
  // pool: converts the blocks in parallel (null: on the calling thread).
  OnednnMatrix(const WeightView& w, OnednnType t, ThreadPool* pool = nullptr);
  ~OnednnMatrix();
  OnednnMatrix(const OnednnMatrix&) = delete;
  OnednnMatrix& operator=(const OnednnMatrix&) = delete;
  // x: n_tok * cols floats, y: n_tok * rows floats (must not overlap x).
  void run(const float* x, int64_t n_tok, float* y, ThreadPool& pool) const;
  int64_t rows() const;
  int64_t cols() const;
  OnednnType type() const;
  uint64_t bytes() const;  // converted weights
  std::string impl() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Converts the given weights (duplicates by data pointer once) and registers them until
// destroyed; from then on matmul() of a registered view runs OnednnMatrix::run.
class OnednnGemm {
 public:
  OnednnGemm(const std::vector<const WeightView*>& weights, OnednnType t, ThreadPool* pool = nullptr);
  ~OnednnGemm();
  OnednnGemm(const OnednnGemm&) = delete;
  OnednnGemm& operator=(const OnednnGemm&) = delete;
  uint64_t bytes() const;

 private:
  std::vector<std::unique_ptr<OnednnMatrix>> mats_;
  std::vector<const void*> keys_;
};

// The dispatch of matmul.cpp: runs the registered matrix of w and returns true, or returns
// false (nothing registered for w.data). Costs one atomic load while nothing is registered.
bool onednn_matmul(const WeightView& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool);
bool onednn_registered(const WeightView& w);

}  // namespace ys::cpu
