// `yardstick quantize IN OUT --type T`: re-quantize every weight matrix of a GGUF model.
#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/model/requant.h"
#include "runner/cli.h"

#include <fmt/core.h>

namespace {

// llama_ftype values for general.file_type.
uint32_t file_type(ys::quant::Type t) {
  using ys::quant::Type;
  switch (t) {
    case Type::f32: return 0;
    case Type::f16: return 1;
    case Type::q4_0: return 2;
    case Type::q4_1: return 3;
    case Type::q8_0: return 7;
    case Type::q5_0: return 8;
    case Type::q5_1: return 9;
    case Type::bf16: return 32;
    default: return 0;
  }
}

struct Flags {
  std::string in, out, type;
};

ys::cli::Registrar reg("quantize", "Write a copy of a GGUF model with its weight matrices converted",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto f = std::make_shared<Flags>();
                         app.add_option("input", f->in, "Input .gguf")->required();
                         app.add_option("output", f->out, "Output .gguf")->required();
                         app.add_option("--type", f->type, "f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1")->required();
                         return [f]() {
                           const ys::quant::Type to = ys::engine::parse_requant_type(f->type, "--type");
                           const ys::gguf::File in = ys::gguf::File::open(f->in);
                           ys::gguf::Writer w(in.alignment());
                           for (const auto& [k, v] : in.metadata())
                             if (k != "general.alignment") w.set(k, v);
                           w.set("general.file_type", ys::gguf::Value::make_u32(file_type(to)));
                           size_t converted = 0;
                           for (const auto& t : in.tensors()) {
                             const auto data = in.tensor_data(t);
                             if (ys::engine::is_requantizable(t) && t.type != to) {
                               w.add_tensor(t.name, t.dims, to,
                                            ys::engine::convert_rows(t.name, t.type, data.data(), int64_t(t.rows()),
                                                                     int64_t(t.dims[0]), to));
                               ++converted;
                             } else {
                               w.add_tensor(t.name, t.dims, t.type, {data.begin(), data.end()});
                             }
                           }
                           w.write(f->out);
                           fmt::print("wrote {}: {} of {} tensors converted to {}\n", f->out, converted,
                                      in.tensors().size(), ys::quant::name(to));
                           return ys::cli::kExitOk;
                         };
                       });

}  // namespace
