// Synthetic models of every architecture the engine runs (llama, qwen2, Mixtral-style MoE,
// qwen3, qwen3moe, gemma3, llama4): random weights of any shape and weight type, scaled so
// activations stay O(1), with a small working byte-level BPE vocabulary (256 byte tokens,
// merges learned from a built-in text, <|endoftext|>/<|im_start|>/<|im_end|> specials).
// Used by the exactness tests and `yardstick synth`; deterministic for a given spec.
#pragma once

#include "engine/gguf/gguf.h"
#include "engine/quant/types.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ys::engine {

struct SynthSpec {
  // llama | qwen2 (QKV biases, NeoX rope) | moe (llama layout) | qwen3 | qwen3moe | gemma3 | llama4
  std::string arch = "llama";
  int n_layer = 2, n_embd = 64, n_head = 4, n_kv_head = 2, n_ff = 96, n_vocab = 320, n_ctx = 256;
  int n_expert = 4, n_expert_used = 2;  // moe, qwen3moe, llama4
  int head_dim = 0;                  // > 0: attention.key_length/value_length (heads of their own size)
  int n_ff_exp = 0;                  // qwen3moe, llama4: expert_feed_forward_length (0: n_ff)
  int moe_step = 2;                  // llama4: interleave_moe_layer_step (every moe_step-th layer is MoE)
  int64_t window = -1;               // gemma3: attention.sliding_window; llama4: chunk size (-1: key absent)
  float freq_base_swa = 0.0f;        // gemma3 / llama4: rope.freq_base_swa (0: key absent)
  float final_softcap = 0.0f;        // gemma3: final_logit_softcapping (0: key absent)
  bool moe_norm = true;              // qwen3moe: false writes expert_weights_norm = false
  quant::Type type = quant::Type::f32;  // type of every matrix (norms/biases stay f32)
  uint64_t seed = 1;
  bool tied = true;                  // no output.weight: the output reuses token_embd
  bool add_bos = false;              // tokenizer.ggml.add_bos_token
  float rope_freq_base = 10000.0f;
  std::string rope_scaling = "none"; // none | linear | yarn | llama3 (rope_freqs.weight factors)
  float rope_factor = 4.0f;          // linear / yarn / llama3 factor
  int rope_orig_ctx = 64;            // yarn / llama3 original context length
  float weight_scale = 1.0f;         // multiplies every matrix's standard deviation
};

// Shapes of real models: "smollm2-135m", "llama3-8b", "gemma3-270m", "qwen3-0.6b".
// Throws ys::Error(invalid_input).
SynthSpec synth_preset(const std::string& name);

// The --arch values synth_model accepts.
std::vector<std::string> synth_arch_names();

// The model as an in-memory GGUF writer. Throws ys::Error for an invalid spec or a type
// that cannot be quantized.
gguf::Writer synth_model(const SynthSpec& spec);
void write_synth_model(const SynthSpec& spec, const std::filesystem::path& path);

// The llama3 rope frequency divisors (rope_freqs.weight) for n_rot/2 pairs.
std::vector<float> llama3_freq_factors(int n_rot, float base, float factor, float low_freq_factor,
                                       float high_freq_factor, int orig_ctx);

// Adds tokenizer.* metadata: a byte-level BPE vocabulary of exactly n_vocab tokens.
void add_synth_vocab(gguf::Writer& w, int n_vocab, bool add_bos);

}  // namespace ys::engine
