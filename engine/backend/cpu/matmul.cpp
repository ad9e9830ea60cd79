#include "engine/backend/cpu/matmul.h"

#include "common/error.h"
#include "engine/backend/cpu/act_quant.h"
#include "engine/backend/cpu/gemm_vnni.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/onednn_gemm.h"
#include "engine/quant/blocks.h"
#include "engine/quant/quant.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ys::cpu {
namespace {

using quant::Type;

constexpr int64_t kMinParallelWork = 64 * 1024;  // multiply-adds
// f32 activations: up to this many tokens dequantize in registers, more go through
// dequantized panels (the dequantization is then shared by all tokens). Same bits.
constexpr int64_t kFusedMaxTokens = 8;
// Cache blocking of the f32 panel path: floats of dequantized weights kept per block
// (256 KiB) and tokens per pass over them.
constexpr int64_t kL2Floats = 64 * 1024;
constexpr int64_t kTokenChunk = 60;  // a multiple of the kernel's 6-token block

RowsFn pick(const KernelSet& k, Type t) {
  switch (t) {
    case Type::f32: return k.f32;
    case Type::f16: return k.f16;
    case Type::bf16: return k.bf16;
    case Type::q4_0: return k.q4_0;
    case Type::q4_1: return k.q4_1;
    case Type::q8_0: return k.q8_0;
    case Type::q5_0: return k.q5_0;
    case Type::q5_1: return k.q5_1;
    case Type::q4_k: return k.q4_k;
    case Type::q5_k: return k.q5_k;
    case Type::q6_k: return k.q6_k;
    default: return nullptr;
  }
}

const KernelSet& kernels_of(Isa isa) {
  switch (isa) {
    case Isa::avx512: return kernels_avx512();
    case Isa::avx2: return kernels_avx2();
    default: return kernels_scalar();
  }
}

RowsFn find_kernel(Isa isa, Type t) {
  for (int i = static_cast<int>(isa); i >= 0; --i) {
    if (RowsFn f = pick(kernels_of(static_cast<Isa>(i)), t)) return f;
  }
  return nullptr;
}

enum class ActKind { f32, q8, q8k };

ActKind act_kind(Type t) {
  if (t == Type::q4_0 || t == Type::q4_1 || t == Type::q8_0 || t == Type::q5_0 || t == Type::q5_1) return ActKind::q8;
  if (t == Type::q4_k || t == Type::q5_k || t == Type::q6_k) return ActKind::q8k;
  return ActKind::f32;
}

Isa detect_isa() {
  Isa best = Isa::scalar;
  if (cpu_supports(Isa::avx512)) best = Isa::avx512;
  else if (cpu_supports(Isa::avx2)) best = Isa::avx2;
  if (const char* env = std::getenv("YS_ISA")) {
    Isa want = best;
    if (std::strcmp(env, "scalar") == 0) want = Isa::scalar;
    else if (std::strcmp(env, "avx2") == 0) want = Isa::avx2;
    else if (std::strcmp(env, "avx512") == 0) want = Isa::avx512;
    else fail(ErrorKind::invalid_input, "env YS_ISA='{}': expected scalar, avx2 or avx512", env);
    if (static_cast<int>(want) < static_cast<int>(best)) best = want;
  }
  return best;
}

// Rows per dynamically claimed chunk, a multiple of 4 (the VNNI GEMM's row group). Small
// batches (decode) stream the weights from memory: one contiguous range per thread keeps
// each thread's stream (and its prefetches) going, where 6 chunks per thread cut it into
// pieces (SmolLM2 Q4_0 tg128, 2 threads: 230-280 -> 370-380 tok/s). Larger batches are
// compute-bound and get about 6 chunks per thread, so that a thread the OS delays holds
// up less. The split never changes results.
int64_t row_grain(int64_t rows, int threads, int64_t n_tok) {
  const int64_t per_thread = n_tok <= kFusedMaxTokens ? 1 : 6;
  const int64_t g = (rows + per_thread * threads - 1) / (per_thread * threads);
  return std::max<int64_t>(4, (g + 3) / 4 * 4);
}

// Repacks the quantized activations into 16-token tiles for the VNNI GEMM.
const uint8_t* pack_tiles(const uint8_t* act, size_t stride, int64_t n_tiles, int64_t cols, ThreadPool& pool) {
  struct Aligned {
    uint8_t* p = nullptr;
    size_t cap = 0;
    ~Aligned() { std::free(p); }
  };
  thread_local Aligned buf;
  const size_t tb = vnni_tile_bytes(cols);
  const size_t need = tb * static_cast<size_t>(n_tiles);
  if (buf.cap < need) {
    std::free(buf.p);
    buf.p = static_cast<uint8_t*>(std::aligned_alloc(64, (need + 63) / 64 * 64));
    if (buf.p == nullptr) fail(ErrorKind::internal, "matmul: cannot allocate {} bytes", need);
    buf.cap = need;
  }
  uint8_t* out = buf.p;
  auto pack = [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) vnni_pack_tile(act, stride, t, cols, out + tb * static_cast<size_t>(t));
  };
  if (n_tiles >= 2) pool.parallel_for(n_tiles, pack);
  else pack(0, n_tiles, 0);
  return out;
}

