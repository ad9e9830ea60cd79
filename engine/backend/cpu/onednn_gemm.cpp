#include "engine/backend/cpu/onednn_gemm.h"

#include "common/error.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/onednn_convert.h"
#include "engine/quant/blocks.h"
#include "engine/quant/quant.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace ys::cpu {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

namespace {

dnnl::engine& cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dt src_type(OnednnType t) { return t == OnednnType::f32 ? dt::f32 : t == OnednnType::bf16 ? dt::bf16 : dt::s8; }
dt dst_type(OnednnType t) { return t == OnednnType::s8 ? dt::s32 : dt::f32; }
size_t elem_bytes(OnednnType t) { return t == OnednnType::f32 ? 4 : t == OnednnType::bf16 ? 2 : 1; }

// OpenMP threads of the calling thread for a scope (oneDNN reads them when it makes a
// primitive: its blocking, and the threads its kernels run on).
class OmpThreads {
 public:
  explicit OmpThreads(int n) : prev_(omp_get_max_threads()) { omp_set_num_threads(std::max(1, n)); }
  ~OmpThreads() { omp_set_num_threads(prev_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int prev_;
};

// Symmetric int8 of n values: scale amax/127 (0 when all are 0), q = round-half-even(v/scale).
float quantize_s8(const float* v, int64_t n, int8_t* q) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(v[i]));
  const float scale = amax / 127.0f, inv = amax > 0.0f ? 127.0f / amax : 0.0f;
  for (int64_t i = 0; i < n; ++i) q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(v[i] * inv), -127.0f, 127.0f));
  return scale;
}

// Tokens [t0, t0 + n) of x (cols each) in the product's source type into dst (`rows`
// tokens; rows n.. are zeros); s8 also writes each token's scale to sx.
void convert_act(OnednnType t, const float* x, int64_t cols, int64_t n, int64_t rows, void* dst, float* sx) {
  const size_t es = elem_bytes(t);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const float* src = x + i * cols;
    uint8_t* o = out + static_cast<size_t>(i * cols) * es;
    if (t == OnednnType::f32) {
      std::memcpy(o, src, static_cast<size_t>(cols) * 4);
    } else if (t == OnednnType::bf16) {
      onednn_to_bf16(src, reinterpret_cast<uint16_t*>(o), cols);
    } else {
      sx[i] = quantize_s8(src, cols, reinterpret_cast<int8_t*>(o));
    }
  }
  if (rows > n) std::memset(out + static_cast<size_t>(n * cols) * es, 0, static_cast<size_t>((rows - n) * cols) * es);
  if (t == OnednnType::s8)
    for (int64_t i = n; i < rows; ++i) sx[i] = 0.0f;
}

dnnl::matmul::primitive_desc make_pd(OnednnType t, int64_t m, int64_t k, int64_t n, bool user_scratchpad) {
  const dnnl::memory::desc a({m, k}, src_type(t), tag::ab), b({k, n}, src_type(t), tag::any),
      c({m, n}, dst_type(t), tag::ab);
  dnnl::primitive_attr attr;
  if (user_scratchpad) attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  try {
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), attr, cpu_engine());
  } catch (const dnnl::error& e) {
    fail(ErrorKind::unsupported, "oneDNN {}: no {} matmul for {}x{} by {}x{}: {}", onednn_version(),
         onednn_type_name(t), m, k, k, n, e.what());
  }
}

// Rows [r0, r1) of w in the product's type, row-major (= a {cols, r1-r0} matrix in "ba"
// order); s8 also returns each row's scale.
struct PlainRows {
  std::vector<uint8_t> data;
  std::vector<float> scale;
};

PlainRows plain_rows(const WeightView& w, OnednnType t, int64_t r0, int64_t r1) {
  const int64_t cols = w.cols, n = r1 - r0;
  const uint64_t rb = quant::row_bytes(w.type, uint64_t(cols));
  PlainRows p;
  p.data.resize(static_cast<size_t>(n * cols) * elem_bytes(t));
  if (t == OnednnType::s8) p.scale.resize(static_cast<size_t>(n));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t i = 0; i < n; ++i) {
    quant::dequantize_row(w.type, static_cast<const uint8_t*>(w.data) + uint64_t(r0 + i) * rb, row.data(), cols);
    convert_act(t, row.data(), cols, 1, 1, p.data.data() + static_cast<size_t>(i * cols) * elem_bytes(t),
                t == OnednnType::s8 ? &p.scale[static_cast<size_t>(i)] : nullptr);
  }
  return p;
}

