// Prometheus text exposition (format 0.0.4) of what `yardstick serve` did: requests by
// route and status, prompt and completion tokens, request latency histograms per route,
// requests waiting for the engine (queue depth), requests in flight and the number of
// requests handed to the engine together (batch size).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ys::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}
  void observe(double v);
  // Lines for `name{labels,le="..."}`, _sum and _count (labels may be empty).
  std::string render(const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative); last = +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request_done(const std::string& route, int status, double seconds);
  void tokens(int64_t prompt, int64_t completion);
  void queue_delta(int d);     // requests waiting for the engine
  void in_flight_delta(int d); // requests being handled
  void engine_batch(size_t n); // requests handed to the engine in one call
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram batch_;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
  int64_t queue_ = 0, in_flight_ = 0;
};

}  // namespace ys::serve