using ActQ8Fn = void (*)(const float*, ActQ8x8*, int64_t);
ActQ8Fn act_q8_of(Isa isa) {
  const ActQ8Fn f = kernels_of(isa).act_q8;
  return f ? f : quantize_act_q8;
}

// The activations the kernels read for weights of kind `kind`: x itself for f32 kinds,
// else each token quantized (8-bit blocks or q8_k) into buf, in parallel for 8+ tokens.
struct PreparedAct {
  const void* act;
  size_t stride;  // bytes from one token to the next
};

PreparedAct prepare_act(Isa isa, ActKind kind, const float* x, int64_t cols, int64_t n_tok, ThreadPool& pool,
                        std::vector<uint8_t>& buf) {
  if (kind == ActKind::f32) return {x, static_cast<size_t>(cols) * sizeof(float)};
  const size_t stride = kind == ActKind::q8 ? static_cast<size_t>(act_q8_groups(cols)) * sizeof(ActQ8x8)
                                            : static_cast<size_t>(cols / 256) * sizeof(quant::block_q8_k);
  buf.resize(stride * static_cast<size_t>(n_tok));
  uint8_t* base = buf.data();
  const ActQ8Fn act_q8 = act_q8_of(isa);
  auto quantize_tokens = [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) {
      if (kind == ActKind::q8) act_q8(x + t * cols, reinterpret_cast<ActQ8x8*>(base + t * stride), cols);
      else quantize_act_q8k(x + t * cols, reinterpret_cast<quant::block_q8_k*>(base + t * stride), cols);
    }
  };
  if (n_tok >= 8) pool.parallel_for(n_tok, quantize_tokens);
  else quantize_tokens(0, n_tok, 0);
  return {base, stride};
}

DeqFn pick_deq(const KernelSet& k, Type t) {
  switch (t) {
    case Type::q4_0: return k.deq_q4_0;
    case Type::q4_1: return k.deq_q4_1;
    case Type::q8_0: return k.deq_q8_0;
    case Type::q5_0: return k.deq_q5_0;
    case Type::q5_1: return k.deq_q5_1;
    case Type::q4_k: return k.deq_q4_k;
    case Type::q5_k: return k.deq_q5_k;
    case Type::q6_k: return k.deq_q6_k;
    default: return nullptr;
  }
}

RowsFn pick_f32act(const KernelSet& k, Type t) {
  switch (t) {
    case Type::q4_0: return k.f32act_q4_0;
    case Type::q4_1: return k.f32act_q4_1;
    case Type::q8_0: return k.f32act_q8_0;
    case Type::q5_0: return k.f32act_q5_0;
    case Type::q5_1: return k.f32act_q5_1;
    case Type::q4_k: return k.f32act_q4_k;
    case Type::q5_k: return k.f32act_q5_k;
    case Type::q6_k: return k.f32act_q6_k;
    default: return nullptr;
  }
}

DeqFn find_deq(Isa isa, Type t) {
  for (int i = static_cast<int>(isa); i >= 0; --i)
    if (DeqFn f = pick_deq(kernels_of(static_cast<Isa>(i)), t)) return f;
  return nullptr;
}

// Runs fn over row ranges of [0, rows): inline when the product is small, else in
// dynamically claimed chunks (the split never changes results).
template <class Fn>
void for_rows(ThreadPool& pool, int64_t rows, int64_t cols, int64_t n_tok, const Fn& fn) {
  if (rows * cols * n_tok < kMinParallelWork) fn(int64_t(0), rows, 0);
  else pool.parallel_for_dynamic(rows, row_grain(rows, pool.size(), n_tok), fn);
}

