// Default implementations of optional Model capabilities.
#include "engine/model/model.h"

#include "common/error.h"

namespace ys::engine {

void Model::next_token_logits(const std::vector<int32_t>& /*ids*/, const LogitsFn& /*fn*/) {
  fail(ErrorKind::unsupported, "{}: this engine does not expose next-token logits", info().path);
}

}  // namespace ys::engine
