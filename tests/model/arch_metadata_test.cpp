// The metadata keys of the issue-19 architectures are read and checked: a value out of range
// or contradicting the architecture is a ys::Error naming the key, at load and in
// architecture_facts (what `yardstick inspect` shows); the facts report what the file says.
#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/model/architecture.h"
#include "engine/model/hparams.h"
#include "engine/model/model.h"
#include "engine/model/synth.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace ys;
using engine::SynthSpec;
namespace fs = std::filesystem;

namespace {

SynthSpec small(const std::string& arch) {
  SynthSpec s;
  s.arch = arch;
  s.n_layer = 4, s.n_embd = 32, s.n_head = 2, s.n_kv_head = 1, s.n_ff = 48, s.n_vocab = 300, s.n_ctx = 128;
  return s;
}

fs::path tmp_file(const std::string& name) {
  const fs::path dir = fs::path(YS_BINARY_DIR) / "test_tmp" / "model";
  fs::create_directories(dir);
  return dir / ("arch_meta_" + name + ".gguf");
}

// The spec's model with one key replaced, written to a temporary file.
fs::path with_key(const SynthSpec& s, const std::string& key, gguf::Value v, const std::string& name) {
  gguf::Writer w = engine::synth_model(s);
  w.set(key, std::move(v));
  const fs::path p = tmp_file(name);
  w.write(p);
  return p;
}

// Loading the file fails with a message containing `what`, and so does reading its facts.
void expect_rejected(const fs::path& p, const std::string& what) {
  INFO(p.filename().string() << ": expected an error mentioning " << what);
  CHECK_THROWS_WITH(engine::load_model(p, {}), Catch::Contains(what));
  const gguf::File f = gguf::File::open(p);
  CHECK_THROWS_WITH(engine::architecture_facts(f, engine::read_hparams(f)), Catch::Contains(what));
}

std::string fact(const fs::path& p, const std::string& name) {
  const gguf::File f = gguf::File::open(p);
  for (const auto& x : engine::architecture_facts(f, engine::read_hparams(f)))
    if (x.name == name) return x.value + " [" + x.key + "]";
  return "(no fact '" + name + "')";
}

}  // namespace

TEST_CASE("llama4 metadata out of range is rejected naming the key") {
  SynthSpec l = small("llama4");
  expect_rejected(with_key(l, "llama4.interleave_moe_layer_step", gguf::Value::make_u32(0), "l4_step0"),
                  "llama4.interleave_moe_layer_step");
  expect_rejected(with_key(l, "llama4.expert_count", gguf::Value::make_u32(0), "l4_noexp"), "llama4.expert_count");
  expect_rejected(with_key(l, "llama4.attention.sliding_window_pattern", gguf::Value::make_u32(0), "l4_pat0"),
                  "llama4.attention.sliding_window_pattern");
  expect_rejected(with_key(l, "llama4.rope.freq_base_swa", gguf::Value::make_f32(-1.0f), "l4_base"),
                  "llama4.rope.freq_base_swa");
}

TEST_CASE("qwen3, qwen3moe and gemma3 metadata contradictions are rejected naming the key") {
  gguf::Writer w = engine::synth_model(small("qwen3"));  // a dense qwen3 declaring 4 experts, 2 used
  w.set("qwen3.expert_count", gguf::Value::make_u32(4));
  w.set("qwen3.expert_used_count", gguf::Value::make_u32(2));
  const fs::path experts = tmp_file("q3_experts");
  w.write(experts);
  expect_rejected(experts, "qwen3.expert_count");
  expect_rejected(with_key(small("qwen3moe"), "qwen3moe.expert_count", gguf::Value::make_u32(0), "q3m_noexp"),
                  "qwen3moe.expert_count");
  SynthSpec q = small("qwen3");
  q.head_dim = 32;
  expect_rejected(with_key(q, "qwen3.attention.value_length", gguf::Value::make_u32(16), "q3_vlen"),
                  "attention.value_length");
  SynthSpec g = small("gemma3");
  g.window = 8;
  expect_rejected(with_key(g, "gemma3.attention.sliding_window_pattern", gguf::Value::make_u32(0), "g3_pat0"),
                  "gemma3.attention.sliding_window_pattern");
  expect_rejected(with_key(g, "gemma3.final_logit_softcapping", gguf::Value::make_f32(-2.0f), "g3_cap"),
                  "gemma3.final_logit_softcapping");
  expect_rejected(with_key(g, "gemma3.attention.scale", gguf::Value::make_f32(0.0f), "g3_scale"),
                  "gemma3.attention.scale");
}

TEST_CASE("architecture facts report the file's values") {
  SynthSpec g = small("gemma3");
  g.window = 24, g.freq_base_swa = 500.0f, g.final_softcap = 30.0f;
  const fs::path gp = with_key(g, "gemma3.attention.sliding_window_pattern", gguf::Value::make_u32(3), "g3_facts");
  CHECK(fact(gp, "sliding window") == "24 positions on 2 of every 3 layers [gemma3.attention.sliding_window]");
  CHECK(fact(gp, "local rope base") == "500 (sliding layers, no scaling) [gemma3.rope.freq_base_swa]");
  CHECK(fact(gp, "final logit softcap") == "30 [gemma3.final_logit_softcapping]");
  CHECK(fact(gp, "attention scale") == "0.25 [gemma3.attention.scale]");  // 1/sqrt(16): 2 heads of 16

  SynthSpec l = small("llama4");
  l.moe_step = 2, l.n_expert = 5, l.n_expert_used = 1, l.n_ff_exp = 40, l.window = 64;
  const fs::path lp = with_key(l, "general.name", gguf::Value::make_string("facts"), "l4_facts");
  CHECK(fact(lp, "MoE layers") ==
        "every 2 layer(s) (2 of 4), the others dense (FFN 48) [llama4.interleave_moe_layer_step]");
  CHECK(fact(lp, "expert FFN") == "40 [llama4.expert_feed_forward_length]");
  CHECK(fact(lp, "chunked attention") ==
        "chunks of 64 positions on 3 of every 4 layers [llama4.attention.sliding_window]");

  SynthSpec m = small("qwen3moe");
  m.moe_norm = false;
  const fs::path mp = with_key(m, "general.name", gguf::Value::make_string("facts"), "q3m_facts");
  CHECK(fact(mp, "expert weights") == "softmax over all experts, not renormalised [qwen3moe.expert_weights_norm]");
}