// Quantized weights with f32 activations: groups of rows are dequantized into a
// thread-local f32 panel and multiplied by the f32 kernel (the bits of the same product
// on weights converted to f32 at load).
void matmul_dequant(Isa isa, const WeightView& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool) {
  const KernelSet& ks = kernels_of(isa);
  if (const RowsFn fused = pick_f32act(ks, w.type); fused && n_tok <= kFusedMaxTokens) {
    const size_t stride = static_cast<size_t>(w.cols) * sizeof(float);
    for_rows(pool, w.rows, w.cols, n_tok, [&](int64_t r0, int64_t r1, int) { fused(w, x, stride, n_tok, r0, r1, y); });
    return;
  }
  const RowsFn ffn = find_kernel(isa, Type::f32);
  const KernelSet::PanelFn panel_fn = ks.f32_panel;
  const DeqFn deq = find_deq(isa, w.type);
  const Type type = w.type;
  const int64_t cols = w.cols, rows = w.rows;
  const uint64_t rb = quant::row_bytes(type, uint64_t(cols));
  const auto* base = static_cast<const uint8_t*>(w.data);
  auto dequant_rows = [&](int64_t a, int64_t n, float* dst) {
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* src = base + uint64_t(a + i) * rb;
      if (deq) deq(src, dst + i * cols, cols);
      else quant::dequantize_row(type, src, dst + i * cols, cols);
    }
  };
  if (panel_fn) {
    // Cache blocking: up to ~256 KiB of dequantized rows stay in L2 while the tokens pass
    // in chunks of kTokenChunk (their activations also L2-resident); the kernel's 4x6
    // register blocks run inside. The blocking never changes a result bit.
    const int64_t block = std::max<int64_t>(4, (kL2Floats / cols) / 4 * 4);
    for_rows(pool, rows, cols, n_tok, [&](int64_t r0, int64_t r1, int) {
      thread_local std::vector<float> wbuf;
      wbuf.resize(static_cast<size_t>(std::min(block, r1 - r0) * cols));
      for (int64_t a = r0; a < r1; a += block) {
        const int64_t n = std::min(block, r1 - a);
        dequant_rows(a, n, wbuf.data());
        for (int64_t t = 0; t < n_tok; t += kTokenChunk)
          panel_fn(wbuf.data(), n, cols, x + t * cols, cols, std::min(kTokenChunk, n_tok - t), y + t * rows + a, rows);
      }
    });
    return;
  }
  // Panel rows: a multiple of 4, ~32 KiB when cols allows.
  const int64_t panel = std::clamp<int64_t>(8192 / cols / 4 * 4, 4, 16);
  for_rows(pool, rows, cols, n_tok, [&](int64_t r0, int64_t r1, int) {
    thread_local std::vector<float> wbuf, ybuf;
    wbuf.resize(static_cast<size_t>(panel * cols));
    ybuf.resize(static_cast<size_t>(panel * n_tok));
    for (int64_t a = r0; a < r1; a += panel) {
      const int64_t n = std::min(panel, r1 - a);
      dequant_rows(a, n, wbuf.data());
      const WeightView fv{Type::f32, wbuf.data(), n, cols};
      ffn(fv, x, static_cast<size_t>(cols) * sizeof(float), n_tok, 0, n, ybuf.data());
      for (int64_t t = 0; t < n_tok; ++t)
        std::memcpy(y + t * rows + a, ybuf.data() + t * n, static_cast<size_t>(n) * sizeof(float));
    }
  });
}

}  // namespace

ActPrecision parse_act_precision(const std::string& name, const std::string& flag) {
  if (name == "int8") return ActPrecision::int8;
  if (name == "f32") return ActPrecision::f32;
  fail(ErrorKind::invalid_input, "{}: '{}' is not an activation precision; expected int8 or f32", flag, name);
}

const char* act_precision_name(ActPrecision a) { return a == ActPrecision::f32 ? "f32" : "int8"; }

bool cpu_supports(Isa isa) {
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case Isa::avx512:
      return cpu_supports(Isa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  }
  return false;
}

const char* isa_label(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512-vnni";
    case Isa::avx2: return "avx2";
    default: return "scalar";
  }
}

Isa selected_isa() {
  static const Isa isa = detect_isa();
  return isa;
}

std::string isa_name() { return isa_label(selected_isa()); }

bool matmul_supports(Type t) { return pick(kernels_scalar(), t) != nullptr; }

