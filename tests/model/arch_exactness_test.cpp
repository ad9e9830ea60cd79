// The architectures of issue 19 (qwen3, qwen3moe, gemma3, llama4) against the float64
// reference forward pass (tests/model/reference.cpp), on synthetic models written by
// engine::synth_model: teacher-forced logits at every position, short texts with small
// windows/chunks so that every mask, rope base and layer kind is exercised, and long texts
// (positions past 8192) with the real defaults (Llama 4's 8192-position chunks and its
// temperature step at position 8191, Gemma 3's 512-position window with a local rope base
// and linearly scaled global layers, Qwen3 with YaRN).
#include "tests/model/helpers.h"

#include <catch2/catch.hpp>

using namespace ys;
using engine::SynthSpec;

namespace {

SynthSpec base(const std::string& arch) {
  SynthSpec s;
  s.arch = arch;
  s.n_layer = 2, s.n_embd = 64, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 96, s.n_vocab = 320, s.n_ctx = 512;
  return s;
}

void check_exact(const std::string& name, const SynthSpec& s, const std::string& text, double max_rel) {
  const auto path = test::synth_file("arch_" + name, s);
  const test::LogitDiff d = test::compare_with_reference(path, {}, text);
  WARN(name << ": max rel err " << d.max_rel << ", mean abs err " << d.mean_abs << ", top1 " << d.top1);
  CHECK(d.max_rel <= max_rel);
  CHECK(d.top1 == 1.0);
}

}  // namespace

// Tolerance: the F32 bound of exactness_test.cpp (1e-4 relative to the row's largest logit);
// measured values are printed by each case.
TEST_CASE("qwen3 and qwen3moe logits match the fp64 reference") {
  SynthSpec q = base("qwen3");
  q.head_dim = 32;  // q dim 128 != n_embd 64: heads of attention.key_length
  check_exact("qwen3", q, test::sample_text(2), 1e-4);
  SynthSpec m = base("qwen3moe");
  m.n_expert = 6, m.n_expert_used = 2, m.n_ff_exp = 48, m.seed = 3;
  check_exact("qwen3moe", m, test::sample_text(2), 1e-4);
  m.moe_norm = false, m.seed = 4;  // expert_weights_norm = false: softmax over all experts
  check_exact("qwen3moe-nonorm", m, test::sample_text(2), 1e-4);
}

TEST_CASE("gemma3 logits match the fp64 reference (sliding window, local rope base, soft-cap)") {
  SynthSpec g = base("gemma3");
  g.n_layer = 7;  // layers 0-4 and 6 slide, layer 5 is global
  g.head_dim = 32, g.n_kv_head = 1, g.window = 12, g.rope_freq_base = 1000000.0f;
  g.rope_scaling = "linear", g.rope_factor = 8;  // global layers only
  check_exact("gemma3", g, test::sample_text(2), 1e-4);
  g.final_softcap = 3.0f, g.seed = 9, g.freq_base_swa = 500.0f;
  check_exact("gemma3-softcap", g, test::sample_text(2), 1e-4);
  SynthSpec all_global = base("gemma3");
  all_global.window = 0;
  check_exact("gemma3-global", all_global, test::sample_text(2), 1e-4);
}

TEST_CASE("llama4 logits match the fp64 reference (chunks, NoPE layers, shared expert, sigmoid routing)") {
  SynthSpec l = base("llama4");
  l.n_layer = 4, l.window = 16;  // chunks of 16; layer 3 is NoPE and global
  l.n_expert = 4, l.n_expert_used = 1, l.moe_step = 2, l.n_ff_exp = 64;
  l.rope_scaling = "llama3", l.rope_factor = 8, l.rope_orig_ctx = 64, l.rope_freq_base = 500000.0f;
  check_exact("llama4", l, test::sample_text(2), 1e-4);
  l.n_expert_used = 2, l.moe_step = 1, l.seed = 5;
  check_exact("llama4-top2", l, test::sample_text(2), 1e-4);
  SynthSpec plain = base("llama4");
  plain.n_layer = 4, plain.window = 0;  // no chunking or temperature; layer 3 (the last) without rope
  check_exact("llama4-nochunk", plain, test::sample_text(2), 1e-4);
}

// Positions past 8192 with the real constants. Tiny widths keep the O(n^2) reference fast.
TEST_CASE("long positions past 8192 match the fp64 reference") {
#if defined(__SANITIZE_ADDRESS__)
  // Same code paths as the short cases above; only the positions differ. Debug + ASan runs the
  // O(n^2) fp64 reference over 8,320 positions in ~8 min per model (measured), the release
  // build all three in 21 s (measured; 51 s on the loaded machine).
  WARN("skipped under the sanitizers (about 25 min there); the release build checks positions past 8192");
  return;
#endif
  const std::string text = test::sample_text(80);  // 8,320 tokens: positions 0..8319
  SynthSpec l = base("llama4");
  l.n_layer = 4, l.n_embd = 32, l.n_head = 2, l.n_kv_head = 1, l.n_ff = 48, l.n_ctx = 9000;
  l.n_expert = 3, l.n_expert_used = 1, l.moe_step = 2;
  l.rope_scaling = "llama3", l.rope_factor = 8, l.rope_orig_ctx = 1024, l.rope_freq_base = 500000.0f;
  check_exact("long-llama4", l, text, 1e-4);  // chunk 8192 (key absent), temperature past 8191
  SynthSpec g = base("gemma3");
  g.n_layer = 6, g.n_embd = 32, g.n_head = 2, g.n_kv_head = 1, g.head_dim = 16, g.n_ff = 48, g.n_ctx = 9000;
  g.window = 512, g.rope_freq_base = 1000000.0f, g.rope_scaling = "linear", g.rope_factor = 8;
  check_exact("long-gemma3", g, text, 1e-4);
  SynthSpec q = base("qwen3");
  q.n_layer = 1, q.n_embd = 32, q.n_head = 2, q.n_kv_head = 1, q.n_ff = 48, q.n_ctx = 9000;
  q.rope_scaling = "yarn", q.rope_factor = 4, q.rope_orig_ctx = 2048, q.rope_freq_base = 1000000.0f;
  check_exact("long-qwen3-yarn", q, text, 1e-4);
}
