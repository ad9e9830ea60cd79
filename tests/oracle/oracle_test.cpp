// The engine against an independent fp64 oracle on the real SmolLM2-135M-Instruct Q4_1 model
// (issue 3): tests/fixtures/model/smollm2_numpy_ref.json holds teacher-forced logprobs from a
// numpy float64 forward pass over weights dequantized by gguf-py (tools/gen_numpy_reference.py).
// The default path (Q4_1 weights as stored, f32 activations) and `--quant f32` (weights
// dequantized at load) compute the same function in f32 -- bit for bit -- so both must agree
// to 1e-3 mean |dlogprob|; `--activations int8` (8-bit activations, like llama.cpp) is
// reported. Skipped with a warning when the model or the fixture is absent.
#include "engine/model/model.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace ys;

namespace {

std::filesystem::path real_model() {
  const char* env = std::getenv("YARDSTICK_MODEL");
  return env ? std::filesystem::path(env)
             : std::filesystem::path(YS_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
}

std::filesystem::path fixture_path() {
  return std::filesystem::path(YS_SOURCE_DIR) / "tests/fixtures/model/smollm2_numpy_ref.json";
}

struct Paragraph {
  std::string name;
  std::vector<int32_t> ids;
  std::vector<double> logprobs;  // [0] is 0 (no prediction for the first token)
  std::vector<int32_t> argmax;
};

// Reads and bounds-checks the oracle fixture (ids within the vocabulary, lengths agree).
std::vector<Paragraph> read_fixture(const std::filesystem::path& path, int64_t n_vocab) {
  std::ifstream in(path);
  const nlohmann::json j = nlohmann::json::parse(in);
  std::vector<Paragraph> out;
  for (const auto& p : j.at("paragraphs")) {
    Paragraph q{p.at("name").get<std::string>(), p.at("ids").get<std::vector<int32_t>>(),
                p.at("logprobs").get<std::vector<double>>(), p.at("argmax").get<std::vector<int32_t>>()};
    INFO(path << ": paragraph " << q.name);
    REQUIRE(q.ids.size() >= 2);
    REQUIRE(q.logprobs.size() == q.ids.size());
    REQUIRE(q.argmax.size() == q.ids.size());
    for (const int32_t t : q.ids) REQUIRE((t >= 0 && t < n_vocab));
    out.push_back(std::move(q));
  }
  return out;
}

// Log-softmax of one logits row at `target`, in double, and the argmax (lowest id on ties).
std::pair<double, int32_t> logprob_and_argmax(const float* l, int64_t n, int32_t target) {
  const int64_t am = std::max_element(l, l + n) - l;
  const double mx = l[am];
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(double(l[i]) - mx);
  return {double(l[target]) - mx - std::log(sum), int32_t(am)};
}

struct Agreement {
  size_t n = 0, agree = 0;
  double sum_abs = 0, max_abs = 0;
  double mean() const { return n ? sum_abs / double(n) : 0.0; }
  double argmax_rate() const { return n ? double(agree) / double(n) : 0.0; }
};

Agreement compare(engine::Model& m, const std::vector<Paragraph>& paras) {
  Agreement a;
  for (const auto& p : paras) {
    m.next_token_logits(p.ids, [&](int64_t pos, const float* logits, int64_t n_vocab) {
      REQUIRE((pos >= 0 && size_t(pos + 1) < p.ids.size()));
      const size_t i = size_t(pos + 1);
      const auto [lp, am] = logprob_and_argmax(logits, n_vocab, p.ids[i]);
      const double d = std::abs(lp - p.logprobs[i]);
      a.sum_abs += d, a.max_abs = std::max(a.max_abs, d), ++a.n;
      a.agree += am == p.argmax[i];
    });
  }
  return a;
}


bool present() {
  if (std::filesystem::exists(real_model()) && std::filesystem::exists(fixture_path())) return true;
  WARN("skipped: " << real_model() << " or " << fixture_path() << " is missing");
  return false;
}

size_t n_predictions(const std::vector<Paragraph>& paras) {
  size_t n = 0;
  for (const auto& p : paras) n += p.ids.size() - 1;
  return n;
}

// Loads the model with `opt`, scores every fixture position and reports the agreement.
Agreement measure(const engine::LoadOptions& opt, const std::string& label,
                  std::unique_ptr<engine::Model>* keep = nullptr) {
  auto m = engine::load_model(real_model(), opt);
  const auto paras = read_fixture(fixture_path(), m->info().n_vocab);
  const Agreement a = compare(*m, paras);
  REQUIRE(a.n == n_predictions(paras));  // every position was scored
  WARN("SmolLM2 " << label << " vs fp64 oracle over " << a.n << " tokens: mean |dlogprob| " << a.mean() << ", max "
                  << a.max_abs << ", argmax agreement " << a.argmax_rate());
  if (keep) *keep = std::move(m);
  return a;
}

}  // namespace

TEST_CASE("SmolLM2 exact path (--quant f32) matches the fp64 numpy oracle to 1e-3") {
  if (!present()) return;
  engine::LoadOptions opt;
  opt.quant = "f32";
  const Agreement a = measure(opt, "--quant f32");
  CHECK(a.mean() <= 1e-3);
  CHECK(a.argmax_rate() >= 0.99);
}

TEST_CASE("SmolLM2 default path (stored Q4_1 weights, f32 activations) matches the fp64 oracle to 1e-3") {
  if (!present()) return;
  std::unique_ptr<engine::Model> m;
  const Agreement a = measure({}, "default path", &m);
  REQUIRE(m->info().activations == "f32");
  CHECK(a.mean() <= 1e-3);
  CHECK(a.argmax_rate() >= 0.99);
  // And it is the --quant f32 function exactly: same logits bits on the first paragraph.
  const auto ids = read_fixture(fixture_path(), m->info().n_vocab)[0].ids;
  engine::LoadOptions f32;
  f32.quant = "f32";
  const auto mf = engine::load_model(real_model(), f32);
  std::vector<std::vector<float>> rows;
  m->next_token_logits(ids, [&](int64_t, const float* l, int64_t n) { rows.emplace_back(l, l + n); });
  size_t i = 0, same = 0;
  mf->next_token_logits(ids, [&](int64_t, const float* l, int64_t n) {
    same += i < rows.size() && std::equal(l, l + n, rows[i].begin());
    ++i;
  });
  CHECK(i == rows.size());
  CHECK(same == rows.size());
}

TEST_CASE("SmolLM2 --activations int8 against the fp64 numpy oracle (reported)") {
  if (!present()) return;
  engine::LoadOptions opt;
  opt.activations = "int8";
  // Not a correctness bound: activation quantization is a deliberate approximation (like
  // llama.cpp's, which is 0.042 mean away from the same oracle); reported for the record.
  // Measured 2026-11-27 (after the attention rewrite): mean 0.0452, max 0.336.
  const Agreement a = measure(opt, "int8 activations");
  CHECK(a.mean() < 0.2);
  CHECK(a.mean() > 1e-3);  // the activations really were quantized
}

TEST_CASE("SmolLM2 --cpu-gemm onednn (bf16 products) against the fp64 numpy oracle") {
  if (!present()) return;
  engine::LoadOptions opt;
  opt.cpu_gemm = "onednn";
  // bf16 rounding of weights and activations in every matrix product (oneDNN); measured
  // 2026-12-06 over 212 tokens: mean 0.0109, max 0.078, argmax agreement 0.991. Bounded at ~4.5x the
  // measured mean, under the int8 path's 0.045.
  const Agreement a = measure(opt, "--cpu-gemm onednn");
  CHECK(a.mean() < 0.05);
  CHECK(a.mean() > 1e-4);  // the products really ran in bf16
  CHECK(a.argmax_rate() >= 0.95);
}
