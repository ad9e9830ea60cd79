#include "runner/serve/server_impl.h"

#include "common/error.h"

#include <fmt/core.h>

#include <chrono>
#include <ctime>

namespace ys::serve {

using nlohmann::json;

std::string dump_json(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

const char* finish_reason(engine::StopReason r) {
  return r == engine::StopReason::eos || r == engine::StopReason::stop_string ? "stop" : "length";
}

Server::Impl::Impl(engine::Model& m, const tok::Tokenizer& t, ServeOptions o)
    : model(m), tok(t), opt(std::move(o)), worker(m, metrics), scorer(m) {}

std::vector<int32_t> Server::Impl::encode_prompt(const std::string& text) const {
  // The engine's rule for LoadOptions::bos (runtime::Engine::encode_input).
  return ys::tok::encode_prompt(tok, text, opt.bos);
}

std::string Server::Impl::piece(int32_t id) const {
  if (id < 0 || id >= tok.n_vocab()) return fmt::format("<id:{}>", id);  // a logits row past the vocabulary
  return tok.piece(id);
}

std::string Server::Impl::new_id(const char* prefix) { return fmt::format("{}-{}", prefix, next_id.fetch_add(1)); }

namespace {

void send_error(httplib::Response& res, int status, const std::string& message) {
  const char* type = status == 401 ? "authentication_error" : status == 404 ? "not_found_error"
                   : status < 500  ? "invalid_request_error" : "server_error";
  res.status = status;
  res.set_content(error_body(message, type, status), "application/json");
}

// The route label for metrics: only fixed strings, never a client's path.
std::string route_of(const httplib::Request& req) {
  static const char* known[] = {"/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics",
                                "/tokenize", "/detokenize", "/tokenizer_info"};
  for (const char* r : known)
    if (req.path == r) return r;
  return "other";
}

// httplib handles a request (pre-routing, handler, response, logger) on one thread.
struct RequestClock {
  std::chrono::steady_clock::time_point start;
  bool active = false;
};
thread_local RequestClock t_clock;

}  // namespace

Server::Server(engine::Model& model, const tok::Tokenizer& tokenizer, ServeOptions options)
    : impl_(std::make_unique<Impl>(model, tokenizer, std::move(options))) {
  Impl& s = *impl_;
  if (s.opt.served_name.empty()) s.opt.served_name = model.info().name;
  if (s.opt.bos != "auto" && s.opt.bos != "on" && s.opt.bos != "off")
    fail(ErrorKind::invalid_input, "--bos: expected auto, on or off, got \"{}\"", s.opt.bos);
  s.opt.limits.n_vocab = std::max(1, model.info().n_vocab > 0 ? model.info().n_vocab : tokenizer.n_vocab());
  const size_t threads = std::max<size_t>(2, s.opt.http_threads);
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_payload_max_length(s.opt.max_body_bytes);
  s.http.set_read_timeout(60);
  s.http.set_write_timeout(60);
  s.http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
    s.metrics.in_flight_delta(1);
    t_clock = {std::chrono::steady_clock::now(), true};
    if (!s.opt.api_key.empty() && req.path != "/health" && req.path != "/metrics" &&
        req.get_header_value("Authorization") != "Bearer " + s.opt.api_key) {
      send_error(res, 401, "missing or wrong API key (Authorization: Bearer ...)");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.http.set_logger([&s](const httplib::Request& req, const httplib::Response& res) {
    double secs = 0;
    if (t_clock.active) {
      secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_clock.start).count();
      t_clock.active = false;
      s.metrics.in_flight_delta(-1);
    }
    s.metrics.request_done(route_of(req), res.status, secs);
  });
  s.http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });
  s.http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) send_error(res, 404, "no route " + req.method + " " + req.path.substr(0, 200));
    else if (res.status == 413) send_error(res, 413, "the request body is larger than the limit (--max-body)");
    else send_error(res, res.status, "request failed");
  });

  s.http.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  s.http.Get("/metrics", [&s](const httplib::Request&, httplib::Response& res) {
    res.set_content(s.metrics.render(), "text/plain; version=0.0.4");
  });
  s.http.Get("/v1/models", [&s](const httplib::Request&, httplib::Response& res) {
    const engine::ModelInfo& mi = s.model.info();
    json m = {{"id", s.opt.served_name}, {"object", "model"}, {"created", int64_t(std::time(nullptr))},
              {"owned_by", "yardstick"}, {"max_model_len", mi.n_ctx},
              {"yardstick", {{"sha256", mi.sha256}, {"weight_type", mi.weight_type}, {"architecture", mi.architecture},
                             {"activations", mi.activations}, {"path", mi.path}}}};
    res.set_content(dump_json({{"object", "list"}, {"data", json::array({m})}}), "application/json");
  });
  s.http.Get("/tokenizer_info", [&s](const httplib::Request&, httplib::Response& res) {
    const tok::Vocab& v = s.tok.vocab();
    auto text_of = [&](int32_t id) { return id >= 0 && id < s.tok.n_vocab() ? json(v.tokens[size_t(id)]) : json(nullptr); };
    res.set_content(dump_json({{"eos_token", text_of(v.eos)}, {"bos_token", text_of(v.bos)}, {"pad_token", text_of(v.pad)},
                               {"chat_template", v.chat_template}, {"model_max_length", s.model.info().n_ctx},
                               {"tokenizer_class", "yardstick-" + v.model}}),
                    "application/json");
  });
  s.http.Post("/tokenize", [&s](const httplib::Request& req, httplib::Response& res) {
    try {
      const TokenizeRequest t = parse_tokenize_request(req.body, s.opt.limits);
      const std::vector<int32_t> ids = t.add_special ? s.encode_prompt(t.text) : s.tok.encode(t.text, false);
      res.set_content(dump_json({{"tokens", ids}, {"count", ids.size()}, {"max_model_len", s.model.info().n_ctx}}),
                      "application/json");
    } catch (const Error& e) {
      send_error(res, 400, e.what());
    }
  });
  s.http.Post("/detokenize", [&s](const httplib::Request& req, httplib::Response& res) {
    try {
      const std::vector<int32_t> ids = parse_detokenize_request(req.body, s.opt.limits);
      for (int32_t id : ids)
        if (id >= s.tok.n_vocab()) fail(ErrorKind::invalid_input, "\"tokens\": id {} is past the vocabulary ({})", id, s.tok.n_vocab());
      res.set_content(dump_json({{"prompt", s.tok.decode(ids)}}), "application/json");
    } catch (const Error& e) {
      send_error(res, 400, e.what());
    }
  });
  s.http.Post("/v1/completions", [&s](const httplib::Request& req, httplib::Response& res) { s.completions(req, res, false); });
  s.http.Post("/v1/chat/completions",
              [&s](const httplib::Request& req, httplib::Response& res) { s.completions(req, res, true); });

  if (s.opt.port == 0) {
    s.port = s.http.bind_to_any_port(s.opt.host);
    if (s.port < 0) fail(ErrorKind::io, "serve: cannot bind to {} (any port)", s.opt.host);
  } else {
    if (!s.http.bind_to_port(s.opt.host, s.opt.port))
      fail(ErrorKind::io, "serve: cannot bind to {}:{} (in use? try --port 0 for any free port)", s.opt.host, s.opt.port);
    s.port = s.opt.port;
  }
}

Server::~Server() {
  stop();
  std::unique_lock<std::mutex> lock(impl_->streams_mu);
  impl_->streams_cv.wait(lock, [&] { return impl_->streams == 0; });
}

int Server::port() const { return impl_->port; }

void Server::run() { impl_->http.listen_after_bind(); }

void Server::stop() {
  impl_->http.stop();
  impl_->worker.stop();
}

}  // namespace ys::serve
