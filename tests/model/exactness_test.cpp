// Whole-model exactness: the engine's teacher-forced logits against the float64 reference
// (tests/model/reference.cpp) on synthetic models of every architecture and weight type.
#include "tests/model/helpers.h"

#include <catch2/catch.hpp>

using namespace ys;
using engine::SynthSpec;

namespace {

SynthSpec spec(const std::string& arch) {
  SynthSpec s;
  s.arch = arch;
  s.n_layer = 2, s.n_embd = 64, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 96, s.n_vocab = 320, s.n_ctx = 512;
  return s;
}

}  // namespace

TEST_CASE("F32 logits match the fp64 reference for every architecture (1e-4 relative)") {
  struct Case {
    std::string name;
    SynthSpec s;
  };
  std::vector<Case> cases;
  cases.push_back({"llama", spec("llama")});
  cases.push_back({"qwen2", spec("qwen2")});
  cases.push_back({"moe", spec("moe")});
  SynthSpec untied = spec("llama");
  untied.tied = false, untied.n_kv_head = 1, untied.seed = 7;
  cases.push_back({"llama-untied-mqa", untied});
  SynthSpec l3 = spec("llama");
  l3.rope_scaling = "llama3", l3.rope_factor = 8, l3.rope_orig_ctx = 64, l3.rope_freq_base = 500000;
  cases.push_back({"llama3-rope", l3});
  SynthSpec yarn = spec("qwen2");
  yarn.rope_scaling = "yarn", yarn.rope_factor = 4, yarn.rope_orig_ctx = 32;
  cases.push_back({"yarn", yarn});
  SynthSpec lin = spec("llama");
  lin.rope_scaling = "linear", lin.rope_factor = 2;
  cases.push_back({"linear-rope", lin});
  for (const auto& c : cases) {
    const auto path = test::synth_file("exact_" + c.name, c.s);
    const test::LogitDiff d = test::compare_with_reference(path, {}, test::sample_text(2));
    WARN(c.name << ": max rel err " << d.max_rel << ", mean abs err " << d.mean_abs << ", top1 " << d.top1);
    CHECK(d.max_rel <= 1e-4);
    CHECK(d.top1 == 1.0);
  }
}