// Reorders plain rows into the layout `want` (the primitive's weights).
dnnl::memory reorder_weights(PlainRows& p, OnednnType t, int64_t cols, int64_t n, const dnnl::memory::desc& want) {
  dnnl::stream s(cpu_engine());
  dnnl::memory src({{cols, n}, src_type(t), tag::ba}, cpu_engine(), p.data.data());
  dnnl::memory dst(want, cpu_engine());
  dnnl::reorder(src, dst).execute(s, src, dst);
  s.wait();
  return dst;
}

void check_view(const WeightView& w) {
  if (w.rows <= 0 || w.cols <= 0 || !quant::can_dequantize(w.type))
    fail(ErrorKind::invalid_input, "oneDNN matmul: weights {}x{} of type {} (expected a positive shape of a type "
         "with a dequantization)", w.rows, w.cols, quant::name(w.type));
}

// y[t*ld + r] for one tile's output (n_tok x n, row-major) with the per-token and per-row
// scales of s8 products.
void store_tile(OnednnType t, const void* tile, int64_t n_tok, int64_t n, float* y, int64_t ld, const float* sx,
                const float* sw) {
  if (t != OnednnType::s8) {
    for (int64_t i = 0; i < n_tok; ++i)
      std::memcpy(y + i * ld, static_cast<const float*>(tile) + i * n, static_cast<size_t>(n) * 4);
    return;
  }
  const auto* acc = static_cast<const int32_t*>(tile);
  for (int64_t i = 0; i < n_tok; ++i)
    for (int64_t j = 0; j < n; ++j) y[i * ld + j] = float(acc[i * n + j]) * (sx[i] * sw[j]);
}

}  // namespace

void onednn_to_bf16(const float* x, uint16_t* out, int64_t n) {
  if (selected_isa() == Isa::avx512) return detail::to_bf16_avx512(x, out, n);  // YS_ISA can lower it
  for (int64_t k = 0; k < n; ++k) out[k] = quant::f32_to_bf16(x[k]);
}

const char* onednn_type_name(OnednnType t) {
  switch (t) {
    case OnednnType::f32: return "f32";
    case OnednnType::bf16: return "bf16";
    case OnednnType::s8: return "int8";
  }
  return "?";
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl::version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

std::string onednn_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx2: return "avx2";
    default: return "other";
  }
}

bool onednn_native(OnednnType t) {
  switch (t) {
    case OnednnType::f32: return true;
    case OnednnType::bf16:
      return __builtin_cpu_supports("avx512bf16") || onednn_isa() == "avx512_core_amx";
    case OnednnType::s8:
      return __builtin_cpu_supports("avx512vnni") || __builtin_cpu_supports("avxvnni") ||
             onednn_isa() == "avx512_core_amx";
  }
  return false;
}

// ---- OnednnProduct -------------------------------------------------------------------

struct OnednnProduct::Impl {
  OnednnType type;
  int64_t rows, cols, n_tok;
  int threads;
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  dnnl::memory weights;
  std::vector<float> sw;
  std::vector<uint8_t> act, out;
  std::vector<float> sx;
};

OnednnProduct::OnednnProduct(const WeightView& w, OnednnType t, int64_t n_tok, int threads) {
  check_view(w);
  if (n_tok <= 0) fail(ErrorKind::invalid_input, "oneDNN matmul: n_tok {} (expected > 0)", n_tok);
  OmpThreads omp(threads);
  auto p = std::make_unique<Impl>();
  p->type = t, p->rows = w.rows, p->cols = w.cols, p->n_tok = n_tok, p->threads = std::max(1, threads);
  p->pd = make_pd(t, n_tok, w.cols, w.rows, false);
  p->prim = dnnl::matmul(p->pd);
  PlainRows plain = plain_rows(w, t, 0, w.rows);
  p->weights = reorder_weights(plain, t, w.cols, w.rows, p->pd.weights_desc());
  p->sw = std::move(plain.scale);
  p->act.resize(static_cast<size_t>(n_tok * w.cols) * elem_bytes(t));
  p->out.resize(t == OnednnType::s8 ? static_cast<size_t>(n_tok * w.rows) * 4 : 0);
  p->sx.resize(static_cast<size_t>(n_tok));
  impl_ = std::move(p);
}

OnednnProduct::~OnednnProduct() = default;

void OnednnProduct::run(const float* x, float* y) {
  Impl& p = *impl_;
  OmpThreads omp(p.threads);
  const void* a = x;
  if (p.type != OnednnType::f32) {
    convert_act(p.type, x, p.cols, p.n_tok, p.n_tok, p.act.data(), p.sx.data());
    a = p.act.data();
  }
  void* dst = p.type == OnednnType::s8 ? static_cast<void*>(p.out.data()) : static_cast<void*>(y);
  dnnl::stream s(cpu_engine());
  dnnl::memory am(p.pd.src_desc(), cpu_engine(), const_cast<void*>(a));
  dnnl::memory cm(p.pd.dst_desc(), cpu_engine(), dst);
  p.prim.execute(s, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, cm}});
  s.wait();
  if (p.type == OnednnType::s8) store_tile(p.type, dst, p.n_tok, p.rows, y, p.rows, p.sx.data(), p.sw.data());
}

