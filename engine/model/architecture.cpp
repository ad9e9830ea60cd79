#include "engine/model/architecture.h"

#include "common/error.h"
#include "engine/model/llama.h"

#include <fmt/format.h>

namespace ys::engine {

namespace {

using Make = std::unique_ptr<Architecture> (*)(const ArchContext&);

struct Entry {
  const char* name;
  Make make;
};

// The one table of architectures (general.architecture -> its class).
constexpr Entry kArchitectures[] = {
    {"llama", make_llama},
    {"qwen2", make_llama},
};

}  // namespace

std::vector<std::string> architecture_names() {
  std::vector<std::string> out;
  for (const Entry& e : kArchitectures) out.emplace_back(e.name);
  return out;
}

std::unique_ptr<Architecture> make_architecture(const ArchContext& ctx) {
  for (const Entry& e : kArchitectures)
    if (ctx.h.arch == e.name) return e.make(ctx);
  fail(ErrorKind::unsupported, "{}: general.architecture '{}' is not supported; expected one of {}", ctx.file.path(),
       ctx.h.arch, fmt::join(architecture_names(), ", "));
}

}  // namespace ys::engine
