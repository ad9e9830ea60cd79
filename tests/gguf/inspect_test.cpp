// `yardstick inspect` (run as a child process) and the reader on the real SmolLM2 model.
// Reference numbers for the real model come from gguf-py's GGUFReader (an independent
// implementation): 272 tensors; q4_1 66355200 bytes, q8_0 30081024, f32 140544.
#include "tests/gguf/gguf_test_util.h"

#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace ys::gguf;
using namespace ys::gguf::testing;
namespace fs = std::filesystem;

namespace {

const std::string kBinary = YS_BINARY_DIR "/bin/yardstick";

struct Run {
  int rc = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Run run_inspect(const std::string& args) {
  const fs::path dir = fs::temp_directory_path();
  const std::string tag = std::to_string(::getpid());
  const fs::path out = dir / ("ys_inspect_out_" + tag), err = dir / ("ys_inspect_err_" + tag);
  const std::string cmd = "'" + kBinary + "' inspect " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  Run r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

std::string model_path() {
  const char* env = std::getenv("YARDSTICK_MODEL");
  return (env && *env) ? env : YS_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

fs::path write_temp(const std::vector<uint8_t>& bytes, const std::string& name) {
  const fs::path p = fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".gguf");
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                           static_cast<std::streamsize>(bytes.size()));
  return p;
}

}  // namespace

TEST_CASE("inspect: a truncated file exits 1 with one line on stderr") {
  if (!fs::exists(kBinary)) {
    WARN("yardstick binary not built at " << kBinary << "; skipping");
    return;
  }
  const auto bytes = sample_bytes();
  const fs::path p = write_temp({bytes.begin(), bytes.begin() + 100}, "ys_trunc");
  const Run r = run_inspect("'" + p.string() + "'");
  fs::remove(p);
  INFO("stderr: " << r.err);
  CHECK(r.rc == 1);
  CHECK(r.out.empty());
  REQUIRE(!r.err.empty());
  CHECK(r.err.find('\n') == r.err.size() - 1);   // exactly one line
  CHECK(r.err.find("format error") != std::string::npos);
  CHECK(r.err.find(p.string()) != std::string::npos);
  CHECK(r.err.find("at byte") != std::string::npos);
  CHECK(run_inspect("/nonexistent/model.gguf").rc == 1);
  CHECK(run_inspect("").rc == 2);   // usage: the model argument is required
}

TEST_CASE("inspect --json on a synthetic MoE file reports every documented key") {
  if (!fs::exists(kBinary)) {
    WARN("yardstick binary not built at " << kBinary << "; skipping");
    return;
  }
  Writer w(64);
  w.set("general.architecture", Value::make_string("mixtral"));
  w.set("mixtral.block_count", Value::make_u32(2));
  w.set("mixtral.attention.head_count", Value::make_u32(4));
  w.set("mixtral.attention.head_count_kv", Value::make_u32(2));
  w.set("mixtral.embedding_length", Value::make_u32(64));
  w.set("mixtral.rope.freq_base", Value::make_f32(10000.0f));
  w.set("mixtral.rope.scaling.type", Value::make_string("yarn"));
  w.set("mixtral.rope.scaling.factor", Value::make_f32(4.0f));
  w.set("mixtral.expert_count", Value::make_u32(8));
  w.set("mixtral.expert_used_count", Value::make_u32(2));
  w.set("tokenizer.ggml.model", Value::make_string("llama"));
  w.set("tokenizer.ggml.tokens", Value::make_array(ValueType::string, {Value::make_string("a"), Value::make_string("b"),
                                                                      Value::make_string("c")}));
  w.add_tensor("w", {32, 2}, ys::quant::Type::q4_0, std::vector<uint8_t>(36));
  w.add_tensor("v", {256}, ys::quant::Type::q2_k, std::vector<uint8_t>(84));
  const fs::path p = write_temp(w.to_bytes(), "ys_moe");
  const Run r = run_inspect("'" + p.string() + "' --json");
  const Run t = run_inspect("'" + p.string() + "'");
  fs::remove(p);
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["architecture"] == "mixtral");
  CHECK(j["gguf_version"] == 3);
  CHECK(j["alignment"] == 64);
  CHECK(j["hyperparameters"]["block_count"] == 2);
  CHECK(j["hyperparameters"]["head_count"] == 4);
  CHECK(j["hyperparameters"]["head_count_kv"] == 2);
  CHECK(j["hyperparameters"]["rope_scaling_type"] == "yarn");
  CHECK(j["hyperparameters"]["rope_scaling_factor"] == 4.0);
  CHECK(j["hyperparameters"]["expert_count"] == 8);
  CHECK(j["hyperparameters"]["expert_used_count"] == 2);
  CHECK(j["hyperparameters"]["context_length"].is_null());
  CHECK(j["vocab_size"] == 3);
  CHECK(j["tokenizer_model"] == "llama");
  CHECK(j["tokenizer_pre"].is_null());
  CHECK(j["tensor_count"] == 2);
  CHECK(j["tensor_types"]["q4_0"]["bytes"] == 36);
  CHECK(j["tensor_types"]["q2_k"]["supported"] == false);
  REQUIRE(t.rc == 0);
  CHECK(t.out.find("experts") != std::string::npos);
  CHECK(t.out.find("yarn") != std::string::npos);
}

