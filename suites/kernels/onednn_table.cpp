// The side-by-side table of oneDNN and the engine's kernels, and the filter that makes the
// engine's counterparts run with the selected oneDNN benchmarks.
#include "engine/backend/cpu/onednn_gemm.h"
#include "suites/kernels/kernel_bench.h"
#include "suites/kernels/reporter.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <tuple>

namespace ys::kernels {
namespace {

using quant::Type;

// One column: the benchmark name's first two parts and whether its peak is the VNNI one.
struct Column {
  const char* head;
  const char* prefix;  // "<kind>/<dtype>"
  bool int8;
};

const Column kColumns[] = {
    {"engine f32", "matmul/f32", false},
    {"oneDNN f32", "onednn/f32", false},
    {"engine bf16 (f32 act)", "matmul/bf16", false},
    {"oneDNN bf16", "onednn/bf16", false},
    {"oneDNN bf16 fixed", "onednn-fixed/bf16", false},
    {"engine q4_1+f32act", "matmul/q4_1+f32act", false},
    {"engine q8_0 (int8 act)", "matmul/q8_0", true},
    {"oneDNN int8", "onednn/int8", true},
};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".[]{}()\\*+?|^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> partners(const MatmulDims& m) {
  const MatmulShape s{m.model.c_str(), m.rows, m.cols};
  return {matmul_bench_name(Type::f32, s, m.n_tok, cpu::ActPrecision::int8),
          matmul_bench_name(Type::bf16, s, m.n_tok, cpu::ActPrecision::int8),
          matmul_bench_name(Type::q4_1, s, m.n_tok, cpu::ActPrecision::f32),
          matmul_bench_name(Type::q8_0, s, m.n_tok, cpu::ActPrecision::int8)};
}

std::string with_commas(double v) {
  std::string s = fmt::format("{:.0f}", v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

}  // namespace

std::string with_engine_partners(const std::string& filter) {
  if (filter.empty() || filter[0] == '-') return filter;
  std::regex re;
  try {
    re = std::regex(filter, std::regex::extended);
  } catch (const std::regex_error&) {
    return filter;  // Google Benchmark reports it
  }
  // Google Benchmark matches the run names, "<name>/real_time" here.
  auto selected = [&](const std::string& name) { return std::regex_search(name + "/real_time", re); };
  std::set<std::string> extra;
  for (const std::string& name : registered_names()) {
    const KernelMeta* m = find_meta(name);
    const MatmulDims* d = find_dims(name);
    if (m == nullptr || d == nullptr || m->kind != "onednn-matmul" || !selected(name)) continue;
    for (const std::string& p : partners(*d))
      if (!selected(p)) extra.insert(escape(p));
  }
  if (extra.empty()) return filter;
  std::string alt;
  for (const std::string& e : extra) alt += (alt.empty() ? "" : "|") + e;
  return "(" + filter + ")|^(" + alt + ")(/|$)";
}

std::string onednn_table(const std::vector<KernelResult>& results) {
  using Key = std::tuple<std::string, int64_t, int64_t, int64_t>;  // model, rows, cols, n_tok
  struct Cell {
    double tok_s = 0, frac = 0;
    bool error = false;
  };
  std::map<Key, std::map<std::string, Cell>> rows;
  std::set<Key> with_onednn;
  const Peaks& pk = bench_peaks();
  for (const KernelResult& r : results) {
    const KernelMeta* m = find_meta(r.name);
    const MatmulDims* d = find_dims(r.name);
    if (m == nullptr || d == nullptr || d->n_tok <= 0) continue;
    const std::string prefix = r.name.substr(0, r.name.find('/', r.name.find('/') + 1));
    const Column* col = nullptr;
    for (const Column& c : kColumns)
      if (prefix == c.prefix) col = &c;
    if (col == nullptr) continue;
    const Key key{d->model, d->rows, d->cols, d->n_tok};
    if (m->kind == "onednn-matmul") with_onednn.insert(key);
    Cell cell;
    cell.error = !r.error.empty() || r.ns_per_iter <= 0;
    if (!cell.error) {
      cell.tok_s = double(d->n_tok) * 1e9 / r.ns_per_iter;
      const double peak = col->int8 ? pk.vnni_ops_per_s : pk.fma_flops_per_s;
      cell.frac = peak > 0 ? m->flops * 1e9 / r.ns_per_iter / peak : 0;
    }
    rows[key][col->prefix] = cell;
  }
  if (with_onednn.empty()) return {};
  std::string out = fmt::format(
      "\noneDNN {} ({}) vs the engine ({} threads): tokens/s (fraction of the measured peak: FMA {:.0f} GFLOP/s "
      "for f32/bf16, VNNI {:.0f} GOP/s for int8; above 100% = units beyond AVX-512 FMA, e.g. AMX)\n\n",
      cpu::onednn_version(), cpu::onednn_isa(), pk.threads, pk.fma_flops_per_s / 1e9, pk.vnni_ops_per_s / 1e9);
  out += "| model | W rows x cols | t |";
  for (const Column& c : kColumns) out += fmt::format(" {} |", c.head);
  out += " fixed bf16 / engine q4_1+f32act |\n|---|---|--:|";
  for (size_t i = 0; i <= std::size(kColumns); ++i) out += "--:|";
  out += "\n";
  for (const auto& [key, cells] : rows) {
    if (!with_onednn.count(key)) continue;
    const auto& [model, r, c, t] = key;
    out += fmt::format("| {} | {}x{} | {} |", model, r, c, t);
    for (const Column& col : kColumns) {
      auto it = cells.find(col.prefix);
      if (it == cells.end()) out += " - |";
      else if (it->second.error) out += " ERROR |";
      else out += fmt::format(" {} ({:.0f}%) |", with_commas(it->second.tok_s), 100 * it->second.frac);
    }
    auto a = cells.find("onednn-fixed/bf16"), b = cells.find("matmul/q4_1+f32act");
    if (a != cells.end() && b != cells.end() && !a->second.error && !b->second.error && b->second.tok_s > 0)
      out += fmt::format(" {:.2f}x |\n", a->second.tok_s / b->second.tok_s);
    else
      out += " - |\n";
  }
  out += "\nengine bf16: bf16 weights x f32 activations (exact f32 products); oneDNN bf16 rounds the activations to "
         "bf16 too. fixed: the batch-invariant tiles of --cpu-gemm onednn. engine q4_1+f32act: the default model's "
         "path. A cell reading ERROR failed its reference check; - was not run.\n";
  return out;
}

}  // namespace ys::kernels
