#include "runner/serve/metrics.h"

#include <fmt/core.h>

#include <algorithm>

namespace ys::serve {

namespace {
const std::vector<double> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256};

std::string le(double b) { return fmt::format("{}", b); }
}  // namespace

void Histogram::observe(double v) {
  const size_t i = size_t(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  ++counts_[i];
  sum_ += v;
  ++count_;
}

std::string Histogram::render(const std::string& name, const std::string& labels) const {
  std::string out;
  const std::string sep = labels.empty() ? "" : labels + ",";
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cum += counts_[i];
    out += fmt::format("{}_bucket{{{}le=\"{}\"}} {}\n", name, sep, le(bounds_[i]), cum);
  }
  cum += counts_.back();
  out += fmt::format("{}_bucket{{{}le=\"+Inf\"}} {}\n", name, sep, cum);
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, sum_, name, braces, count_);
  return out;
}

Metrics::Metrics() : batch_(kBatchBounds) {}

void Metrics::request_done(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
  latency_.try_emplace(route, kLatencyBounds).first->second.observe(seconds);
}

void Metrics::tokens(int64_t prompt, int64_t completion) {
  std::lock_guard<std::mutex> lock(mu_);
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void Metrics::queue_delta(int d) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_ += d;
}

void Metrics::in_flight_delta(int d) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_ += d;
}

void Metrics::engine_batch(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  batch_.observe(double(n));
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP yardstick_requests_total HTTP requests answered, by route and status code.\n";
  out += "# TYPE yardstick_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += fmt::format("yardstick_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", key.first, key.second, n);
  out += "# HELP yardstick_prompt_tokens_total Prompt tokens processed.\n# TYPE yardstick_prompt_tokens_total counter\n";
  out += fmt::format("yardstick_prompt_tokens_total {}\n", prompt_tokens_);
  out += "# HELP yardstick_completion_tokens_total Tokens generated.\n# TYPE yardstick_completion_tokens_total counter\n";
  out += fmt::format("yardstick_completion_tokens_total {}\n", completion_tokens_);
  out += "# HELP yardstick_request_duration_seconds Time from a request's arrival to its answer, by route.\n";
  out += "# TYPE yardstick_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) out += h.render("yardstick_request_duration_seconds", "route=\"" + route + "\"");
  out += "# HELP yardstick_queue_depth Requests waiting for the engine.\n# TYPE yardstick_queue_depth gauge\n";
  out += fmt::format("yardstick_queue_depth {}\n", queue_);
  out += "# HELP yardstick_requests_in_flight Requests being handled.\n# TYPE yardstick_requests_in_flight gauge\n";
  out += fmt::format("yardstick_requests_in_flight {}\n", in_flight_);
  out += "# HELP yardstick_engine_batch_size Generation requests handed to the engine in one call.\n";
  out += "# TYPE yardstick_engine_batch_size histogram\n";
  out += batch_.render("yardstick_engine_batch_size", "");
  return out;
}

}  // namespace ys::serve