TEST_CASE("real model: SmolLM2-135M hyperparameters, vocab and tensor bytes") {
  const std::string path = model_path();
  if (!fs::exists(path)) {
    WARN("model not found at " << path << " (set YARDSTICK_MODEL); skipping");
    return;
  }
  const File f = File::open(path);
  CHECK(f.version() == 3);
  CHECK(f.get_string("general.architecture", "") == "llama");
  CHECK(f.get_uint("llama.block_count", 0) == 30);
  CHECK(f.get_uint("llama.attention.head_count", 0) == 9);
  CHECK(f.get_uint("llama.attention.head_count_kv", 0) == 3);
  CHECK(f.get_uint("llama.embedding_length", 0) == 576);
  CHECK(f.get("tokenizer.ggml.tokens").as_array("tokens").items.size() == 49152);
  CHECK(f.get("tokenizer.ggml.merges").as_array("merges").items.size() == 48900);
  REQUIRE(f.tensors().size() == 272);
  uint64_t q41 = 0, q80 = 0, f32 = 0;
  for (const auto& t : f.tensors()) {
    const uint64_t n = f.tensor_data(t).size();
    if (t.type == ys::quant::Type::q4_1) q41 += n;
    if (t.type == ys::quant::Type::q8_0) q80 += n;
    if (t.type == ys::quant::Type::f32) f32 += n;
  }
  CHECK(q41 == 66355200);
  CHECK(q80 == 30081024);
  CHECK(f32 == 140544);
  if (fs::exists(kBinary)) {
    const Run r = run_inspect("'" + path + "' --json");
    REQUIRE(r.rc == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["hyperparameters"]["block_count"] == 30);
    CHECK(j["hyperparameters"]["head_count"] == 9);
    CHECK(j["hyperparameters"]["head_count_kv"] == 3);
    CHECK(j["hyperparameters"]["embedding_length"] == 576);
    CHECK(j["vocab_size"] == 49152);
    CHECK(j["tokenizer_pre"] == "smollm");
  }
}

