#include "engine/model/synth.h"

#include "common/error.h"
#include "engine/quant/quant.h"
#include "engine/runtime/rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ys::engine {

namespace {

using gguf::Value;

class WeightGen {
 public:
  WeightGen(const SynthSpec& s, gguf::Writer& w) : s_(s), w_(w), rng_(s.seed) {}

  // Uniform values with the given standard deviation around `mean`.
  std::vector<float> random(uint64_t n, double stddev, double mean = 0.0) {
    std::vector<float> v(n);
    const double a = stddev * std::sqrt(3.0);
    for (auto& x : v) x = float(mean + a * (2.0 * rng_.uniform() - 1.0));
    return v;
  }
  void f32(const std::string& name, std::vector<uint64_t> dims, const std::vector<float>& v) {
    std::vector<uint8_t> bytes(v.size() * sizeof(float));
    std::memcpy(bytes.data(), v.data(), bytes.size());
    w_.add_tensor(name, std::move(dims), quant::Type::f32, std::move(bytes));
  }
  void vec(const std::string& name, uint64_t n, double stddev, double mean) { f32(name, {n}, random(n, stddev, mean)); }
  // A matrix of dims [cols, rows(, n_mat)] with std weight_scale/sqrt(cols), in the spec's type.
  void mat(const std::string& name, std::vector<uint64_t> dims, double stddev = 0.0) {
    const uint64_t cols = dims[0];
    uint64_t rows = 1;
    for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
    if (stddev == 0.0) stddev = s_.weight_scale / std::sqrt(double(cols));
    const quant::Type t = s_.type;
    if (cols % quant::traits(t).block_size != 0)
      fail(ErrorKind::invalid_input, "synth: tensor '{}' row length {} is not a multiple of the {} block size {}",
           name, cols, quant::name(t), quant::traits(t).block_size);
    const uint64_t rb = quant::row_bytes(t, cols);
    std::vector<uint8_t> bytes(rb * rows);
    for (uint64_t r = 0; r < rows; ++r) {
      const std::vector<float> row = random(cols, stddev);
      quant::quantize_row(t, row.data(), bytes.data() + r * rb, int64_t(cols));
    }
    w_.add_tensor(name, std::move(dims), t, std::move(bytes));
  }

