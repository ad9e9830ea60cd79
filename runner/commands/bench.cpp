// `yardstick bench kernels|engine`: kernel microbenchmarks (Google Benchmark, results to
// the store's kernel_results) and engine prefill/decode throughput (a run of kind
// "bench", suite "perf", with perf_results rows).
#include "common/error.h"
#include "common/version.h"
#include "engine/backend/cpu/matmul.h"
#include "engine/backend/cpu/onednn_gemm.h"
#include "runner/cli.h"
#include "runner/hardware.h"
#include "runner/store/store.h"
#include "suites/kernels/kernel_bench.h"
#include "suites/kernels/reporter.h"
#include "suites/perf/engine_bench.h"

#include <benchmark/benchmark.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>

namespace {

using ys::cli::kExitFailed;
using ys::cli::kExitOk;
using ys::cli::kExitUsage;

struct KernelFlags {
  std::string filter, db;
  bool full = false, no_store = false;
  int threads = 0;
  std::vector<std::string> gb_args;
};

struct EngineFlags {
  std::string model, quant, db, tag, activations = "f32", cpu_gemm = "engine";
  int threads = 0, n_prompt = 512, n_gen = 128, reps = 5;
  bool no_store = false;
  bool deterministic = false;  // recorded; the CPU engine is batch-invariant either way
};

void store_kernels(const KernelFlags& f, const std::vector<ys::kernels::KernelResult>& results, double wall_s) {
  auto st = ys::store::Store::open(f.db);
  const std::string hw = st.upsert_hardware(ys::runner::to_record(ys::runner::detect_hardware()));
  ys::store::RunRecord run;
  run.kind = "bench";
  run.suite = "kernels";
  run.hardware_id = hw;
  run.code_version = ys::git_commit();
  const ys::kernels::Peaks& p = ys::kernels::bench_peaks();
  run.settings_json = nlohmann::json{{"filter", f.filter}, {"full", f.full}, {"threads", p.threads},
                                     {"args", f.gb_args}, {"build", ys::build_type()},
                                     {"onednn", ys::cpu::onednn_version()}, {"onednn_isa", ys::cpu::onednn_isa()}}.dump();
  const std::string run_id = st.create_run(run);
  for (const auto& k : results) {
    ys::store::KernelRecord rec;
    rec.run_id = run_id;
    rec.hardware_id = hw;
    rec.name = k.name;
    rec.shape_json = k.shape_json.empty() ? "{}" : k.shape_json;
    rec.dtype = k.dtype;
    rec.isa = ys::cpu::isa_name();
    rec.ns_per_iter = k.ns_per_iter;
    rec.bytes_per_s = k.bytes_per_s;
    rec.flops_per_s = k.flops_per_s;
    rec.peak_fraction = k.peak_fraction;
    rec.extra_json = nlohmann::json{{"kind", k.kind}, {"iterations", k.iterations}, {"error", k.error},
                                    {"threads", p.threads}, {"peak_triad_bytes_per_s", p.triad_bytes_per_s},
                                    {"peak_fma_flops_per_s", p.fma_flops_per_s},
                                    {"peak_vnni_ops_per_s", p.vnni_ops_per_s}}.dump();
    st.add_kernel_result(rec);
  }
  st.finish_run(run_id, "done", wall_s, std::nullopt, "");
  fmt::print("stored {} kernel results in {} (run {})\n", results.size(), f.db, run_id);
}

int run_kernels(const KernelFlags& f) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> argv_s = {"yardstick-bench-kernels", "--benchmark_min_time=0.05"};
  for (const auto& a : f.gb_args) argv_s.push_back(a);
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  int argc = int(argv.size());
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1) {
    fmt::print(stderr, "bench kernels: unknown Google Benchmark flag '{}' after --\n", argv[1]);
    return kExitUsage;
  }
  bool filtered = !f.filter.empty();
  for (const auto& a : f.gb_args) filtered |= a.rfind("--benchmark_filter", 0) == 0;
  ys::kernels::BenchConfig cfg;
  cfg.threads = f.threads;
  cfg.full = f.full;
  ys::kernels::register_all(cfg);
  // --filter also runs the engine benchmarks shown next to the oneDNN ones it selects.
  if (!f.filter.empty()) benchmark::SetBenchmarkFilter(ys::kernels::with_engine_partners(f.filter));
  else if (!f.full && !filtered) benchmark::SetBenchmarkFilter(ys::kernels::default_filter());
  const ys::kernels::Peaks& p = ys::kernels::bench_peaks();
  fmt::print("isa {}; measured peaks ({} threads): triad {:.2f} GB/s, fma {:.1f} GFLOP/s, vnni {:.1f} GOP/s\n",
             ys::cpu::isa_name(), p.threads, p.triad_bytes_per_s / 1e9, p.fma_flops_per_s / 1e9,
             p.vnni_ops_per_s / 1e9);
  ys::kernels::CollectingReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  benchmark::Shutdown();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  size_t errors = 0;
  for (const auto& k : rep.results()) errors += !k.error.empty();
  fmt::print("{}", ys::kernels::onednn_table(rep.results()));
  fmt::print("{} benchmarks, {} failed their reference check, {:.1f} s\n", rep.results().size(), errors, wall);
  if (!f.no_store) store_kernels(f, rep.results(), wall);
  return errors ? kExitFailed : kExitOk;
}

