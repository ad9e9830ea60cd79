// The one thread that drives the engine for `yardstick serve`. HTTP handler threads hand it
// generation requests or scoring work and wait. Generation requests of every client queued
// at that moment go to the engine in ONE Model::generate_streamed call, so concurrent
// clients share its continuous batching; each client is answered as soon as its own
// requests are done. A call that the engine rejects as a whole is retried request by
// request, so one bad request fails alone.
#pragma once

#include "engine/model/model.h"
#include "runner/serve/metrics.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ys::serve {

class EngineWorker {
 public:
  EngineWorker(engine::Model& model, Metrics& metrics);
  ~EngineWorker();
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  // Generates (their on_text hooks run on the engine thread); returns when all are done.
  // A request the engine refused has its `error` set.
  std::vector<engine::GenerateResult> generate(std::vector<engine::GenerateRequest> reqs);
  // Runs fn on the engine thread and waits; its exception is rethrown here.
  void run(const std::function<void()>& fn);
  // Fails queued work and ends the thread (also done by the destructor).
  void stop();

 private:
  struct Job {
    std::vector<engine::GenerateRequest> reqs;
    std::vector<engine::GenerateResult> results;
    size_t left = 0;
    std::function<void()> fn;
    std::exception_ptr err;
    bool done = false;
  };
  void submit_and_wait(Job& job);
  void loop();
  void run_generation(std::vector<Job*>& jobs);
  void finish(Job& job);

  engine::Model& model_;
  Metrics& metrics_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Job*> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ys::serve
