#include "common/version.h"

namespace ys {

const char* git_commit() { return YS_GIT_COMMIT; }
const char* build_type() { return YS_BUILD_TYPE; }
const char* version() { return YS_VERSION; }
const char* compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace ys
