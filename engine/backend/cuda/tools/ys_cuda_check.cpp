// ys_cuda_check: the GPU-side driver of tools/gpu-check.sh (one device call).
//   ys_cuda_check devices                      device facts (the hardware record)
//   ys_cuda_check ceilings                     copy bandwidth, cuBLAS f16/bf16 GEMM rate
//   ys_cuda_check compare MODEL [--layers-note] CPU vs CUDA teacher-forced logprobs + greedy
//   ys_cuda_check bench MODEL [pp tg batch] [--deterministic]
//                                              pp512, tg128, one 32-token batch (tokens/s)
//   ys_cuda_check drift MODEL                  logits of one sequence fed 1, 7 and 32 tokens
//                                              per forward call, default vs --deterministic
// Machine-readable lines start with "RESULT <key> <value>"; exit 0 ok, 1 failed, 2 usage,
// 3 a comparison outside its tolerance.
#include "common/error.h"
#include "engine/backend/cpu/cpu_model.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_model.h"
#include "engine/backend/cuda/kernels.h"
#include "engine/runtime/engine.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

using namespace ys;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int devices() {
  const auto devs = engine::cuda_devices();
  std::string why;
  if (devs.empty()) {
    engine::cuda_available(&why);
    fmt::print("no CUDA device: {}\n", why);
    return 1;
  }
  for (const auto& d : devs)
    fmt::print("RESULT device{}.name \"{}\"\nRESULT device{}.cc {}.{}\nRESULT device{}.memory_gib {:.1f}\n"
               "RESULT device{}.sms {}\nRESULT device{}.driver {}\nRESULT device{}.runtime {}\n"
               "RESULT device{}.clock_mhz {}\nRESULT device{}.mem_clock_mhz {}\nRESULT device{}.l2_mib {:.1f}\n",
               d.index, d.name, d.index, d.cc_major, d.cc_minor, d.index, double(d.total_memory) / (1 << 30), d.index,
               d.multiprocessors, d.index, d.driver_version, d.index, d.runtime_version, d.index, d.clock_khz / 1000,
               d.index, d.memory_clock_khz / 1000, d.index, double(d.l2_bytes) / (1 << 20));
  return 0;
}

int ceilings() {
  cuda::init_device(0);
  const uint64_t bytes = uint64_t(2) << 30;
  const double tc = cuda::time_copy(bytes, 20);
  fmt::print("RESULT ceiling.copy_gbs {:.1f}   # device-to-device copy, 2 GiB, read+write bytes\n",
             2.0 * double(bytes) / tc / 1e9);
  for (bool bf : {true, false}) {
    const int n = 8192;
    const double t = cuda::time_gemm(n, n, n, bf, 20);
    fmt::print("RESULT ceiling.gemm_{}_tflops {:.1f}   # cuBLAS {}^3, f32 accumulation, random data\n",
               bf ? "bf16" : "f16", 2.0 * double(n) * n * n / t / 1e12, n);
  }
  return 0;
}

std::string compare_text() {
  std::string s;
  for (int i = 0; i < 3; ++i)
    s += "The quick brown fox jumps over the lazy dog. Question: what is 12 plus 30? Answer: 42.\n"
         "for i in range(10):\n    print(i)\nZebras are striped; the end of the story is near.\n";
  return s;
}

