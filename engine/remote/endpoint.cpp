#include "engine/remote/endpoint.h"

#include "common/error.h"

namespace ys::engine::remote {

namespace {
constexpr const char* kScheme = "openai:";
}

std::string Endpoint::spec() const { return std::string(kScheme) + base_url + "#" + model; }

std::string Endpoint::root() const {
  const std::string v1 = "/v1";
  if (base_url.size() >= v1.size() && base_url.compare(base_url.size() - v1.size(), v1.size(), v1) == 0)
    return base_url.substr(0, base_url.size() - v1.size());
  return base_url;
}

bool is_remote_spec(const std::string& model) { return model.rfind(kScheme, 0) == 0; }

Endpoint make_endpoint(const std::string& url, const std::string& model, const std::string& flag) {
  size_t scheme_end = std::string::npos;
  if (url.rfind("http://", 0) == 0) scheme_end = 7;
  if (url.rfind("https://", 0) == 0) scheme_end = 8;
  if (scheme_end == std::string::npos)
    fail(ErrorKind::invalid_input, "{}: expected an http:// or https:// URL such as http://127.0.0.1:8080/v1, got \"{}\"",
         flag, url);
  for (char c : url)
    if (static_cast<unsigned char>(c) <= ' ' || c == '#' || c == '?')
      fail(ErrorKind::invalid_input, "{}: the URL \"{}\" holds a space, control character, '#' or '?'", flag, url);
  const size_t host_end = url.find('/', scheme_end);
  Endpoint e;
  e.host = url.substr(scheme_end, host_end == std::string::npos ? std::string::npos : host_end - scheme_end);
  if (e.host.empty()) fail(ErrorKind::invalid_input, "{}: no host in \"{}\"", flag, url);
  if (e.host.find('@') != std::string::npos)
    fail(ErrorKind::invalid_input,
         "{}: the URL carries credentials (user:password@host); they would be stored with the run. Put the key in "
         "an environment variable and name it with --api-key-env",
         flag);
  e.base_url = url;
  while (e.base_url.size() > scheme_end + e.host.size() && e.base_url.back() == '/') e.base_url.pop_back();
  if (model.empty()) fail(ErrorKind::invalid_input, "{}: no model name (expected URL#MODEL or --remote-model NAME)", flag);
  e.model = model;
  return e;
}

Endpoint parse_model_spec(const std::string& spec) {
  if (!is_remote_spec(spec))
    fail(ErrorKind::invalid_input, "--model: expected openai:URL#MODEL, got \"{}\"", spec);
  const std::string rest = spec.substr(std::string(kScheme).size());
  const size_t hash = rest.rfind('#');
  if (hash == std::string::npos)
    fail(ErrorKind::invalid_input, "--model \"{}\": expected openai:URL#MODEL (the served model name after '#')", spec);
  return make_endpoint(rest.substr(0, hash), rest.substr(hash + 1), "--model");
}

}  // namespace ys::engine::remote