 private:
  const SynthSpec& s_;
  gguf::Writer& w_;
  runtime::Rng rng_;
};

bool has_experts(const SynthSpec& s) { return s.arch == "moe" || s.arch == "qwen3moe" || s.arch == "llama4"; }
bool has_qk_norm(const SynthSpec& s) { return s.arch == "qwen3" || s.arch == "qwen3moe" || s.arch == "gemma3"; }
int head_size(const SynthSpec& s) { return s.head_dim > 0 ? s.head_dim : s.n_embd / s.n_head; }
int expert_ff(const SynthSpec& s) { return s.n_ff_exp > 0 ? s.n_ff_exp : s.n_ff; }

void check_spec(const SynthSpec& s) {
  auto bad = [](const std::string& what) { fail(ErrorKind::invalid_input, "synth: {}", what); };
  const std::vector<std::string> archs = synth_arch_names();
  if (std::find(archs.begin(), archs.end(), s.arch) == archs.end())
    bad(fmt::format("--arch: expected {}, got {}", fmt::join(archs, "|"), s.arch));
  if (s.n_layer < 1 || s.n_embd < 2 || s.n_head < 1 || s.n_kv_head < 1 || s.n_ff < 1 || s.n_ctx < 2)
    bad("--layers, --dim, --heads, --kv-heads, --ffn, --ctx must be positive");
  if (s.head_dim < 0 || s.n_ff_exp < 0 || s.moe_step < 1) bad("--head-dim, --expert-ffn must be >= 0, --moe-step >= 1");
  if (s.head_dim == 0 && s.n_embd % s.n_head != 0) bad("--dim must be a multiple of --heads (or set --head-dim)");
  if (head_size(s) % 2 != 0) bad("the head size must be even");
  if (s.n_head % s.n_kv_head != 0) bad("--heads must be a multiple of --kv-heads");
  if (has_experts(s) && (s.n_expert < 1 || s.n_expert_used < 1 || s.n_expert_used > s.n_expert))
    bad("--experts-used must be in [1, --experts]");
  if (s.window < -1) bad("--window must be >= 0");
  if (!quant::can_quantize(s.type)) bad(std::string("--type ") + quant::name(s.type) + " cannot be quantized");
  if (s.rope_scaling != "none" && s.rope_scaling != "linear" && s.rope_scaling != "yarn" && s.rope_scaling != "llama3")
    bad("--rope-scaling: expected none|linear|yarn|llama3, got " + s.rope_scaling);
}

void add_arch_hparams(const SynthSpec& s, const std::string& a, gguf::Writer& w) {
  if (s.head_dim > 0) {
    w.set(a + ".attention.key_length", Value::make_u32(uint32_t(s.head_dim)));
    w.set(a + ".attention.value_length", Value::make_u32(uint32_t(s.head_dim)));
  }
  if (has_experts(s)) {
    w.set(a + ".expert_count", Value::make_u32(uint32_t(s.n_expert)));
    w.set(a + ".expert_used_count", Value::make_u32(uint32_t(s.n_expert_used)));
  }
  if (s.arch == "qwen3moe" || s.arch == "llama4")
    w.set(a + ".expert_feed_forward_length", Value::make_u32(uint32_t(expert_ff(s))));
  if (s.arch == "llama4") w.set(a + ".interleave_moe_layer_step", Value::make_u32(uint32_t(s.moe_step)));
  if (s.arch == "qwen3moe" && !s.moe_norm) w.set(a + ".expert_weights_norm", Value::make_bool(false));
  if ((s.arch == "gemma3" || s.arch == "llama4") && s.window >= 0)
    w.set(a + ".attention.sliding_window", Value::make_u32(uint32_t(s.window)));
  if ((s.arch == "gemma3" || s.arch == "llama4") && s.freq_base_swa > 0.0f)
    w.set(a + ".rope.freq_base_swa", Value::make_f32(s.freq_base_swa));
  if (s.arch == "gemma3" && s.final_softcap > 0.0f)
    w.set(a + ".final_logit_softcapping", Value::make_f32(s.final_softcap));
}

void add_hparams(const SynthSpec& s, gguf::Writer& w) {
  const std::string a = s.arch == "moe" ? "llama" : s.arch;
  w.set("general.architecture", Value::make_string(a));
  w.set("general.name", Value::make_string("synth-" + s.arch));
  w.set(a + ".context_length", Value::make_u32(uint32_t(s.n_ctx)));
  w.set(a + ".embedding_length", Value::make_u32(uint32_t(s.n_embd)));
  w.set(a + ".block_count", Value::make_u32(uint32_t(s.n_layer)));
  w.set(a + ".feed_forward_length", Value::make_u32(uint32_t(s.n_ff)));
  w.set(a + ".attention.head_count", Value::make_u32(uint32_t(s.n_head)));
  w.set(a + ".attention.head_count_kv", Value::make_u32(uint32_t(s.n_kv_head)));
  w.set(a + ".attention.layer_norm_rms_epsilon", Value::make_f32(s.arch == "gemma3" ? 1e-6f : 1e-5f));
  w.set(a + ".rope.freq_base", Value::make_f32(s.rope_freq_base));
  w.set(a + ".rope.dimension_count", Value::make_u32(uint32_t(head_size(s))));
  add_arch_hparams(s, a, w);
  if (s.rope_scaling == "linear" || s.rope_scaling == "yarn") {
    w.set(a + ".rope.scaling.type", Value::make_string(s.rope_scaling));
    w.set(a + ".rope.scaling.factor", Value::make_f32(s.rope_factor));
    if (s.rope_scaling == "yarn")
      w.set(a + ".rope.scaling.original_context_length", Value::make_u32(uint32_t(s.rope_orig_ctx)));
  }
}

}  // namespace

