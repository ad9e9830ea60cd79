// Measured peaks of this machine, the denominators of the kernels' "fraction of peak":
// a STREAM-like triad (a[i] = b[i] + s*c[i], 3 x 4 bytes per element counted, arrays far
// larger than the caches), a fused multiply-add peak and a VNNI int8 (vpdpbusd) peak,
// each run on every thread of the pool at once; the best of a few repetitions.
#pragma once

#include "engine/backend/cpu/thread_pool.h"

#include <cstdint>

namespace ys::kernels {

struct Peaks {
  double triad_bytes_per_s = 0;
  double fma_flops_per_s = 0;   // f32, 2 flops per lane per fma
  double vnni_ops_per_s = 0;    // int8, 2 ops per multiply-add; 0 without AVX-512 VNNI
  int threads = 1;
};

// One triad pass over n floats per array (returns seconds).
double triad_seconds(cpu::ThreadPool& pool, float* a, const float* b, const float* c, int64_t n);
// Flops (or int8 ops) done by `iters` rounds of the peak loop on one thread.
double fma_loop(int64_t iters);
double vnni_loop(int64_t iters);
bool have_avx512_vnni();
// Measures all three (about a second in all). triad_mib: size of each of the 3 arrays.
Peaks measure_peaks(cpu::ThreadPool& pool, int64_t triad_mib = 128);

}  // namespace ys::kernels