int compare(const std::string& path) {
  engine::CpuModel cpu(path, {});
  const double t0 = now();
  auto gpu = engine::load_cuda_model(path, {}, 0);
  fmt::print("RESULT compare.load_s {:.2f}\n", now() - t0);
  const std::string text = compare_text();
  const auto a = cpu.token_logprobs(text), b = gpu->token_logprobs(text);
  double mx = 0, mean = 0;
  size_t agree = 0;
  for (size_t i = 1; i < a.size(); ++i) {
    const double e = std::fabs(a[i].logprob - b[i].logprob);
    mx = (e == e) ? std::max(mx, e) : INFINITY;
    mean += e;
    agree += a[i].argmax == b[i].argmax;
  }
  const double n = double(std::max<size_t>(1, a.size() - 1));
  engine::GenerateRequest r;
  r.prompt = "The quick brown";
  r.max_tokens = 32;
  const bool same = cpu.generate({r})[0].text == gpu->generate({r})[0].text;
  fmt::print("RESULT compare.tokens {}\nRESULT compare.max_abs_dlogprob {:.5f}\nRESULT compare.mean_abs_dlogprob {:.5f}\n"
             "RESULT compare.argmax_agreement {:.4f}\nRESULT compare.greedy32_identical {}\n",
             a.size(), mx, mean / n, double(agree) / n, same ? 1 : 0);
  return (mx <= 0.5 && mean / n <= 0.1) ? 0 : 3;
}

double active_params(const engine::HParams& h) {
  const double e = h.n_embd, qd = double(h.n_head) * h.head_dim, kvd = double(h.n_kv_head) * h.head_dim;
  const double ffn = 3.0 * e * h.n_ff * (h.n_expert ? h.n_expert_used : 1) + (h.n_expert ? e * h.n_expert : 0.0);
  return h.n_layer * (2 * e * qd + 2 * e * kvd + ffn) + e * h.n_vocab;
}

// Timings through the shared runtime (Engine::eval_argmax): pp = one prompt of `pp` new
// tokens (steps of Backend::step_rows rows, the last row's argmax), tg = `tg` decode steps
// of one sequence (each reuses the cached prefix and runs one row), b = `batch` new tokens
// of one sequence in one step.
int bench(const std::string& path, int pp, int tg, int batch, bool deterministic) {
  engine::LoadOptions opt;
  opt.deterministic = deterministic;
  opt.max_context = std::max({pp, tg + 1, batch}) + 8;
  auto m = engine::load_cuda_model(path, opt, 0);
  auto& e = static_cast<runtime::Engine&>(*m);
  auto& be = static_cast<cuda::CudaBackend&>(e.backend());
  const engine::HParams& h = e.hparams();
  uint32_t salt = 1;
  auto tokens = [&](int n) {  // a fresh first token each time: no prefix is shared with earlier calls
    std::vector<int32_t> t(size_t(std::max(n, 1)));
    ++salt;
    for (size_t i = 0; i < t.size(); ++i) t[i] = int32_t((i * 7919 + 13 + salt * 104729) % size_t(h.n_vocab));
    return t;
  };
  int32_t sink = 0;
  auto on = [&](int64_t, int32_t am) { sink ^= am; };
  auto run_pp = [&] {
    const auto t = tokens(pp);
    e.eval_argmax(t, pp - 1, on);
  };
  auto run_tg = [&] {
    const auto all = tokens(tg + 1);
    std::vector<int32_t> seq(all.begin(), all.begin() + 1);
    e.eval_argmax(seq, 0, on);
    const double t0 = now();
    for (int i = 1; i <= tg; ++i) {
      seq.push_back(all[size_t(i)]);
      e.eval_argmax(seq, i, on);
    }
    return now() - t0;
  };
  run_pp();  // warm-up (cuBLAS heuristics, first-touch, graph capture)
  run_tg();
  std::vector<double> t_pp, t_tg, t_b;
  for (int rep = 0; rep < 3; ++rep) {
    double t = now();
    run_pp();
    t_pp.push_back(now() - t);
    t_tg.push_back(run_tg());
    const auto b = tokens(batch);
    t = now();
    e.eval_argmax(b, 0, on);
    t_b.push_back(now() - t);
  }
  auto med = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
  const double params = active_params(h);
  fmt::print("RESULT bench.deterministic {}\n", deterministic ? 1 : 0);
  fmt::print("RESULT bench.weight_gib {:.3f}\nRESULT bench.active_params_g {:.3f}\n", double(be.weight_bytes()) / (1 << 30),
             params / 1e9);
  fmt::print("RESULT bench.pp{}_tps {:.1f}\nRESULT bench.pp{}_tflops {:.2f}\n", pp, pp / med(t_pp), pp,
             2.0 * params * pp / med(t_pp) / 1e12);
  fmt::print("RESULT bench.tg{}_tps {:.1f}\nRESULT bench.tg_weight_gbs {:.1f}\n", tg, tg / med(t_tg),
             double(be.weight_bytes()) * tg / med(t_tg) / 1e9);
  fmt::print("RESULT bench.b{}_tps {:.1f}   # {} tokens of one sequence in one step (batched path)\n", batch,
             batch / med(t_b), batch);
  return sink == -1 ? 1 : 0;
}

