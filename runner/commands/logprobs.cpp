// `yardstick logprobs`: teacher-forced per-token logprobs of a text file.
#include "common/error.h"
#include "engine/model/model.h"
#include "runner/cli.h"
#include "runner/model_loader.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace {

struct Flags {
  std::string model = ys::cli::default_model_path(), text_file, quant, device = "cpu", activations = "f32";
  bool json = false;
  int threads = 0;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ys::fail(ys::ErrorKind::io, "--text-file: cannot open '{}'", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ys::cli::Registrar reg("logprobs", "Print teacher-forced per-token logprobs of a text", [](CLI::App& app) -> ys::cli::RunFn {
  auto f = std::make_shared<Flags>();
  app.add_option("--model", f->model, "GGUF model path");
  app.add_option("--text-file", f->text_file, "Text to score")->required();
  app.add_flag("--json", f->json, "JSON output");
  app.add_option("--device", f->device, "cpu or cuda[:N]");
  app.add_option("--quant", f->quant, "Re-quantize at load: f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1");
  app.add_option("--threads", f->threads, "CPU threads (0 = all)");
  app.add_option("--activations", f->activations, "Activations against quantized weights: f32 (exact, default) | int8 (llama.cpp's 8-bit numerics)");
  return [f]() {
    ys::engine::LoadOptions opt;
    if (!f->quant.empty()) opt.quant = f->quant;
    opt.activations = f->activations;
    opt.threads = f->threads;
    const std::string text = read_text(f->text_file);
    auto m = ys::runner::open_model(f->model, opt, f->device);
    const auto lps = m->token_logprobs(text);
    double sum = 0;
    for (const auto& t : lps) sum += t.logprob;
    if (f->json) {
      nlohmann::json j;
      j["tokens"] = nlohmann::json::array();
      for (const auto& t : lps) j["tokens"].push_back({{"id", t.id}, {"logprob", t.logprob}, {"argmax", t.argmax}});
      j["sum"] = sum;
      fmt::print("{}\n", j.dump());
    } else {
      for (size_t i = 0; i < lps.size(); ++i)
        fmt::print("{}\t{}\t{:.6f}\t{}\n", i, lps[i].id, lps[i].logprob, lps[i].argmax);
      fmt::print("sum\t{:.6f}\n", sum);
    }
    return ys::cli::kExitOk;
  };
});

}  // namespace