void store_engine(const EngineFlags& f, const ys::perf::EngineBenchResult& r) {
  auto st = ys::store::Store::open(f.db);
  ys::store::RunRecord run;
  run.kind = "bench";
  run.suite = "perf";
  run.model_path = f.model;
  run.model_sha256 = r.info.sha256;
  run.quant = r.info.weight_type;
  if (r.info.activations == "int8") run.quant += " act=int8";
  if (f.cpu_gemm != "engine") run.quant += " gemm=" + f.cpu_gemm;
  run.hardware_id = st.upsert_hardware(ys::runner::to_record(ys::runner::detect_hardware()));
  run.code_version = ys::git_commit();
  run.tag = f.tag;
  run.settings_json = nlohmann::json{{"threads", r.info.threads}, {"n_prompt", f.n_prompt}, {"n_gen", f.n_gen},
                                     {"repetitions", f.reps}, {"quant", f.quant}, {"isa", r.info.isa},
                                     {"activations", r.info.activations}, {"deterministic", f.deterministic},
                                     {"cpu_gemm", f.cpu_gemm},
                                     {"build", ys::build_type()}}.dump();
  const std::string id = st.create_run(run);
  for (const auto& s : r.stats) {
    ys::store::PerfRecord p;
    p.run_id = id;
    p.name = s.name;
    p.value = s.median;
    p.unit = s.unit;
    p.repetitions = int64_t(s.values.size());
    p.median = s.median;
    p.stddev = s.stddev;
    p.extra_json = nlohmann::json{{"min", s.min}, {"max", s.max}, {"mean", s.mean}, {"values", s.values}}.dump();
    st.add_perf_result(p);
  }
  ys::store::PerfRecord mem;
  mem.run_id = id;
  mem.name = "peak_rss";
  mem.value = double(r.peak_rss_bytes);
  mem.unit = "bytes";
  mem.extra_json = nlohmann::json{{"size_bytes", r.size_bytes}, {"n_params", r.n_params}, {"load_s", r.load_s}}.dump();
  st.add_perf_result(mem);
  st.finish_run(id, "done", std::nullopt, std::nullopt, "");
  fmt::print("stored run {} in {}\n", id, f.db);
}

