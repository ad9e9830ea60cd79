#include "common/error.h"
#include "engine/backend/cuda/device.h"

namespace ys::cuda {

void raise(Err kind, const std::string& message) {
  switch (kind) {
    case Err::io: throw Error(ErrorKind::io, message);
    case Err::invalid_input: throw Error(ErrorKind::invalid_input, message);
    case Err::unsupported: throw Error(ErrorKind::unsupported, message);
    case Err::internal: break;
  }
  throw Error(ErrorKind::internal, message);
}

}  // namespace ys::cuda
