// `yardstick synth`: writes a small random-weight Llama-family model with a working
// byte-level BPE vocabulary (for tests, benchmarks and GPU work on real shapes).
#include "common/error.h"
#include "engine/model/synth.h"
#include "engine/quant/types.h"
#include "runner/cli.h"

#include <fmt/core.h>

namespace {

struct Flags {
  ys::engine::SynthSpec s;
  std::string type = "f32", preset, out;
};

ys::cli::Registrar reg(
    "synth", "Write a synthetic random-weight model (llama|qwen2|moe) as GGUF", [](CLI::App& app) -> ys::cli::RunFn {
      auto f = std::make_shared<Flags>();
      app.add_option("--preset", f->preset, "Real shapes: smollm2-135m|llama3-8b (other flags override)");
      app.add_option("--arch", f->s.arch, "llama|qwen2|moe")->check(CLI::IsMember({"llama", "qwen2", "moe"}));
      app.add_option("--layers", f->s.n_layer, "Number of blocks");
      app.add_option("--dim", f->s.n_embd, "Embedding size");
      app.add_option("--heads", f->s.n_head, "Attention heads");
      app.add_option("--kv-heads", f->s.n_kv_head, "Key/value heads");
      app.add_option("--ffn", f->s.n_ff, "Feed-forward size (per expert)");
      app.add_option("--vocab", f->s.n_vocab, "Vocabulary size (>= 259)");
      app.add_option("--type", f->type, "f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k|q5_k|q6_k");
      app.add_option("--experts", f->s.n_expert, "Experts (moe)");
      app.add_option("--experts-used", f->s.n_expert_used, "Experts used per token (moe)");
      app.add_option("--ctx", f->s.n_ctx, "Context length");
      app.add_option("--seed", f->s.seed, "Random seed");
      app.add_option("--rope-scaling", f->s.rope_scaling, "none|linear|yarn|llama3");
      app.add_option("--rope-factor", f->s.rope_factor, "Rope scaling factor");
      app.add_option("-o,--output", f->out, "Output .gguf path")->required();
      return [f, &app]() {
        ys::engine::SynthSpec s = f->s;
        if (!f->preset.empty()) {
          s = ys::engine::synth_preset(f->preset);
          // Explicit flags override the preset.
          const ys::engine::SynthSpec& x = f->s;
          if (app.count("--arch")) s.arch = x.arch;
          if (app.count("--layers")) s.n_layer = x.n_layer;
          if (app.count("--vocab")) s.n_vocab = x.n_vocab;
          if (app.count("--ctx")) s.n_ctx = x.n_ctx;
          if (app.count("--seed")) s.seed = x.seed;
        }
        const auto t = ys::quant::parse_type(f->type);
        if (!t) ys::fail(ys::ErrorKind::invalid_input, "--type: unknown type '{}'", f->type);
        s.type = *t;
        ys::engine::write_synth_model(s, f->out);
        fmt::print("wrote {} ({} layers, dim {}, {} weights)\n", f->out, s.n_layer, s.n_embd, ys::quant::name(s.type));
        return ys::cli::kExitOk;
      };
    });

}  // namespace
