// `yardstick inspect MODEL.gguf [--json] [--ctx N] [--kv-type f32|f16]`: what a GGUF file
// holds, and the memory a context needs, without loading weights.
//
// --json prints one object with these keys (a value is null when its metadata key is absent):
//   file, file_size (bytes), gguf_version, alignment, data_offset (start of the tensor data),
//   architecture (general.architecture), name (general.name), file_type (general.file_type),
//   hyperparameters: { block_count, head_count, head_count_kv, embedding_length,
//     feed_forward_length, context_length, rope_freq_base, rope_dimension_count,
//     rope_scaling_type, rope_scaling_factor, rope_scaling_original_context_length,
//     expert_count, expert_used_count }   (each from "<arch>.<key>", dots for the rope/attention
//     sub-keys; a per-layer array stays an array),
//   vocab_size (length of tokenizer.ggml.tokens), tokenizer_model (tokenizer.ggml.model),
//   tokenizer_pre (tokenizer.ggml.pre), metadata_count, tensor_count, tensor_bytes (sum),
//   tensor_types: { "<ggml type name>": { count, bytes, supported } },
//   engine: null when the engine cannot run the file, else { architecture_facts: [ { name,
//     value, key } ] (the architecture's own hyperparameters as the engine reads them:
//     windows, chunks, experts, norms...), head_dim, memory: { context, kv_type,
//     weight_bytes (the tensors, mapped as they are), kv_bytes_per_token, kv_bytes (the
//     context rounded up to the runtime's KV blocks, every layer), total_bytes } },
//   engine_error: why not, when engine is null.
// The default output shows the same facts as aligned "label  value" lines.
#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/model/architecture.h"
#include "engine/model/hparams.h"
#include "runner/cli.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace {

using nlohmann::json;
using ys::gguf::File;
using ys::gguf::Value;
using ys::gguf::ValueType;

json to_json(const Value& v) {
  if (const auto* u = std::get_if<uint64_t>(&v.v)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v.v)) return *i;
  if (const auto* d = std::get_if<double>(&v.v)) return *d;
  if (const auto* b = std::get_if<bool>(&v.v)) return *b;
  if (const auto* s = std::get_if<std::string>(&v.v)) return *s;
  json a = json::array();
  for (const Value& item : std::get<ys::gguf::Array>(v.v).items) a.push_back(to_json(item));
  return a;
}

json field(const File& f, const std::string& key) {
  const Value* v = f.find(key);
  return v == nullptr ? json() : to_json(*v);
}

// JSON key -> metadata key suffix after "<arch>.".
const std::pair<const char*, const char*> kHyper[] = {
    {"block_count", "block_count"},
    {"head_count", "attention.head_count"},
    {"head_count_kv", "attention.head_count_kv"},
    {"embedding_length", "embedding_length"},
    {"feed_forward_length", "feed_forward_length"},
    {"context_length", "context_length"},
    {"rope_freq_base", "rope.freq_base"},
    {"rope_dimension_count", "rope.dimension_count"},
    {"rope_scaling_type", "rope.scaling.type"},
    {"rope_scaling_factor", "rope.scaling.factor"},
    {"rope_scaling_original_context_length", "rope.scaling.original_context_length"},
    {"expert_count", "expert_count"},
    {"expert_used_count", "expert_used_count"},
};

json summarize(const File& f) {
  json j;
  j["file"] = f.path();
  j["file_size"] = f.file_size();
  j["gguf_version"] = f.version();
  j["alignment"] = f.alignment();
  j["data_offset"] = f.data_offset();
  const std::string arch = f.get_string("general.architecture", "");
  j["architecture"] = arch.empty() ? json() : json(arch);
  j["name"] = field(f, "general.name");
  j["file_type"] = field(f, "general.file_type");
  json hp = json::object();
  for (const auto& [name, suffix] : kHyper) hp[name] = field(f, arch + "." + suffix);
  j["hyperparameters"] = hp;
  const Value* tokens = f.find("tokenizer.ggml.tokens");
  j["vocab_size"] = tokens == nullptr ? json()
                                      : json(tokens->as_array(f.path() + ": tokenizer.ggml.tokens").items.size());
  j["tokenizer_model"] = field(f, "tokenizer.ggml.model");
  j["tokenizer_pre"] = field(f, "tokenizer.ggml.pre");
  j["metadata_count"] = f.metadata().size();
  j["tensor_count"] = f.tensors().size();
  json types = json::object();
  uint64_t total = 0;
  for (const auto& t : f.tensors()) {
    const auto& tr = ys::quant::traits(t.type);
    json& e = types[tr.name];
    if (e.is_null()) e = {{"count", 0}, {"bytes", 0}, {"supported", tr.supported}};
    e["count"] = e["count"].get<uint64_t>() + 1;
    e["bytes"] = e["bytes"].get<uint64_t>() + t.n_bytes();
    total += t.n_bytes();
  }
  j["tensor_bytes"] = total;
  j["tensor_types"] = types;
  return j;
}

struct MemoryFlags {
  int64_t ctx = 0;  // 0: the model's context length
  std::string kv_type = "f32";
};

