#include "engine/model/hparams.h"

#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/model/architecture.h"

#include <algorithm>

namespace ys::engine {

namespace {

int required_int(const gguf::File& f, const std::string& key) {
  const gguf::Value* v = f.find(key);
  if (!v) fail(ErrorKind::format, "{}: missing metadata key '{}'", f.path(), key);
  const uint64_t x = v->as_uint(key);
  if (x == 0 || x > (1u << 30)) fail(ErrorKind::format, "{}: key '{}' = {} is out of range", f.path(), key, x);
  return int(x);
}

void check(bool ok, const gguf::File& f, const std::string& what) {
  if (!ok) fail(ErrorKind::format, "{}: inconsistent hyperparameters: {}", f.path(), what);
}

void read_rope_scaling(const gguf::File& f, const std::string& a, HParams& h) {
  std::string type = f.get_string(a + ".rope.scaling.type", "");
  double factor = f.get_float(a + ".rope.scaling.factor", 0.0);
  if (type.empty() && f.find(a + ".rope.scale_linear")) {
    type = "linear";
    factor = f.get_float(a + ".rope.scale_linear", 1.0);
  }
  if (type.empty() || type == "none") return;
  if (factor <= 0.0) fail(ErrorKind::format, "{}: '{}.rope.scaling.factor' must be > 0 for '{}' scaling", f.path(), a, type);
  h.rope_factor = float(factor);
  if (type == "linear") {
    h.rope_scaling = RopeScaling::linear;
  } else if (type == "yarn") {
    h.rope_scaling = RopeScaling::yarn;
    h.rope_n_ctx_orig = int(f.get_uint(a + ".rope.scaling.original_context_length", uint64_t(h.n_ctx_train)));
    h.yarn_ext_factor = float(f.get_float(a + ".rope.scaling.yarn_ext_factor", 1.0));
    h.yarn_attn_factor = float(f.get_float(a + ".rope.scaling.attn_factor", 1.0));
    h.yarn_beta_fast = float(f.get_float(a + ".rope.scaling.yarn_beta_fast", 32.0));
    h.yarn_beta_slow = float(f.get_float(a + ".rope.scaling.yarn_beta_slow", 1.0));
  } else {
    fail(ErrorKind::unsupported, "{}: rope scaling type '{}' (key {}.rope.scaling.type) is not supported; expected none|linear|yarn",
         f.path(), type, a);
  }
}

}  // namespace

HParams read_hparams(const gguf::File& f) {
  HParams h;
  h.arch = f.get_string("general.architecture", "");
  const std::vector<std::string> known = architecture_names();
  if (std::find(known.begin(), known.end(), h.arch) == known.end())
    fail(ErrorKind::unsupported, "{}: general.architecture '{}' is not supported; expected {}", f.path(), h.arch,
         fmt::join(known, " or "));
  const std::string& a = h.arch;
  h.n_layer = required_int(f, a + ".block_count");
  h.n_embd = required_int(f, a + ".embedding_length");
  h.n_ff = required_int(f, a + ".feed_forward_length");
  h.n_head = required_int(f, a + ".attention.head_count");
  h.n_kv_head = int(f.get_uint(a + ".attention.head_count_kv", uint64_t(h.n_head)));
  h.n_ctx_train = required_int(f, a + ".context_length");
  h.rms_eps = float(f.get_float(a + ".attention.layer_norm_rms_epsilon", 1e-5));
  h.rope_freq_base = float(f.get_float(a + ".rope.freq_base", 10000.0));
  h.n_expert = int(f.get_uint(a + ".expert_count", 0));
  h.n_expert_used = int(f.get_uint(a + ".expert_used_count", 0));
  h.n_ff_exp = int(f.get_uint(a + ".expert_feed_forward_length", uint64_t(h.n_ff)));
  h.neox_rope = a == "qwen2" || a == "qwen3" || a == "qwen3moe" || a == "gemma3";
  h.qkv_bias = a == "qwen2";
  if (f.find(a + ".attention.key_length")) {  // heads of their own size (Qwen3, Gemma 3)
    h.head_dim = required_int(f, a + ".attention.key_length");
    const uint64_t vl = f.get_uint(a + ".attention.value_length", uint64_t(h.head_dim));
    check(vl == uint64_t(h.head_dim), f,
          fmt::format("attention.value_length {} differs from attention.key_length {}", vl, h.head_dim));
  } else {
    check(h.n_embd % h.n_head == 0, f,
          fmt::format("embedding_length {} not divisible by head_count {}", h.n_embd, h.n_head));
    h.head_dim = h.n_embd / h.n_head;
  }
  check(h.n_ff_exp > 0 && h.n_ff_exp <= (1 << 24), f, fmt::format("expert_feed_forward_length {} out of range", h.n_ff_exp));
  h.n_rot = int(f.get_uint(a + ".rope.dimension_count", uint64_t(h.head_dim)));
  check(h.n_kv_head > 0 && h.n_head % h.n_kv_head == 0,
        f, fmt::format("head_count {} not a multiple of head_count_kv {}", h.n_head, h.n_kv_head));
  check(h.n_rot > 0 && h.n_rot % 2 == 0 && h.n_rot <= h.head_dim,
        f, fmt::format("rope.dimension_count {} must be even and <= head dim {}", h.n_rot, h.head_dim));
  check(h.rms_eps > 0.0f, f, "attention.layer_norm_rms_epsilon must be > 0");
  check(h.rope_freq_base > 0.0f, f, "rope.freq_base must be > 0");
  check(h.n_expert == 0 || (h.n_expert_used >= 1 && h.n_expert_used <= h.n_expert),
        f, fmt::format("expert_used_count {} must be in [1, expert_count {}]", h.n_expert_used, h.n_expert));
  read_rope_scaling(f, a, h);
  return h;
}

KvMemory kv_memory(const HParams& h, int64_t ctx, KvType kv) {
  const int64_t block = KvLayout{}.block_tokens, elem = kv == KvType::f16 ? 2 : 4;
  KvMemory m;
  m.bytes_per_token = 2 * int64_t(h.n_layer) * h.n_kv_head * h.head_dim * elem;
  m.bytes = (ctx + block - 1) / block * block * m.bytes_per_token;
  return m;
}

RopeConfig HParams::rope_params() const {
  RopeConfig p;
  p.n_rot = n_rot;
  p.neox = neox_rope;
  p.freq_base = rope_freq_base;
  if (rope_scaling != RopeScaling::none) p.freq_scale = 1.0f / rope_factor;
  if (rope_scaling == RopeScaling::yarn) {
    p.ext_factor = yarn_ext_factor;
    p.attn_factor = yarn_attn_factor;
    p.beta_fast = yarn_beta_fast;
    p.beta_slow = yarn_beta_slow;
    p.n_ctx_orig = rope_n_ctx_orig;
  }
  return p;
}

}  // namespace ys::engine
