// An architecture: a model family's weights bound in a backend and its forward pass written
// once over the Backend operations (engine/model/backend.h), for every device.
//
// Adding an architecture is one file in engine/model: a class derived from Decoder
// (engine/model/decoder.h: the blocks and tensor binders every architecture shares; its
// constructor reads its own metadata keys and binds its tensors, its layer() says which blocks
// a layer adds with which options) and one line in the table of architecture.cpp.
#pragma once

#include "engine/gguf/gguf.h"
#include "engine/model/backend.h"
#include "engine/model/hparams.h"
#include "engine/quant/types.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ys::engine {

class Architecture {
 public:
  virtual ~Architecture() = default;
  // The forward pass of the current step (called inside Backend::run): writes the keys and
  // values of every row into the step's KV blocks and the logits of the step's output rows
  // into Backend::logits. Issues the same operations for the same step shape (rows,
  // sequences, output rows) whatever the tokens and positions, so that a backend may replay it.
  virtual void forward(Backend& be, const Step& s) = 0;
  // Key/value rows per layer (block size and type are the runtime's).
  virtual KvLayout kv_layout() const = 0;
  // The type holding most matrix elements, or the llama.cpp mix name (q4_k_m).
  virtual std::string weight_type() const = 0;
};

// What an architecture's constructor gets: the file, its hyperparameters (h.n_vocab is set
// by the constructor), the --quant re-quantization target and the backend to bind into.
struct ArchContext {
  const gguf::File& file;
  HParams& h;
  std::optional<quant::Type> requant;
  Backend& be;
};

// The architecture named by h.arch. Throws ys::Error(unsupported) for an unknown name.
std::unique_ptr<Architecture> make_architecture(const ArchContext& ctx);
// Names of general.architecture the engine runs.
std::vector<std::string> architecture_names();

// One architecture-specific hyperparameter as the engine reads it (for `yardstick inspect`):
// a name ("sliding window"), its value in words ("512 positions on 5 of every 6 layers")
// and the metadata key it comes from ("gemma3.attention.sliding_window"; empty for a rule
// of the architecture that no key sets).
struct ArchFact {
  std::string name, value, key;
};
// The facts of h.arch, read and checked from the file's metadata without loading weights
// (the same reader the architecture's constructor uses). Throws ys::Error naming the key.
std::vector<ArchFact> architecture_facts(const gguf::File& f, const HParams& h);

}  // namespace ys::engine
