// `yardstick synth`: writes a small random-weight model of any architecture the engine runs
// (llama, qwen2, moe, qwen3, qwen3moe, gemma3, llama4) with a working byte-level BPE
// vocabulary (for tests, benchmarks and GPU work on real shapes).
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
    "synth", "Write a synthetic random-weight model (llama|qwen2|moe|qwen3|qwen3moe|gemma3|llama4) as GGUF",
    [](CLI::App& app) -> ys::cli::RunFn {
      auto f = std::make_shared<Flags>();
      app.add_option("--preset", f->preset,
                     "Real shapes: smollm2-135m|llama3-8b|gemma3-270m|qwen3-0.6b (other flags override)");
      app.add_option("--arch", f->s.arch, "llama|qwen2|moe|qwen3|qwen3moe|gemma3|llama4")
          ->check(CLI::IsMember(ys::engine::synth_arch_names()));
      app.add_option("--layers", f->s.n_layer, "Number of blocks");
      app.add_option("--dim", f->s.n_embd, "Embedding size");
      app.add_option("--heads", f->s.n_head, "Attention heads");
      app.add_option("--kv-heads", f->s.n_kv_head, "Key/value heads");
      app.add_option("--ffn", f->s.n_ff, "Feed-forward size (per expert)");
      app.add_option("--vocab", f->s.n_vocab, "Vocabulary size (>= 259)");
      app.add_option("--type", f->type, "f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k|q5_k|q6_k");
      app.add_option("--experts", f->s.n_expert, "Experts (moe, qwen3moe, llama4)");
      app.add_option("--experts-used", f->s.n_expert_used, "Experts used per token (moe, qwen3moe, llama4)");
      app.add_option("--expert-ffn", f->s.n_ff_exp, "Expert feed-forward size (qwen3moe, llama4; default --ffn)");
      app.add_option("--head-dim", f->s.head_dim, "Head size written as attention.key_length (default dim/heads)");
      app.add_option("--moe-step", f->s.moe_step, "llama4: every N-th layer is MoE (interleave_moe_layer_step)");
      app.add_option("--window", f->s.window,
                     "gemma3: sliding window; llama4: attention chunk (0 turns chunking off; default: key absent)");
      app.add_option("--swa-rope-base", f->s.freq_base_swa, "gemma3/llama4: rope.freq_base_swa");
      app.add_option("--final-softcap", f->s.final_softcap, "gemma3: final_logit_softcapping");
      app.add_option("--rope-base", f->s.rope_freq_base, "rope.freq_base");
      app.add_option("--ctx", f->s.n_ctx, "Context length");
      app.add_option("--seed", f->s.seed, "Random seed");
      app.add_option("--rope-scaling", f->s.rope_scaling, "none|linear|yarn|llama3");
      app.add_option("--rope-factor", f->s.rope_factor, "Rope scaling factor");
      app.add_option("--rope-orig-ctx", f->s.rope_orig_ctx, "yarn/llama3 original context length");
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
          if (app.count("--window")) s.window = x.window;
        }
        const auto t = ys::quant::parse_type(f->type);
        if (!t) ys::fail(ys::ErrorKind::invalid_input, "--type: unknown type '{}'", f->type);
        s.type = *t;
        ys::engine::write_synth_model(s, f->out);
        fmt::print("wrote {} ({}, {} layers, dim {}, {} weights)\n", f->out, s.arch, s.n_layer, s.n_embd,
                   ys::quant::name(s.type));
        return ys::cli::kExitOk;
      };
    });

}  // namespace
