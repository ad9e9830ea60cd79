#include "common/error.h"

namespace ys {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::io: return "I/O error";
    case ErrorKind::format: return "format error";
    case ErrorKind::invalid_input: return "invalid input";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::internal: return "internal error";
  }
  return "error";
}

}  // namespace ys