// Logits [n, n_vocab] of toks fed `group` tokens per step (each eval shares the cached
// prefix, so it runs exactly the next group).
std::vector<float> logits_in_groups(runtime::Engine& e, const std::vector<int32_t>& toks, int64_t group) {
  const int64_t nv = e.hparams().n_vocab, n = int64_t(toks.size());
  std::vector<float> out(size_t(n * nv), std::nanf(""));
  for (int64_t p0 = 0; p0 < n; p0 += group) {
    const std::vector<int32_t> prefix(toks.begin(), toks.begin() + std::min(n, p0 + group));
    e.eval(prefix, p0, [&](int64_t pos, const float* l) { std::copy_n(l, nv, out.begin() + pos * nv); });
  }
  return out;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double mx = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    mx = (d == d) ? std::max(mx, d) : INFINITY;
  }
  return mx;
}

// Batch drift of one 64-token sequence: max |dlogit| of 7 and 32 tokens per call against
// one per call, without and with --deterministic (which must print 0).
int drift(const std::string& path) {
  for (bool det : {false, true}) {
    engine::LoadOptions opt;
    opt.deterministic = det;
    auto m = engine::load_cuda_model(path, opt, 0);
    auto& e = static_cast<runtime::Engine&>(*m);
    std::vector<int32_t> toks(64);
    for (size_t i = 0; i < toks.size(); ++i) toks[i] = int32_t((i * 7919 + 13) % size_t(e.hparams().n_vocab));
    const auto alone = logits_in_groups(e, toks, 1);
    const char* mode = det ? "deterministic" : "default";
    for (int g : {7, 32})
      fmt::print("RESULT drift.{}_max_dlogit_b{} {:.3g}\n", mode, g, max_abs_diff(alone, logits_in_groups(e, toks, g)));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  const auto det_flag = std::find(a.begin(), a.end(), std::string("--deterministic"));
  const bool deterministic = det_flag != a.end();
  if (deterministic) a.erase(det_flag);
  try {
    if (a.size() == 1 && a[0] == "devices") return devices();
    std::string why;
    if (!engine::cuda_available(&why)) {
      fmt::print("SKIP no CUDA device: {}\n", why);
      return 0;
    }
    if (a.size() == 1 && a[0] == "ceilings") return ceilings();
    if (a.size() == 2 && a[0] == "compare") return compare(a[1]);
    if (a.size() >= 2 && a[0] == "bench")
      return bench(a[1], a.size() > 2 ? std::stoi(a[2]) : 512, a.size() > 3 ? std::stoi(a[3]) : 128,
                   a.size() > 4 ? std::stoi(a[4]) : 32, deterministic);
    if (a.size() == 2 && a[0] == "drift") return drift(a[1]);
  } catch (const Error& e) {
    fmt::print(stderr, "ys_cuda_check: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ys_cuda_check: {}\n", e.what());
    return 2;
  }
  fmt::print(stderr, "usage: ys_cuda_check devices | ceilings | compare MODEL | bench MODEL [pp tg batch] "
                     "[--deterministic] | drift MODEL\n");
  return 2;
}
