#include "suites/kernels/kernel_bench.h"

#include <map>
#include <memory>

namespace ys::kernels {
namespace {

std::unique_ptr<cpu::ThreadPool>& pool_slot() {
  static std::unique_ptr<cpu::ThreadPool> p;
  return p;
}
Peaks& peaks_slot() {
  static Peaks p;
  return p;
}
std::map<std::string, KernelMeta>& metas() {
  static std::map<std::string, KernelMeta> m;
  return m;
}
std::map<std::string, MatmulDims>& dims_map() {
  static std::map<std::string, MatmulDims> m;
  return m;
}

}  // namespace

cpu::ThreadPool& bench_pool() {
  if (!pool_slot()) pool_slot() = std::make_unique<cpu::ThreadPool>(0);
  return *pool_slot();
}
const Peaks& bench_peaks() { return peaks_slot(); }

void register_meta(const std::string& name, KernelMeta meta) { metas()[name] = std::move(meta); }

void register_dims(const std::string& name, MatmulDims dims) { dims_map()[name] = std::move(dims); }

const MatmulDims* find_dims(const std::string& name) {
  auto it = dims_map().find(name);
  return it == dims_map().end() ? nullptr : &it->second;
}

std::vector<std::string> registered_names() {
  std::vector<std::string> v;
  for (const auto& [name, meta] : metas()) v.push_back(name);
  return v;
}

const char* default_filter() { return "-^(matmul|onednn[^/]*)/[^/]+/(4096x4096|1024x4096|14336x4096|4096x14336)/"; }

const KernelMeta* find_meta(const std::string& name) {
  auto it = metas().find(name);
  return it == metas().end() ? nullptr : &it->second;
}

void register_all(const BenchConfig& cfg) {
  pool_slot() = std::make_unique<cpu::ThreadPool>(cfg.threads);
  peaks_slot() = measure_peaks(*pool_slot(), cfg.quick_peaks ? 32 : 128);
  register_peak_benchmarks();
  register_matmul_benchmarks(cfg);
  register_onednn_benchmarks(cfg);
  register_op_benchmarks(cfg);
}

}  // namespace ys::kernels
