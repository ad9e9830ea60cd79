#include "runner/claims_file.h"

#include "common/error.h"
#include "runner/settings.h"
#include "suites/suite.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ys::runner {

reports::ClaimsFile load_claims_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::io, "{}: cannot open the claims file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return reports::claims_from_json(parse_json_strict(ss.str(), path), path);
}

reports::ClaimsMatchOptions claims_match_options(const std::string& model_sha256) {
  reports::ClaimsMatchOptions o;
  o.model_sha256 = model_sha256;
  o.suite_known = [](const std::string& name) {
    const std::vector<std::string> names = suites::task_names();
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  return o;
}

}  // namespace ys::runner
