#include "runner/model_loader.h"

#include "common/error.h"
#include "common/hash.h"
#include "runner/store/store.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <map>
#include <fstream>
#include <mutex>
#include <sstream>

#ifdef YS_HAVE_CUDA
#include "engine/backend/cuda/cuda_model.h"
#endif

namespace ys::runner {

std::unique_ptr<engine::Model> open_model(const std::string& path, const engine::LoadOptions& options,
                                          const std::string& device) {
  if (device.empty() || device == "cpu") return engine::load_model(path, options);
  if (device.rfind("cuda", 0) != 0) {
    fail(ErrorKind::invalid_input, "--device: expected cpu or cuda[:N], got \"{}\"", device);
  }
  int index = 0;
  if (device.size() > 4) {
    if (device[4] != ':' || device.size() == 5 || device.find_first_not_of("0123456789", 5) != std::string::npos) {
      fail(ErrorKind::invalid_input, "--device: expected cuda or cuda:N, got \"{}\"", device);
    }
    index = std::stoi(device.substr(5));
  }
#ifdef YS_HAVE_CUDA
  std::string why;
  if (!engine::cuda_available(&why)) fail(ErrorKind::unsupported, "--device {}: no usable GPU: {}", device, why);
  return engine::load_cuda_model(path, options, index);
#else
  (void)index;
  fail(ErrorKind::unsupported, "--device {}: this yardstick was built without CUDA (nvcc was not found at build time)",
       device);
#endif
}

namespace {

// engine::remote::ResponseCache over the store's remote_cache table.
class StoreCache final : public engine::remote::ResponseCache {
 public:
  explicit StoreCache(const std::string& db_path) : store_(store::Store::open(db_path)) {}
  std::optional<std::string> get(const engine::remote::CacheKey& k) override {
    std::lock_guard<std::mutex> lock(mu_);
    return store_.cache_get(k.digest(), k.endpoint, k.model, k.protocol, k.request_json);
  }
  void put(const engine::remote::CacheKey& k, const std::string& body) override {
    std::lock_guard<std::mutex> lock(mu_);
    store_.cache_put(k.digest(), k.endpoint, k.model, k.protocol, k.request_json, body);
  }

 private:
  std::mutex mu_;
  store::Store store_;
};

}  // namespace

RemoteSetup open_remote_model(const RunSettings& s, const std::string& db_path) {
  engine::remote::RemoteOptions o;
  o.endpoint = engine::remote::parse_model_spec(s.model);
  o.api = s.remote_api;
  o.logprobs = s.remote_logprobs;
  o.concurrency = s.concurrency;
  o.max_stop = s.remote_max_stop;
  o.one_prompt_per_request = s.remote_one_prompt;
  o.extra_json = s.remote_extra;
  o.http.timeout_s = s.request_timeout;
  o.http.max_retries = s.retries;
  o.no_cache = s.no_cache;
  if (!s.api_key_env.empty()) {
    const char* key = std::getenv(s.api_key_env.c_str());
    if (key == nullptr || *key == '\0')
      fail(ErrorKind::invalid_input, "--api-key-env {}: that environment variable is not set", s.api_key_env);
    o.http.api_key = key;
  }
  RemoteSetup r;
  if (!db_path.empty()) r.cache = std::make_unique<StoreCache>(db_path);
  o.cache = r.cache.get();
  r.model = std::make_unique<engine::remote::RemoteModel>(o);
  return r;
}

store::HardwareRecord remote_hardware(const engine::remote::Endpoint& e) {
  const nlohmann::json fp = {{"kind", "remote"}, {"endpoint_host", e.host}, {"served_model", e.model}};
  store::HardwareRecord h;
  h.fingerprint_json = fp.dump();
  h.id = sha256_hex(h.fingerprint_json);
  h.cpu_model = "remote: " + e.host + " (" + e.model + ")";
  return h;
}

void record_remote_usage(store::Store& st, const std::string& run_id, const engine::remote::RemoteUsage& d,
                         std::pair<double, double> prices, int64_t questions) {
  std::map<std::string, double> prev;
  for (const store::PerfRecord& p : st.get_perf_results(run_id)) prev[p.name] = p.value;
  auto put = [&](const std::string& name, double value, const char* unit) {
    store::PerfRecord p;
    p.run_id = run_id;
    p.name = name;
    p.value = value;
    p.unit = unit;
    st.set_perf_result(p);
    prev[name] = value;
  };
  const std::pair<const char*, int64_t> counts[] = {
      {"remote_requests", d.requests},          {"remote_cached_requests", d.cached},
      {"remote_failed_requests", d.failed},     {"remote_retries", d.retries},
      {"remote_prompt_tokens", d.prompt_tokens}, {"remote_completion_tokens", d.completion_tokens},
      {"remote_sent_prompt_tokens", d.sent_prompt_tokens}, {"remote_sent_completion_tokens", d.sent_completion_tokens}};
  for (const auto& [name, v] : counts) put(name, prev[name] + double(v), std::string(name).find("tokens") != std::string::npos ? "tokens" : "requests");
  const auto [in, out] = prices;
  if (in < 0 || out < 0) return;
  const double cost = (prev["remote_prompt_tokens"] * in + prev["remote_completion_tokens"] * out) / 1e6;
  put("cost_usd", cost, "USD");
  if (questions > 0) put("cost_usd_per_1000_questions", cost * 1000.0 / double(questions), "USD");
  put("spent_usd", (prev["remote_sent_prompt_tokens"] * in + prev["remote_sent_completion_tokens"] * out) / 1e6, "USD");
}

std::pair<double, double> remote_prices(const RunSettings& s, const std::string& served_model) {
  double in = s.price_in, out = s.price_out;
  if (!s.price_file.empty() && (in < 0 || out < 0)) {
    std::ifstream f(s.price_file);
    if (!f) fail(ErrorKind::io, "{}: cannot open the price file (--price-file)", s.price_file);
    std::stringstream ss;
    ss << f.rdbuf();
    const nlohmann::json j = parse_json_strict(ss.str(), s.price_file);
    if (!j.is_object()) fail(ErrorKind::format, "{}: expected {{\"MODEL\": {{\"in\": $, \"out\": $}}}}", s.price_file);
    const char* key = j.contains(served_model) ? served_model.c_str() : j.contains("*") ? "*" : nullptr;
    if (key != nullptr) {
      const nlohmann::json& e = j[key];
      auto price = [&](const char* field) {
        if (!e.is_object() || !e.contains(field) || !e[field].is_number() || e[field].get<double>() < 0)
          fail(ErrorKind::format, "{}: \"{}\".{}: expected a price >= 0 in $ per 1M tokens", s.price_file, key, field);
        return e[field].get<double>();
      };
      if (in < 0) in = price("in");
      if (out < 0) out = price("out");
    }
  }
  return {in, out};
}

}  // namespace ys::runner