// Issue 19: on `yardstick synth --arch X` files, inspect lists the architecture's own
// hyperparameters (with the key each comes from) and the KV memory of a context, computed
// here independently: keys and values of every layer, n_kv_head * head_dim f32 (or f16)
// each, per position; a context of 8192 is a whole number of the runtime's blocks.
TEST_CASE("inspect on each architecture's synthetic file lists its own hyperparameters and KV memory") {
  if (!fs::exists(kBinary)) {
    WARN("yardstick binary not built at " << kBinary << "; skipping");
    return;
  }
  struct Case {
    const char* arch;
    const char* synth_flags;
    int layers, kv_heads, head_dim;
    std::vector<std::string> facts;  // names listed, and a key each one names ("" for none)
    std::vector<std::string> keys;
  };
  const std::vector<Case> cases = {
      {"llama", "", 2, 2, 16, {"rope"}, {""}},
      {"qwen3", "--head-dim 32", 2, 2, 32, {"head size", "QK norm"}, {"qwen3.attention.key_length", ""}},
      {"qwen3moe",
       "--experts 4 --experts-used 2 --expert-ffn 32",
       2,
       2,
       16,
       {"experts", "expert FFN", "expert weights"},
       {"qwen3moe.expert_count", "qwen3moe.expert_feed_forward_length", "qwen3moe.expert_weights_norm"}},
      {"gemma3",
       "--window 512 --final-softcap 30 --layers 6",
       6,
       2,
       16,
       {"sliding window", "local rope base", "attention scale", "final logit softcap", "embedding scale"},
       {"gemma3.attention.sliding_window", "gemma3.rope.freq_base_swa", "gemma3.attention.scale",
        "gemma3.final_logit_softcapping", ""}},
      {"llama4",
       "--experts 4 --experts-used 1 --moe-step 2 --layers 4",
       4,
       2,
       16,
       {"MoE layers", "experts", "chunked attention", "NoPE layers", "temperature tuning", "QK norm"},
       {"llama4.interleave_moe_layer_step", "llama4.expert_count", "llama4.attention.sliding_window", "", "", ""}},
  };
  for (const Case& c : cases) {
    INFO(c.arch);
    const fs::path p = fs::temp_directory_path() / (std::string("ys_inspect_") + c.arch + "_" +
                                                    std::to_string(::getpid()) + ".gguf");
    const std::string synth = "'" + kBinary + "' synth --arch " + c.arch + " --dim 64 --heads 4 --kv-heads 2 " +
                              c.synth_flags + " -o '" + p.string() + "' >/dev/null";
    REQUIRE(std::system(synth.c_str()) == 0);
    const Run r = run_inspect("'" + p.string() + "' --json --ctx 8192");
    const Run h = run_inspect("'" + p.string() + "' --json --ctx 1000 --kv-type f16");
    const Run t = run_inspect("'" + p.string() + "'");
    fs::remove(p);
    INFO(r.err);
    REQUIRE(r.rc == 0);
    const auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["engine"].is_object());
    const auto& facts = j["engine"]["architecture_facts"];
    for (size_t i = 0; i < c.facts.size(); ++i) {
      INFO("fact " << c.facts[i]);
      bool found = false;
      for (const auto& f : facts)
        if (f["name"] == c.facts[i]) {
          found = true;
          CHECK(!f["value"].get<std::string>().empty());
          if (c.keys[i].empty())
            CHECK(f["key"].is_null());
          else
            CHECK(f["key"] == c.keys[i]);
          CHECK(t.out.find(c.facts[i]) != std::string::npos);  // the text output lists it too
        }
      CHECK(found);
    }
    CHECK(j["engine"]["head_dim"] == c.head_dim);
    const int64_t per_token = 2LL * c.layers * c.kv_heads * c.head_dim * 4;
    const auto& m = j["engine"]["memory"];
    CHECK(m["context"] == 8192);
    CHECK(m["kv_bytes_per_token"] == per_token);
    CHECK(m["kv_bytes"] == 8192 * per_token);
    CHECK(m["total_bytes"] == m["kv_bytes"].get<int64_t>() + j["tensor_bytes"].get<int64_t>());
    REQUIRE(h.rc == 0);
    const auto jh = nlohmann::json::parse(h.out);
    const int64_t kv16 = jh["engine"]["memory"]["kv_bytes"].get<int64_t>();
    CHECK(jh["engine"]["memory"]["kv_bytes_per_token"] == per_token / 2);
    CHECK(kv16 >= 1000 * per_token / 2);          // every position of the context
    CHECK(kv16 < (1000 + 256) * per_token / 2);   // rounded up to whole blocks only
    CHECK(t.out.find("KV cache") != std::string::npos);
  }
}
