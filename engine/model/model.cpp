// Default implementations of optional Model capabilities.
#include "engine/model/model.h"

#include "common/error.h"

namespace ys::engine {

void Model::next_token_logits(const std::vector<int32_t>& /*ids*/, const LogitsFn& /*fn*/) {
  fail(ErrorKind::unsupported, "{}: this engine does not expose next-token logits", info().path);
}

std::vector<GenerateResult> Model::generate_streamed(const std::vector<GenerateRequest>& reqs, const DoneFn& on_done) {
  std::vector<GenerateResult> out = generate(reqs);
  for (size_t i = 0; i < out.size(); ++i) on_done(i, out[i]);
  return out;
}

}  // namespace ys::engine