// What the engine reads from the file (no weights loaded): the architecture's own facts and
// the memory of weights plus the key/value cache of a context.
json engine_view(const File& f, uint64_t tensor_bytes, const MemoryFlags& m) {
  const ys::engine::KvType kv = ys::engine::parse_kv_type(m.kv_type, "--kv-type");
  const ys::engine::HParams h = ys::engine::read_hparams(f);
  json e;
  json facts = json::array();
  for (const auto& fact : ys::engine::architecture_facts(f, h))
    facts.push_back({{"name", fact.name}, {"value", fact.value}, {"key", fact.key.empty() ? json() : json(fact.key)}});
  e["architecture_facts"] = facts;
  e["head_dim"] = h.head_dim;
  const int64_t ctx = m.ctx > 0 ? m.ctx : h.n_ctx_train;
  const ys::engine::KvMemory mem = ys::engine::kv_memory(h, ctx, kv);
  e["memory"] = {{"context", ctx},
                 {"kv_type", ys::engine::kv_type_name(kv)},
                 {"weight_bytes", tensor_bytes},
                 {"kv_bytes_per_token", mem.bytes_per_token},
                 {"kv_bytes", mem.bytes},
                 {"total_bytes", tensor_bytes + uint64_t(mem.bytes)}};
  return e;
}

std::string text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string mib(uint64_t bytes) { return fmt::format("{} bytes ({:.1f} MiB)", bytes, bytes / 1048576.0); }

void print_text(const json& j) {
  auto line = [](const char* label, const std::string& value) { fmt::print("{:<22}{}\n", label, value); };
  line("file", text(j["file"]));
  line("file size", mib(j["file_size"].get<uint64_t>()));
  line("GGUF version", text(j["gguf_version"]));
  line("alignment", text(j["alignment"]));
  line("architecture", text(j["architecture"]));
  line("name", text(j["name"]));
  line("file type", text(j["file_type"]));
  const json& hp = j["hyperparameters"];
  const std::pair<const char*, const char*> labels[] = {
      {"layers", "block_count"}, {"heads", "head_count"}, {"KV heads", "head_count_kv"},
      {"embedding", "embedding_length"}, {"FFN", "feed_forward_length"}, {"context", "context_length"},
      {"rope base", "rope_freq_base"}, {"rope dims", "rope_dimension_count"}};
  for (const auto& [label, key] : labels) line(label, text(hp[key]));
  if (!hp["rope_scaling_type"].is_null() || !hp["rope_scaling_factor"].is_null()) {
    line("rope scaling", fmt::format("{} factor {} original context {}", text(hp["rope_scaling_type"]),
                                     text(hp["rope_scaling_factor"]),
                                     text(hp["rope_scaling_original_context_length"])));
  }
  if (!hp["expert_count"].is_null()) {
    line("experts", fmt::format("{} ({} used per token)", text(hp["expert_count"]), text(hp["expert_used_count"])));
  }
  line("vocab size", text(j["vocab_size"]));
  line("tokenizer", fmt::format("{} (pre-tokenizer {})", text(j["tokenizer_model"]), text(j["tokenizer_pre"])));
  line("metadata entries", text(j["metadata_count"]));
  line("tensors", fmt::format("{}, {}", text(j["tensor_count"]), mib(j["tensor_bytes"].get<uint64_t>())));
  for (const auto& [name, e] : j["tensor_types"].items()) {
    line(("  " + name).c_str(), fmt::format("{:>4} tensors  {}{}", e["count"].get<uint64_t>(),
                                            mib(e["bytes"].get<uint64_t>()),
                                            e["supported"].get<bool>() ? "" : "  (not supported by the engine)"));
  }
  if (j["engine"].is_null()) {
    line("engine", "cannot run this file: " + text(j["engine_error"]));
    return;
  }
  const json& e = j["engine"];
  fmt::print("{} specifics:\n", text(j["architecture"]));
  for (const json& fact : e["architecture_facts"])
    line(("  " + fact["name"].get<std::string>()).c_str(),
         text(fact["value"]) + (fact["key"].is_null() ? "" : "  [" + fact["key"].get<std::string>() + "]"));
  const json& m = e["memory"];
  fmt::print("memory for a context of {} tokens (KV cache {}):\n", text(m["context"]), text(m["kv_type"]));
  line("  weights", mib(m["weight_bytes"].get<uint64_t>()));
  line("  KV cache", fmt::format("{}, {} bytes per token", mib(m["kv_bytes"].get<uint64_t>()),
                                 text(m["kv_bytes_per_token"])));
  line("  total", mib(m["total_bytes"].get<uint64_t>()) + " (plus activations and logits of a step)");
}

ys::cli::Registrar reg("inspect",
                       "Show a GGUF file's architecture, hyperparameters, tokenizer, tensor types and the memory a "
                       "context needs",
                       [](CLI::App& sub) -> ys::cli::RunFn {
                         auto path = std::make_shared<std::string>();
                         auto as_json = std::make_shared<bool>(false);
                         auto mem = std::make_shared<MemoryFlags>();
                         sub.add_option("model", *path, "GGUF model file")->required();
                         sub.add_flag("--json", *as_json, "Print one JSON object instead of text");
                         sub.add_option("--ctx", mem->ctx,
                                        "Context (tokens) to size the key/value cache for (default: the model's)")
                             ->check(CLI::Range(int64_t(1), int64_t(1) << 30));
                         sub.add_option("--kv-type", mem->kv_type, "Key/value cache precision: f32 (default) or f16");
                         return [path, as_json, mem] {
                           const File f = File::open(*path);
                           json j = summarize(f);
                           ys::engine::parse_kv_type(mem->kv_type, "--kv-type");  // a bad flag is a usage error
                           try {
                             j["engine"] = engine_view(f, j["tensor_bytes"].get<uint64_t>(), *mem);
                           } catch (const ys::Error& e) {
                             if (e.kind() == ys::ErrorKind::invalid_input) throw;
                             j["engine"] = nullptr;
                             j["engine_error"] = e.what();
                           }
                           if (*as_json) {
                             fmt::print("{}\n", j.dump(2));
                           } else {
                             print_text(j);
                           }
                           return ys::cli::kExitOk;
                         };
                       });

}  // namespace
