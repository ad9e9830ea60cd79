// `yardstick generate`: stream a completion of a prompt to stdout.
#include "common/error.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/gguf/gguf.h"
#include "runner/cli.h"
#include "runner/model_loader.h"

#include <fmt/core.h>

#include <cstdio>

namespace {

struct Flags {
  std::string model = ys::cli::default_model_path(), prompt, quant, device = "cpu", activations = "f32";
  int max_tokens = 128, top_k = 0, threads = 0;
  double temp = 0.0, top_p = 1.0;
  uint64_t seed = 0;
  bool chat = false;
};

void print_piece(void*, const std::string& piece) {
  std::fwrite(piece.data(), 1, piece.size(), stdout);
  std::fflush(stdout);
}

ys::cli::Registrar reg("generate", "Generate text from a prompt (streams to stdout)", [](CLI::App& app) -> ys::cli::RunFn {
  auto f = std::make_shared<Flags>();
  app.add_option("--model", f->model, "GGUF model path");
  app.add_option("--prompt", f->prompt, "Prompt text")->required();
  app.add_option("--max-tokens", f->max_tokens, "Maximum new tokens")->check(CLI::NonNegativeNumber);
  app.add_option("--temp", f->temp, "Temperature (0 = greedy)")->check(CLI::NonNegativeNumber);
  app.add_option("--top-k", f->top_k, "Top-k (0 = off)")->check(CLI::NonNegativeNumber);
  app.add_option("--top-p", f->top_p, "Top-p (1 = off)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--seed", f->seed, "Sampling seed");
  app.add_flag("--chat", f->chat, "Wrap the prompt in the model's chat template (user turn)");
  app.add_option("--device", f->device, "cpu or cuda[:N]");
  app.add_option("--quant", f->quant, "Re-quantize at load: f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1");
  app.add_option("--threads", f->threads, "CPU threads (0 = all)")->check(CLI::NonNegativeNumber);
  app.add_option("--activations", f->activations, "Activations against quantized weights: f32 (exact, default) | int8 (llama.cpp's 8-bit numerics)");
  return [f]() {
    ys::engine::LoadOptions opt;
    if (!f->quant.empty()) opt.quant = f->quant;
    opt.activations = f->activations;
    opt.threads = f->threads;
    std::string prompt = f->prompt;
    if (f->chat) {
      const auto vocab = ys::tok::vocab_from_gguf(ys::gguf::File::open(f->model));
      prompt = ys::tok::apply_chat_template(vocab, {{"user", f->prompt}}, true);
    }
    auto m = ys::runner::open_model(f->model, opt, f->device);
    ys::engine::GenerateRequest r;
    r.prompt = prompt;
    r.max_tokens = f->max_tokens;
    r.sampler = {f->temp, f->top_k, f->top_p, f->seed};
    const auto res = m->generate({r}, print_piece, nullptr);
    fmt::print("\n");
    fmt::print(stderr, "[{} prompt tokens, {} generated, stop: {}]\n", res[0].n_prompt_tokens, res[0].n_tokens,
               ys::engine::to_string(res[0].reason));
    return ys::cli::kExitOk;
  };
});

}  // namespace
