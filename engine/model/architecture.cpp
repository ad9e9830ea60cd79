#include "engine/model/architecture.h"

#include "common/error.h"
#include "engine/model/gemma3.h"
#include "engine/model/llama.h"
#include "engine/model/llama4.h"
#include "engine/model/qwen3.h"

#include <fmt/format.h>

namespace ys::engine {

namespace {

using Make = std::unique_ptr<Architecture> (*)(const ArchContext&);
using Facts = std::vector<ArchFact> (*)(const gguf::File&, const HParams&);

std::vector<ArchFact> llama_facts(const gguf::File&, const HParams& h) {
  std::vector<ArchFact> out;
  if (h.qkv_bias) out.push_back({"QKV biases", "yes", ""});
  out.push_back({"rope", h.neox_rope ? "NeoX pairs (i, i + n_rot/2)" : "pairs (2i, 2i + 1)", ""});
  return out;
}

struct Entry {
  const char* name;
  Make make;
  Facts facts;
};

// The one table of architectures (general.architecture -> its class).
constexpr Entry kArchitectures[] = {
    {"llama", make_llama, llama_facts},
    {"qwen2", make_llama, llama_facts},
    {"qwen3", make_qwen3, qwen3_facts},
    {"qwen3moe", make_qwen3, qwen3_facts},
    {"gemma3", make_gemma3, gemma3_facts},
    {"llama4", make_llama4, llama4_facts},
};

const Entry& entry(const gguf::File& f, const std::string& arch) {
  for (const Entry& e : kArchitectures)
    if (arch == e.name) return e;
  fail(ErrorKind::unsupported, "{}: general.architecture '{}' is not supported; expected one of {}", f.path(), arch,
       fmt::join(architecture_names(), ", "));
}

}  // namespace

std::vector<std::string> architecture_names() {
  std::vector<std::string> out;
  for (const Entry& e : kArchitectures) out.emplace_back(e.name);
  return out;
}

std::unique_ptr<Architecture> make_architecture(const ArchContext& ctx) {
  return entry(ctx.file, ctx.h.arch).make(ctx);
}

std::vector<ArchFact> architecture_facts(const gguf::File& f, const HParams& h) { return entry(f, h.arch).facts(f, h); }

}  // namespace ys::engine
