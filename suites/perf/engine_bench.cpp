#include "suites/perf/engine_bench.h"

#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/backend/cpu/cpu_model.h"
#include "engine/model/requant.h"
#include "engine/quant/types.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace ys::perf {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Deterministic token ids in [1, n_vocab); `salt` makes each repetition's first token
// differ, so no repetition reuses another's cached keys/values.
std::vector<int32_t> tokens_for(int64_t n, int n_vocab, uint32_t salt) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  uint32_t s = 2463534242u + salt * 7919u;
  for (int32_t& t : v) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    t = int32_t(1 + s % uint32_t(std::max(2, n_vocab) - 1));
  }
  return v;
}

struct Sizes {
  uint64_t bytes = 0, params = 0;
};

Sizes weight_sizes(const EngineBenchConfig& cfg) {
  const gguf::File f = gguf::File::open(cfg.model_path);
  std::optional<quant::Type> to;
  if (cfg.quant) to = engine::parse_requant_type(*cfg.quant, "--quant");
  Sizes s;
  for (const gguf::TensorInfo& t : f.tensors()) {
    s.params += t.n_elements();
    if (to && engine::is_requantizable(t)) s.bytes += t.rows() * quant::row_bytes(*to, t.dims[0]);
    else s.bytes += t.n_bytes();
  }
  return s;
}

// Seconds of one prefill of n tokens (only the last row's logits are computed).
double time_prefill(engine::CpuModel& m, int64_t n, uint32_t salt) {
  const std::vector<int32_t> toks = tokens_for(n, m.info().n_vocab, salt);
  float sink = 0;
  const auto t0 = Clock::now();
  m.eval(toks, n - 1, [&](int64_t, const float* logits) { sink += logits[0]; });
  const double s = seconds_since(t0);
  if (!std::isfinite(sink)) fail(ErrorKind::internal, "bench: non-finite logits in prefill");
  return s;
}

// Seconds of n decode steps after a 1-token prompt (one new token per eval, KV reused).
double time_decode(engine::CpuModel& m, int64_t n, uint32_t salt) {
  const std::vector<int32_t> all = tokens_for(n + 1, m.info().n_vocab, salt);
  std::vector<int32_t> seq(all.begin(), all.begin() + 1);
  float sink = 0;
  auto on = [&](int64_t, const float* logits) { sink += logits[0]; };
  m.eval(seq, 0, on);
  const auto t0 = Clock::now();
  for (int64_t i = 1; i <= n; ++i) {
    seq.push_back(all[static_cast<size_t>(i)]);
    m.eval(seq, i, on);
  }
  const double s = seconds_since(t0);
  if (!std::isfinite(sink)) fail(ErrorKind::internal, "bench: non-finite logits in decode");
  return s;
}

std::string human_bytes(uint64_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", double(b) / double(1ull << 30));
  return fmt::format("{:.2f} MiB", double(b) / double(1ull << 20));
}

std::string human_params(uint64_t p) {
  if (p >= 1000000000ull) return fmt::format("{:.2f} B", double(p) / 1e9);
  return fmt::format("{:.2f} M", double(p) / 1e6);
}

}  // namespace

Stat summarize(std::string name, std::string unit, std::vector<double> values) {
  Stat s{std::move(name), std::move(unit), std::move(values)};
  if (s.values.empty()) return s;
  std::vector<double> v = s.values;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.min = v.front(), s.max = v.back();
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(n);
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stddev = n > 1 ? std::sqrt(ss / double(n - 1)) : 0.0;
  return s;
}

