// A `yardstick serve` Server running in this process on a synthetic model (its own engine
// instance on port 0), and a fault-injecting HTTP proxy in front of any server.
#pragma once

#include "engine/backend/cpu/cpu_model.h"
#include "engine/model/synth.h"
#include "runner/serve/server.h"

#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

namespace remote_test {

// Writes (once per process) and returns a synthetic model file under the build tree.
std::filesystem::path synth_model(const std::string& name, const ys::engine::SynthSpec& spec);
// The spec the tests use: small, q8_0 weights, a 512-token vocabulary, BOS added.
ys::engine::SynthSpec small_spec();

class LiveServer {
 public:
  explicit LiveServer(const std::filesystem::path& model, ys::serve::ServeOptions o = {});
  ~LiveServer();
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/v1"; }
  int port() const { return server->port(); }
  std::unique_ptr<ys::engine::CpuModel> model;
  std::unique_ptr<ys::tok::Tokenizer> tok;
  std::unique_ptr<ys::serve::Server> server;

 private:
  std::thread thread_;
};

// Forwards every request to `upstream` (host, port) and injects faults by request number:
// the plan string holds one letter per request, cycled: '.' pass, 'E' 500, 'R' 429 with
// Retry-After: 0, 'D' drop the connection mid-response, 'S' sleep `slow_ms` then pass,
// 'T' sleep past the client's timeout (`stall_ms`) then pass.
class FaultProxy {
 public:
  FaultProxy(int upstream_port, std::string plan, int slow_ms = 200, int stall_ms = 2500);
  ~FaultProxy();
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  std::atomic<int> requests{0}, errors{0}, limited{0}, dropped{0}, slowed{0}, stalled{0};

 private:
  httplib::Server svr_;
  int upstream_port_;
  std::string plan_;
  int slow_ms_, stall_ms_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace remote_test