void matmul_isa(Isa isa, const WeightView& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool) {
  RowsFn fn = find_kernel(isa, w.type);
  if (fn == nullptr) fail(ErrorKind::unsupported, "matmul: no CPU kernel for weight type {}", quant::name(w.type));
  const int64_t bs = quant::traits(w.type).block_size;
  if (w.cols <= 0 || w.cols % bs != 0 || w.rows < 0 || n_tok < 0)
    fail(ErrorKind::invalid_input, "matmul: weight {}x{} of type {} (cols must be a positive multiple of {}), n_tok {}",
         w.rows, w.cols, quant::name(w.type), bs, n_tok);
  if (w.rows == 0 || n_tok == 0) return;

  const ActKind kind = act_kind(w.type);
  if (kind != ActKind::f32 && w.act == ActPrecision::f32) {
    matmul_dequant(isa, w, x, n_tok, y, pool);
    return;
  }
  thread_local std::vector<uint8_t> buf;
  const auto [act, stride] = prepare_act(isa, kind, x, w.cols, n_tok, pool, buf);
  // Tiles of 16 tokens through the VNNI GEMM (same bits), the remaining tokens as before.
  int64_t n_tiles = 0;
  const uint8_t* tiles = nullptr;
  if (isa == Isa::avx512 && n_tok >= kVnniTile && vnni_gemm_supports(w.type)) {
    n_tiles = n_tok / kVnniTile;
    tiles = pack_tiles(static_cast<const uint8_t*>(act), stride, n_tiles, w.cols, pool);
  }
  const int64_t t_done = n_tiles * kVnniTile;
  const size_t act_off = static_cast<size_t>(t_done) * stride;
  float* y_rest = y + t_done * w.rows;
  for_rows(pool, w.rows, w.cols, n_tok, [&](int64_t r0, int64_t r1, int) {
    if (n_tiles > 0) vnni_gemm_rows(w, tiles, n_tiles, r0, r1, y);
    if (t_done < n_tok) fn(w, static_cast<const uint8_t*>(act) + act_off, stride, n_tok - t_done, r0, r1, y_rest);
  });
}

void matmul(const WeightView& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool) {
  if (onednn_matmul(w, x, n_tok, y, pool)) return;  // weights registered by --cpu-gemm onednn
  matmul_isa(selected_isa(), w, x, n_tok, y, pool);
}

namespace {

// The per-row kernel and prepared activations of a small batch against weights of type
// t (the paths matmul_isa takes for n_tok <= kFusedMaxTokens and no VNNI tiles); null fn
// when that batch goes another way.
struct SmallBatch {
  RowsFn fn = nullptr;
  const void* act = nullptr;
  size_t stride = 0;
};

// w must have a valid shape (checked by the caller).
SmallBatch small_batch(Isa isa, const WeightView& w, const float* x, int64_t n_tok, ThreadPool& pool,
                       std::vector<uint8_t>& buf) {
  SmallBatch b;
  if (n_tok > kFusedMaxTokens) return b;
  const ActKind kind = act_kind(w.type);
  const bool f32_on_quantized = kind != ActKind::f32 && w.act == ActPrecision::f32;
  b.fn = f32_on_quantized ? pick_f32act(kernels_of(isa), w.type) : find_kernel(isa, w.type);
  if (b.fn == nullptr) return b;
  const PreparedAct p = prepare_act(isa, f32_on_quantized ? ActKind::f32 : kind, x, w.cols, n_tok, pool, buf);
  b.act = p.act;
  b.stride = p.stride;
  return b;
}

}  // namespace

void matmul_shared(const MatmulOut* outs, int n_outs, const float* x, int64_t n_tok, ThreadPool& pool) {
  for (int i = 0; i < n_outs; ++i) {
    if (!onednn_registered(*outs[i].w)) continue;  // --cpu-gemm onednn: one product each
    for (int j = 0; j < n_outs; ++j) matmul(*outs[j].w, x, n_tok, outs[j].y, pool);
    return;
  }
  const Isa isa = selected_isa();
  // One pass needs one type, width and precision, and valid shapes (matmul_isa computes,
  // or rejects with its errors, everything else).
  bool ok = n_outs > 0 && n_tok > 0 && outs[0].w->cols > 0 &&
            outs[0].w->cols % quant::traits(outs[0].w->type).block_size == 0;
  for (int i = 0; i < n_outs && ok; ++i) {
    const WeightView &a = *outs[0].w, &b = *outs[i].w;
    ok = a.type == b.type && a.cols == b.cols && a.act == b.act && b.rows >= 0;
  }
  thread_local std::vector<uint8_t> buf;
  const SmallBatch sb = ok ? small_batch(isa, *outs[0].w, x, n_tok, pool, buf) : SmallBatch{};
  if (sb.fn == nullptr) {
    for (int i = 0; i < n_outs; ++i) matmul_isa(isa, *outs[i].w, x, n_tok, outs[i].y, pool);
    return;
  }
  // The matrices' rows one after the other ("virtual rows"), split like one matrix's.
  int64_t total = 0;
  for (int i = 0; i < n_outs; ++i) total += outs[i].w->rows;
  auto run = [&](int64_t v0, int64_t v1, int) {
    int64_t base = 0;
    for (int i = 0; i < n_outs && base < v1; base += outs[i].w->rows, ++i) {
      const int64_t r0 = std::max<int64_t>(v0 - base, 0), r1 = std::min(v1 - base, outs[i].w->rows);
      if (r0 < r1) sb.fn(*outs[i].w, sb.act, sb.stride, n_tok, r0, r1, outs[i].y);
    }
  };
  for_rows(pool, total, outs[0].w->cols, n_tok, run);
}

}  // namespace ys::cpu