EngineBenchResult run_engine_bench(const EngineBenchConfig& cfg, const std::function<void(const std::string&)>& progress) {
  if (cfg.n_prompt < 0 || cfg.n_gen < 0 || cfg.repetitions < 1 || cfg.threads < 0)
    fail(ErrorKind::invalid_input, "bench engine: -p {} -n {} --repetitions {} --threads {}: expected p, n >= 0, "
         "repetitions >= 1, threads >= 0", cfg.n_prompt, cfg.n_gen, cfg.repetitions, cfg.threads);
  auto say = [&](const std::string& s) { if (progress) progress(s); };
  EngineBenchResult r;
  const Sizes sz = weight_sizes(cfg);
  r.size_bytes = sz.bytes, r.n_params = sz.params;
  engine::LoadOptions lo;
  lo.quant = cfg.quant;
  lo.activations = cfg.activations;
  lo.cpu_gemm = cfg.cpu_gemm;
  lo.threads = cfg.threads;
  lo.max_context = std::max(cfg.n_prompt, cfg.n_gen + 1) + 8;
  const auto t0 = Clock::now();
  engine::CpuModel m(cfg.model_path, lo);
  r.load_s = seconds_since(t0);
  r.info = m.info();
  std::vector<double> pp, ttft, tg;
  uint32_t salt = 1;
  if (cfg.n_prompt > 0) {
    time_prefill(m, cfg.n_prompt, salt++);  // warm-up
    for (int i = 0; i < cfg.repetitions; ++i) {
      const double s = time_prefill(m, cfg.n_prompt, salt++);
      pp.push_back(cfg.n_prompt / s), ttft.push_back(s * 1e3);
      say(fmt::format("pp{} rep {}: {:.1f} tok/s", cfg.n_prompt, i + 1, pp.back()));
    }
    r.stats.push_back(summarize(fmt::format("pp{}", cfg.n_prompt), "tok/s", pp));
  }
  if (cfg.n_gen > 0) {
    time_decode(m, std::min(cfg.n_gen, 16), salt++);  // warm-up
    for (int i = 0; i < cfg.repetitions; ++i) {
      tg.push_back(cfg.n_gen / time_decode(m, cfg.n_gen, salt++));
      say(fmt::format("tg{} rep {}: {:.1f} tok/s", cfg.n_gen, i + 1, tg.back()));
    }
    r.stats.push_back(summarize(fmt::format("tg{}", cfg.n_gen), "tok/s", tg));
  }
  if (!ttft.empty()) r.stats.push_back(summarize(fmt::format("ttft{}", cfg.n_prompt), "ms", ttft));
  struct rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  r.peak_rss_bytes = int64_t(ru.ru_maxrss) * 1024;
  return r;
}

std::string format_table(const EngineBenchResult& r) {
  const std::string model = fmt::format("{} {} {} act={}", r.info.architecture, human_params(r.n_params),
                                        r.info.weight_type, r.info.activations);
  std::string out = fmt::format("| {:<28} | {:>10} | {:>9} | {:<16} | {:>7} | {:>8} | {:>22} |\n", "model", "size",
                                "params", "backend", "threads", "test", "t/s (median ± stddev)");
  out += fmt::format("| {:-<28} | {:->10} | {:->9} | {:-<16} | {:->7} | {:->8} | {:->22} |\n", "", "", "", "", "", "",
                     "");
  for (const Stat& s : r.stats) {
    const std::string val = s.unit == "ms" ? fmt::format("{:.2f} ms ± {:.2f}", s.median, s.stddev)
                                           : fmt::format("{:.2f} ± {:.2f}", s.median, s.stddev);
    out += fmt::format("| {:<28} | {:>10} | {:>9} | {:<16} | {:>7} | {:>8} | {:>22} |\n", model,
                       human_bytes(r.size_bytes), human_params(r.n_params), "CPU " + r.info.isa, r.info.threads, s.name,
                       val);
  }
  out += fmt::format("peak RSS {:.1f} MiB, load {:.2f} s; min/max: ", double(r.peak_rss_bytes) / (1 << 20), r.load_s);
  for (const Stat& s : r.stats) out += fmt::format("{} {:.2f}/{:.2f}  ", s.name, s.min, s.max);
  return out + "\n";
}

}  // namespace ys::perf