std::vector<float> llama3_freq_factors(int n_rot, float base, float factor, float low_freq_factor,
                                       float high_freq_factor, int orig_ctx) {
  std::vector<float> out;
  const double low_wavelen = orig_ctx / double(low_freq_factor), high_wavelen = orig_ctx / double(high_freq_factor);
  for (int i = 0; i < n_rot / 2; ++i) {
    const double freq = std::pow(double(base), -2.0 * i / n_rot);
    const double wavelen = 2.0 * M_PI / freq;
    double f = 1.0;
    if (wavelen > low_wavelen) {
      f = factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth = (orig_ctx / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
      f = 1.0 / ((1.0 - smooth) / factor + smooth);
    }
    out.push_back(float(f));
  }
  return out;
}

namespace {

// The FFN tensors of layer il: dense, routed experts, and Llama 4's shared expert.
void add_ffn(const SynthSpec& s, int il, WeightGen& g) {
  const std::string p = fmt::format("blk.{}.", il);
  const uint64_t e = uint64_t(s.n_embd), ff = uint64_t(s.n_ff), fe = uint64_t(expert_ff(s));
  const bool moe = has_experts(s) && (s.arch != "llama4" || (il + 1) % s.moe_step == 0);
  if (!moe) {
    g.mat(p + "ffn_gate.weight", {e, ff});
    g.mat(p + "ffn_up.weight", {e, ff});
    g.mat(p + "ffn_down.weight", {ff, e});
    return;
  }
  const uint64_t ne = uint64_t(s.n_expert);
  g.mat(p + "ffn_gate_inp.weight", {e, ne});
  g.mat(p + "ffn_gate_exps.weight", {e, fe, ne});
  g.mat(p + "ffn_up_exps.weight", {e, fe, ne});
  g.mat(p + "ffn_down_exps.weight", {fe, e, ne});
  if (s.arch == "llama4") {
    g.mat(p + "ffn_gate_shexp.weight", {e, fe});
    g.mat(p + "ffn_up_shexp.weight", {e, fe});
    g.mat(p + "ffn_down_shexp.weight", {fe, e});
  }
}

}  // namespace

std::vector<std::string> synth_arch_names() { return {"llama", "qwen2", "moe", "qwen3", "qwen3moe", "gemma3", "llama4"}; }

gguf::Writer synth_model(const SynthSpec& s) {
  check_spec(s);
  gguf::Writer w;
  add_hparams(s, w);
  add_synth_vocab(w, s.n_vocab, s.add_bos);
  WeightGen g(s, w);
  const uint64_t e = uint64_t(s.n_embd), hd = uint64_t(head_size(s));
  const uint64_t qd = hd * uint64_t(s.n_head), kvd = hd * uint64_t(s.n_kv_head), nv = uint64_t(s.n_vocab);
  g.mat("token_embd.weight", {e, nv}, s.weight_scale / std::sqrt(double(e)));
  if (s.rope_scaling == "llama3")
    g.f32("rope_freqs.weight", {hd / 2}, llama3_freq_factors(int(hd), s.rope_freq_base, s.rope_factor, 1.0f, 4.0f,
                                                              s.rope_orig_ctx));
  for (int il = 0; il < s.n_layer; ++il) {
    const std::string p = fmt::format("blk.{}.", il);
    g.vec(p + "attn_norm.weight", e, 0.1, 1.0);
    g.mat(p + "attn_q.weight", {e, qd});
    g.mat(p + "attn_k.weight", {e, kvd});
    g.mat(p + "attn_v.weight", {e, kvd});
    if (s.arch == "qwen2") {
      g.vec(p + "attn_q.bias", qd, 0.5, 0.0);
      g.vec(p + "attn_k.bias", kvd, 0.5, 0.0);
      g.vec(p + "attn_v.bias", kvd, 0.5, 0.0);
    }
    if (has_qk_norm(s)) {
      g.vec(p + "attn_q_norm.weight", hd, 0.1, 1.0);
      g.vec(p + "attn_k_norm.weight", hd, 0.1, 1.0);
    }
    g.mat(p + "attn_output.weight", {qd, e});
    if (s.arch == "gemma3") g.vec(p + "post_attention_norm.weight", e, 0.1, 1.0);
    g.vec(p + "ffn_norm.weight", e, 0.1, 1.0);
    add_ffn(s, il, g);
    if (s.arch == "gemma3") g.vec(p + "post_ffw_norm.weight", e, 0.1, 1.0);
  }
  g.vec("output_norm.weight", e, 0.1, 1.0);
  if (!s.tied) g.mat("output.weight", {e, nv}, s.weight_scale / std::sqrt(double(e)));
  return w;
}

void write_synth_model(const SynthSpec& spec, const std::filesystem::path& path) { synth_model(spec).write(path); }

SynthSpec synth_preset(const std::string& name) {
  SynthSpec s;
  if (name == "smollm2-135m") {
    s.n_layer = 30, s.n_embd = 576, s.n_head = 9, s.n_kv_head = 3, s.n_ff = 1536, s.n_vocab = 49152, s.n_ctx = 8192;
    s.rope_freq_base = 100000.0f;
  } else if (name == "llama3-8b") {
    s.n_layer = 32, s.n_embd = 4096, s.n_head = 32, s.n_kv_head = 8, s.n_ff = 14336, s.n_vocab = 128256;
    s.n_ctx = 8192, s.rope_freq_base = 500000.0f, s.rope_scaling = "llama3", s.rope_factor = 8.0f;
    s.rope_orig_ctx = 8192, s.tied = false;
  } else if (name == "gemma3-270m") {
    s.arch = "gemma3", s.n_layer = 18, s.n_embd = 640, s.n_head = 4, s.n_kv_head = 1, s.head_dim = 256;
    s.n_ff = 2048, s.n_vocab = 262144, s.n_ctx = 32768, s.rope_freq_base = 1000000.0f, s.window = 512;
  } else if (name == "qwen3-0.6b") {
    s.arch = "qwen3", s.n_layer = 28, s.n_embd = 1024, s.n_head = 16, s.n_kv_head = 8, s.head_dim = 128;
    s.n_ff = 3072, s.n_vocab = 151936, s.n_ctx = 40960, s.rope_freq_base = 1000000.0f;
  } else {
    fail(ErrorKind::invalid_input, "--preset: expected smollm2-135m|llama3-8b|gemma3-270m|qwen3-0.6b, got '{}'", name);
  }
  return s;
}

}  // namespace ys::engine
