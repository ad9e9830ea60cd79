#include "tests/remote/live_server.h"

#include "engine/gguf/gguf.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <set>

namespace remote_test {

std::filesystem::path synth_model(const std::string& name, const ys::engine::SynthSpec& spec) {
  static std::mutex mu;
  static std::set<std::string> written;
  std::lock_guard<std::mutex> lock(mu);
  const auto dir = std::filesystem::path(YS_BINARY_DIR) / "test_tmp" / "remote";
  std::filesystem::create_directories(dir);
  const auto path = dir / (name + ".gguf");
  if (!written.count(name)) {
    ys::engine::write_synth_model(spec, path);
    written.insert(name);
  }
  return path;
}

ys::engine::SynthSpec small_spec() {
  ys::engine::SynthSpec s;
  s.n_layer = 2, s.n_embd = 64, s.n_head = 4, s.n_kv_head = 2, s.n_ff = 128, s.n_vocab = 512, s.n_ctx = 1024;
  s.type = ys::quant::Type::q8_0;
  s.add_bos = true;
  s.seed = 7;
  return s;
}

LiveServer::LiveServer(const std::filesystem::path& path, ys::serve::ServeOptions o) {
  ys::engine::LoadOptions lo;
  lo.threads = 1;
  model = std::make_unique<ys::engine::CpuModel>(path, lo);
  tok = std::make_unique<ys::tok::Tokenizer>(ys::tok::vocab_from_gguf(ys::gguf::File::open(path)));
  o.port = 0;
  if (o.served_name.empty()) o.served_name = "synth";
  server = std::make_unique<ys::serve::Server>(*model, *tok, o);
  thread_ = std::thread([this] { server->run(); });
}

LiveServer::~LiveServer() {
  server->stop();
  thread_.join();
  server.reset();
}

FaultProxy::FaultProxy(int upstream_port, std::string plan, int slow_ms, int stall_ms)
    : upstream_port_(upstream_port), plan_(std::move(plan)), slow_ms_(slow_ms), stall_ms_(stall_ms) {
  auto forward = [this](const httplib::Request& req, httplib::Response& res) {
    const int n = requests.fetch_add(1);
    const char fault = plan_.empty() ? '.' : plan_[size_t(n) % plan_.size()];
    if (fault == 'E') {
      ++errors;
      res.status = 500;
      res.set_content("{\"error\":{\"message\":\"injected failure\"}}", "application/json");
      return;
    }
    if (fault == 'R') {
      ++limited;
      res.status = 429;
      res.set_header("Retry-After", "0");
      res.set_content("{\"error\":{\"message\":\"injected rate limit\"}}", "application/json");
      return;
    }
    if (fault == 'S') ++slowed, std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_));
    if (fault == 'T') ++stalled, std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms_));
    httplib::Client up("127.0.0.1", upstream_port_);
    up.set_read_timeout(120);
    httplib::Result r = req.method == "GET" ? up.Get(req.path.c_str())
                                            : up.Post(req.path.c_str(), req.body, "application/json");
    if (!r) {
      res.status = 502;
      res.set_content("{\"error\":{\"message\":\"upstream unreachable\"}}", "application/json");
      return;
    }
    if (fault == 'D') {
      // Announce the whole body, send half, then give up: the connection closes mid-response.
      ++dropped;
      auto body = std::make_shared<std::string>(r->body);
      res.status = r->status;
      res.set_content_provider(body->size(), "application/json",
                               [body](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset > 0) return false;
                                 sink.write(body->data(), body->size() / 2);
                                 return true;
                               });
      return;
    }
    res.status = r->status;
    res.set_content(r->body, r->get_header_value("Content-Type").c_str());
  };
  svr_.Get(".*", forward);
  svr_.Post(".*", forward);
  port_ = svr_.bind_to_any_port("127.0.0.1");
  REQUIRE(port_ > 0);
  thread_ = std::thread([this] { svr_.listen_after_bind(); });
}

FaultProxy::~FaultProxy() {
  svr_.stop();
  thread_.join();
}

}  // namespace remote_test
