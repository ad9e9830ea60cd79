// `yardstick serve`: the embedded engine as an OpenAI-compatible HTTP server (runner/serve).
#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"
#include "runner/cli.h"
#include "runner/model_loader.h"
#include "runner/serve/server.h"
#include "runner/settings.h"

#include <fmt/core.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <pthread.h>
#include <thread>

namespace {

struct ServeArgs {
  std::string model, host = "127.0.0.1", name, device = "cpu", quant, activations = "f32", bos = "auto";
  std::string kv_memory = "2GiB", api_key_env, port_file;
  int port = 8080, threads = 0, batch_size = 16;
  size_t max_body = 16 << 20, http_threads = 32;
  bool no_prefix_cache = false;
};

int run_serve(const ServeArgs& a) {
  if (a.model.rfind("openai:", 0) == 0)
    ys::fail(ys::ErrorKind::invalid_input, "--model: serve needs a GGUF file, not a remote model ({})", a.model);
  ys::engine::LoadOptions lo;
  if (!a.quant.empty()) lo.quant = a.quant;
  lo.activations = a.activations;
  lo.threads = a.threads;
  lo.batch_size = a.batch_size;
  lo.kv_memory_bytes = ys::runner::parse_memory_size(a.kv_memory);
  lo.prefix_cache = !a.no_prefix_cache;
  lo.bos = a.bos;
  ys::serve::ServeOptions so;
  so.host = a.host;
  so.port = a.port;
  so.served_name = a.name;
  so.bos = a.bos;
  so.max_body_bytes = a.max_body;
  so.http_threads = a.http_threads;
  if (!a.api_key_env.empty()) {
    const char* key = std::getenv(a.api_key_env.c_str());
    if (key == nullptr || *key == '\0')
      ys::fail(ys::ErrorKind::invalid_input, "--api-key-env {}: that environment variable is not set", a.api_key_env);
    so.api_key = key;
  }
  // SIGINT/SIGTERM end the server from a thread of their own (httplib's stop() is not
  // async-signal-safe); every thread started below inherits the blocked mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  auto model = ys::runner::open_model(a.model, lo, a.device);
  const ys::tok::Tokenizer tok(ys::tok::vocab_from_gguf(ys::gguf::File::open(a.model)));
  if (so.served_name.empty()) so.served_name = std::filesystem::path(a.model).stem().string();
  ys::serve::Server server(*model, tok, so);
  std::thread watcher([&server, sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig != 0) server.stop();
  });
  if (!a.port_file.empty()) {
    std::ofstream pf(a.port_file + ".part");
    pf << server.port() << "\n";
    pf.close();
    std::filesystem::rename(a.port_file + ".part", a.port_file);
  }
  const auto& mi = model->info();
  fmt::print("yardstick serve: http://{}:{}/v1 model \"{}\" ({}, {}, {} threads, context {})\n", a.host, server.port(),
             so.served_name, mi.path, mi.weight_type, mi.threads, mi.n_ctx);
  std::fflush(stdout);
  server.run();
  fmt::print("yardstick serve: stopped\n");
  pthread_kill(watcher.native_handle(), SIGTERM);  // wakes the watcher if the server stopped on its own
  watcher.join();
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg(
    "serve", "Serve a GGUF model over an OpenAI-compatible HTTP API (completions with logprobs, chat, streaming, metrics)",
    [](CLI::App& app) -> ys::cli::RunFn {
      auto a = std::make_shared<ServeArgs>();
      app.add_option("--model,-m", a->model, "GGUF model file (default: the set-up's SmolLM2)");
      app.add_option("--host", a->host, "Address to listen on (default 127.0.0.1: this machine only)")->capture_default_str();
      app.add_option("--port", a->port, "Port (0 = any free port; see --port-file)")->capture_default_str();
      app.add_option("--port-file", a->port_file, "Write the port here once listening");
      app.add_option("--name", a->name, "Model name clients send (default: the file name without .gguf)");
      app.add_option("--device", a->device, "cpu or cuda[:N] (when built with CUDA)")->capture_default_str();
      app.add_option("--threads,-t", a->threads, "CPU threads (0 = all cores)");
      app.add_option("--quant", a->quant, "Re-quantize weights at load: f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1");
      app.add_option("--activations", a->activations, "f32 (exact, default) | int8");
      app.add_option("--bos", a->bos, "Prepend BOS to text prompts: auto | on | off")->capture_default_str();
      app.add_option("--batch-size", a->batch_size, "Sequences the engine decodes together")->capture_default_str();
      app.add_option("--kv-memory", a->kv_memory, "Budget for key/value caches, e.g. 4GiB")->capture_default_str();
      app.add_flag("--no-prefix-cache", a->no_prefix_cache, "Recompute every prompt from scratch");
      app.add_option("--max-body", a->max_body, "Largest request body in bytes (413 beyond)")->capture_default_str();
      app.add_option("--http-threads", a->http_threads, "Connections handled at once")->capture_default_str();
      app.add_option("--api-key-env", a->api_key_env, "Require this environment variable's value as the Bearer key");
      return [a] {
        ServeArgs args = *a;
        if (args.model.empty()) args.model = ys::cli::default_model_path();
        return run_serve(args);
      };
    });

}  // namespace
