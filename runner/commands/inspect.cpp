// `yardstick inspect MODEL.gguf [--json]`: what a GGUF file holds, without loading weights.
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
//   tensor_types: { "<ggml type name>": { count, bytes, supported } }.
// The default output shows the same facts as aligned "label  value" lines.
#include "common/error.h"
#include "engine/gguf/gguf.h"
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
}

ys::cli::Registrar reg("inspect", "Show a GGUF file's architecture, hyperparameters, tokenizer and tensor types",
                       [](CLI::App& sub) -> ys::cli::RunFn {
                         auto path = std::make_shared<std::string>();
                         auto as_json = std::make_shared<bool>(false);
                         sub.add_option("model", *path, "GGUF model file")->required();
                         sub.add_flag("--json", *as_json, "Print one JSON object instead of text");
                         return [path, as_json] {
                           const File f = File::open(*path);
                           const json j = summarize(f);
                           if (*as_json) {
                             fmt::print("{}\n", j.dump(2));
                           } else {
                             print_text(j);
                           }
                           return ys::cli::kExitOk;
                         };
                       });

}  // namespace
