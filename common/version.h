// Build provenance baked in at configure time.
#pragma once

namespace ys {

const char* git_commit();   // short commit hash, or "unknown"
const char* build_type();   // CMAKE_BUILD_TYPE
const char* version();      // project version
const char* compiler();     // compiler name and version

}  // namespace ys