std::string OnednnProduct::impl() const { return impl_->pd.impl_info_str(); }

// ---- OnednnMatrix --------------------------------------------------------------------

struct OnednnMatrix::Impl {
  OnednnType type;
  int64_t rows, cols;
  // Primitives for full blocks (kBlock rows of W) and for the last, narrower block.
  dnnl::matmul::primitive_desc pd_full, pd_tail;
  dnnl::matmul full, tail;
  std::vector<dnnl::memory> blocks;  // converted weights of each block
  std::vector<float> sw;             // s8: scale of each row of W
  uint64_t bytes = 0;
  size_t scratch = 0;

  int64_t n_blocks() const { return (rows + kBlock - 1) / kBlock; }
  int64_t block_rows(int64_t b) const { return std::min(kBlock, rows - b * kBlock); }
};

OnednnMatrix::OnednnMatrix(const WeightView& w, OnednnType t, ThreadPool* pool) {
  check_view(w);
  auto p = std::make_unique<Impl>();
  p->type = t, p->rows = w.rows, p->cols = w.cols;
  {
    // Made for one thread: oneDNN then never splits k among threads, and the primitives
    // do not depend on the machine's core count.
    OmpThreads one(1);
    if (w.rows >= kBlock) {
      p->pd_full = make_pd(t, kChunk, w.cols, kBlock, true);
      p->full = dnnl::matmul(p->pd_full);
      p->scratch = std::max(p->scratch, p->pd_full.scratchpad_desc().get_size());
    }
    if (w.rows % kBlock != 0) {
      p->pd_tail = make_pd(t, kChunk, w.cols, w.rows % kBlock, true);
      p->tail = dnnl::matmul(p->pd_tail);
      p->scratch = std::max(p->scratch, p->pd_tail.scratchpad_desc().get_size());
    }
  }
  if (t == OnednnType::s8) p->sw.resize(static_cast<size_t>(w.rows));
  p->blocks.resize(static_cast<size_t>(p->n_blocks()));
  std::vector<uint64_t> bytes(p->blocks.size());
  // Blocks converted in parallel on the pool, each reorder on its own thread (one OpenMP
  // thread each: oneDNN's OpenMP teams stall on an oversubscribed machine).
  auto convert = [&](int64_t b0, int64_t b1, int) {
    OmpThreads one(1);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t n = p->block_rows(b);
      PlainRows plain = plain_rows(w, t, b * kBlock, b * kBlock + n);
      const auto& pd = n == kBlock ? p->pd_full : p->pd_tail;
      p->blocks[size_t(b)] = reorder_weights(plain, t, w.cols, n, pd.weights_desc());
      bytes[size_t(b)] = pd.weights_desc().get_size();
      if (t == OnednnType::s8) std::copy(plain.scale.begin(), plain.scale.end(), p->sw.begin() + b * kBlock);
    }
  };
  if (pool != nullptr) pool->parallel_for_dynamic(p->n_blocks(), 1, convert);
  else convert(0, p->n_blocks(), 0);
  for (uint64_t b : bytes) p->bytes += b;
  impl_ = std::move(p);
}

OnednnMatrix::~OnednnMatrix() = default;
int64_t OnednnMatrix::rows() const { return impl_->rows; }
int64_t OnednnMatrix::cols() const { return impl_->cols; }
OnednnType OnednnMatrix::type() const { return impl_->type; }
uint64_t OnednnMatrix::bytes() const { return impl_->bytes; }
std::string OnednnMatrix::impl() const {
  return (impl_->rows >= kBlock ? impl_->pd_full : impl_->pd_tail).impl_info_str();
}