int run_engine(const EngineFlags& f) {
  ys::perf::EngineBenchConfig cfg;
  cfg.model_path = f.model;
  if (!f.quant.empty()) cfg.quant = f.quant;
  cfg.activations = f.activations;
  cfg.cpu_gemm = f.cpu_gemm;
  cfg.threads = f.threads;
  cfg.n_prompt = f.n_prompt;
  cfg.n_gen = f.n_gen;
  cfg.repetitions = f.reps;
  const auto r = ys::perf::run_engine_bench(cfg, [](const std::string& s) { fmt::print(stderr, "{}\n", s); });
  fmt::print("{}", ys::perf::format_table(r));
  if (ys::cpu::parse_cpu_gemm(f.cpu_gemm, "--cpu-gemm").onednn)
    fmt::print("matrix products: oneDNN {} bf16 ({}), batch-invariant tiles (--cpu-gemm {})\n", ys::cpu::onednn_version(),
               ys::cpu::onednn_isa(), f.cpu_gemm);
  if (!f.no_store) store_engine(f, r);
  return kExitOk;
}

ys::cli::Registrar reg(
    "bench", "Benchmarks: `bench kernels` (microbenchmarks) and `bench engine` (prefill/decode tokens/s)",
    [](CLI::App& app) -> ys::cli::RunFn {
      app.require_subcommand(1);
      auto kf = std::make_shared<KernelFlags>();
      kf->db = ys::cli::default_db_path();
      CLI::App* k = app.add_subcommand("kernels", "Kernel microbenchmarks (Google Benchmark flags after --)");
      k->add_option("--filter", kf->filter,
                    "Regex over benchmark names (e.g. 'matmul/q4_0/.*t1$'); 'onednn' runs oneDNN's products with the "
                    "engine's next to them and prints them side by side");
      k->add_flag("--full", kf->full, "Also the Llama-3-8B shapes and n_tok 64/512 everywhere");
      k->add_option("--threads", kf->threads, "Threads (0 = all cores)")->check(CLI::NonNegativeNumber);
      k->add_option("--db", kf->db, "Result database");
      k->add_flag("--no-store", kf->no_store, "Do not write the results to the database");
      k->add_option("gbench_args", kf->gb_args, "Google Benchmark flags (after --)");
      auto ef = std::make_shared<EngineFlags>();
      ef->db = ys::cli::default_db_path();
      ef->model = ys::cli::default_model_path();
      CLI::App* e = app.add_subcommand("engine", "Prefill (pp) and decode (tg) tokens/s, like llama-bench");
      e->add_option("--model", ef->model, "GGUF model");
      e->add_option("--quant", ef->quant, "Re-quantize weights at load: f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1");
      e->add_option("--threads", ef->threads, "Threads (0 = all cores)")->check(CLI::NonNegativeNumber);
      e->add_option("--activations", ef->activations, "Activations against quantized weights: f32 (exact, default) | int8 (llama.cpp's 8-bit numerics)");
      e->add_option("--cpu-gemm", ef->cpu_gemm,
                    "CPU matrix products: engine (default) | onednn (oneDNN bf16, batch-invariant tiles)");
      e->add_option("-p,--n-prompt", ef->n_prompt, "Prompt tokens for pp (0 = skip)")->check(CLI::NonNegativeNumber);
      e->add_option("-n,--n-gen", ef->n_gen, "Generated tokens for tg (0 = skip)")->check(CLI::NonNegativeNumber);
      e->add_option("--repetitions", ef->reps, "Repetitions after one warm-up")->check(CLI::PositiveNumber);
      e->add_option("--db", ef->db, "Result database");
      e->add_option("--tag", ef->tag, "Tag stored with the run");
      e->add_flag("--no-store", ef->no_store, "Do not write the results to the database");
      e->add_flag("--deterministic", ef->deterministic,
                  "Recorded with the run; changes nothing here: the CPU engine is always batch-invariant "
                  "(the CUDA cost is measured by tools/gpu-check.sh)");
      return [k, e, kf, ef]() -> int {
        if (k->parsed()) return run_kernels(*kf);
        if (e->parsed()) return run_engine(*ef);
        return kExitUsage;
      };
    });

}  // namespace
