// Loading a claims file (reports/claims.h) with the runner's strict JSON parser, and the
// matching options that know the suite registry: shared by `claims check` and `report --claims`.
#pragma once

#include "reports/claims.h"

#include <string>

namespace ys::runner {

// Reads and validates a claims file; duplicate keys, unknown keys and wrong types are
// ys::Error(format) naming the file and key.
reports::ClaimsFile load_claims_file(const std::string& path);

// Matching options whose suite_known is the suite registry (suites/registry.cpp).
reports::ClaimsMatchOptions claims_match_options(const std::string& model_sha256 = "");

}  // namespace ys::runner