void OnednnMatrix::run(const float* x, int64_t n_tok, float* y, ThreadPool& pool) const {
  const Impl& p = *impl_;
  if (n_tok < 0) fail(ErrorKind::invalid_input, "oneDNN matmul: n_tok {} (expected >= 0)", n_tok);
  if (n_tok == 0) return;
  const int64_t n_chunks = (n_tok + kChunk - 1) / kChunk, nb = p.n_blocks();
  const size_t chunk_bytes = static_cast<size_t>(kChunk * p.cols) * elem_bytes(p.type);
  // Activations of every chunk in the source type (zero-padded), converted in parallel.
  thread_local std::vector<uint8_t> act;
  thread_local std::vector<float> sx;
  act.resize(chunk_bytes * static_cast<size_t>(n_chunks));
  sx.resize(static_cast<size_t>(n_chunks * kChunk));
  uint8_t* const act_base = act.data();  // the caller's buffers (the lambdas run on other threads)
  float* const sx_base = sx.data();
  auto convert = [&](int64_t c0, int64_t c1, int) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t t0 = c * kChunk, n = std::min(kChunk, n_tok - t0);
      convert_act(p.type, x + t0 * p.cols, p.cols, n, kChunk, act_base + chunk_bytes * size_t(c), sx_base + t0);
    }
  };
  if (n_chunks > 1) pool.parallel_for(n_chunks, convert);
  else convert(0, 1, 0);
  // Tiles block-major (a block's weights stay in cache while its chunks pass).
  pool.parallel_for_dynamic(n_chunks * nb, 1, [&](int64_t i0, int64_t i1, int) {
    thread_local std::vector<uint8_t> out, scratch;
    thread_local std::unique_ptr<dnnl::stream> stream;
    if (!stream) stream = std::make_unique<dnnl::stream>(cpu_engine());
    out.resize(static_cast<size_t>(kChunk * kBlock) * 4);
    scratch.resize(std::max<size_t>(p.scratch, 1));
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / n_chunks, c = i % n_chunks, n = p.block_rows(b);
      const bool is_full = n == kBlock;
      const auto& pd = is_full ? p.pd_full : p.pd_tail;
      dnnl::memory am(pd.src_desc(), cpu_engine(), const_cast<uint8_t*>(act_base + chunk_bytes * size_t(c)));
      dnnl::memory cm(pd.dst_desc(), cpu_engine(), out.data());
      dnnl::memory sm(pd.scratchpad_desc(), cpu_engine(), scratch.data());
      (is_full ? p.full : p.tail)
          .execute(*stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, p.blocks[size_t(b)]}, {DNNL_ARG_DST, cm},
                             {DNNL_ARG_SCRATCHPAD, sm}});
      stream->wait();
      const int64_t t0 = c * kChunk;
      store_tile(p.type, out.data(), std::min(kChunk, n_tok - t0), n, y + t0 * p.rows + b * kBlock, p.rows,
                 sx_base + t0, p.sw.empty() ? nullptr : p.sw.data() + b * kBlock);
    }
  });
}

// ---- the engine hook -----------------------------------------------------------------

namespace {

struct Registry {
  std::shared_mutex mu;
  std::unordered_map<const void*, const OnednnMatrix*> map;
  std::atomic<int64_t> count{0};
};

Registry& registry() {
  static Registry r;
  return r;
}

const OnednnMatrix* find(const WeightView& w) {
  Registry& r = registry();
  if (r.count.load(std::memory_order_acquire) == 0) return nullptr;
  std::shared_lock lock(r.mu);
  auto it = r.map.find(w.data);
  if (it == r.map.end()) return nullptr;
  const OnednnMatrix* m = it->second;
  if (m->rows() != w.rows || m->cols() != w.cols)
    fail(ErrorKind::internal, "oneDNN matmul: weights at {} registered as {}x{}, used as {}x{}", w.data, m->rows(),
         m->cols(), w.rows, w.cols);
  return m;
}

}  // namespace

OnednnGemm::OnednnGemm(const std::vector<const WeightView*>& weights, OnednnType t, ThreadPool* pool) {
  std::unordered_map<const void*, bool> seen;
  for (const WeightView* w : weights) {
    if (w == nullptr || w->data == nullptr || seen.count(w->data)) continue;
    seen[w->data] = true;
    mats_.push_back(std::make_unique<OnednnMatrix>(*w, t, pool));
    keys_.push_back(w->data);
  }
  Registry& r = registry();
  std::unique_lock lock(r.mu);
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (r.map.count(keys_[i]))
      fail(ErrorKind::internal, "oneDNN matmul: weights at {} are registered twice", keys_[i]);
  }
  for (size_t i = 0; i < keys_.size(); ++i) r.map[keys_[i]] = mats_[i].get();
  r.count.fetch_add(int64_t(keys_.size()), std::memory_order_release);
}

OnednnGemm::~OnednnGemm() {
  Registry& r = registry();
  std::unique_lock lock(r.mu);
  for (const void* k : keys_) r.map.erase(k);
  r.count.fetch_sub(int64_t(keys_.size()), std::memory_order_release);
}

uint64_t OnednnGemm::bytes() const {
  uint64_t b = 0;
  for (const auto& m : mats_) b += m->bytes();
  return b;
}

bool onednn_registered(const WeightView& w) { return find(w) != nullptr; }

bool onednn_matmul(const WeightView& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool) {
  const OnednnMatrix* m = find(w);
  if (m == nullptr) return false;
  m->run(x, n_tok, y, pool);
  return true;
}

}  // namespace ys::cpu
