// Hyperparameters of a Llama-family model, read from GGUF metadata `<arch>.*`.
#pragma once

#include "engine/model/backend.h"

#include <string>

namespace ys::gguf {
class File;
}

namespace ys::engine {

enum class RopeScaling { none, linear, yarn };

struct HParams {
  std::string arch;          // general.architecture (architecture_names())
  int n_layer = 0;           // block_count
  int n_embd = 0;            // embedding_length
  int n_ff = 0;              // feed_forward_length (per expert for MoE)
  int n_head = 0;            // attention.head_count
  int n_kv_head = 0;         // attention.head_count_kv (default n_head)
  int head_dim = 0;          // attention.key_length (= value_length), default n_embd / n_head
  int n_rot = 0;             // rope.dimension_count (default head_dim)
  int n_ctx_train = 0;       // context_length
  int n_vocab = 0;           // from token_embd.weight
  int n_expert = 0;          // expert_count (0 = dense)
  int n_expert_used = 0;     // expert_used_count
  int n_ff_exp = 0;          // expert_feed_forward_length (default n_ff)
  float rms_eps = 1e-5f;     // attention.layer_norm_rms_epsilon
  bool neox_rope = false;    // qwen2, qwen3, qwen3moe, gemma3
  bool qkv_bias = false;     // qwen2
  float rope_freq_base = 10000.0f;
  RopeScaling rope_scaling = RopeScaling::none;
  float rope_factor = 1.0f;  // rope.scaling.factor
  int rope_n_ctx_orig = 0;   // rope.scaling.original_context_length
  float yarn_ext_factor = 0.0f, yarn_attn_factor = 1.0f, yarn_beta_fast = 32.0f, yarn_beta_slow = 1.0f;

  // RoPE parameters for the ops (freq_factors filled in by the caller when present).
  RopeConfig rope_params() const;
};

// Reads and validates the hyperparameters. Throws ys::Error naming the file and key.
HParams read_hparams(const gguf::File& f);

// Key/value cache memory of one sequence of `ctx` positions at type `kv`, as the runtime
// allocates it: keys and values of every layer (n_kv_head * head_dim elements each), in blocks
// of KvLayout{}.block_tokens positions (sliding-window and chunked layers keep every position
// too).
struct KvMemory {
  int64_t bytes_per_token = 0;
  int64_t bytes = 0;  // ctx rounded up to whole blocks
};
KvMemory kv_memory(const HParams& h, int64_t ctx, KvType kv);

}  // namespace ys::engine
