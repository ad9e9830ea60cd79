#include "runner/serve/engine_worker.h"

#include "common/error.h"

namespace ys::serve {

EngineWorker::EngineWorker(engine::Model& model, Metrics& metrics)
    : model_(model), metrics_(metrics), thread_([this] { loop(); }) {}

EngineWorker::~EngineWorker() { stop(); }

void EngineWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (Job* j : queue_) {
    j->err = std::make_exception_ptr(Error(ErrorKind::io, "the server is shutting down"));
    j->done = true;
  }
  queue_.clear();
  done_cv_.notify_all();
}

void EngineWorker::submit_and_wait(Job& job) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) fail(ErrorKind::io, "the server is shutting down");
  queue_.push_back(&job);
  metrics_.queue_delta(1);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return job.done; });
  if (job.err) std::rethrow_exception(job.err);
}

std::vector<engine::GenerateResult> EngineWorker::generate(std::vector<engine::GenerateRequest> reqs) {
  Job job;
  job.left = reqs.size();
  job.results.resize(reqs.size());
  job.reqs = std::move(reqs);
  if (job.left == 0) return {};
  submit_and_wait(job);
  return std::move(job.results);
}

void EngineWorker::run(const std::function<void()>& fn) {
  Job job;
  job.fn = fn;
  submit_and_wait(job);
}

void EngineWorker::finish(Job& job) {
  std::lock_guard<std::mutex> lock(mu_);
  job.done = true;
  done_cv_.notify_all();
}

void EngineWorker::run_generation(std::vector<Job*>& jobs) {
  std::vector<engine::GenerateRequest> all;
  std::vector<std::pair<size_t, size_t>> owner;  // request -> (job, index in it)
  for (size_t j = 0; j < jobs.size(); ++j)
    for (size_t k = 0; k < jobs[j]->reqs.size(); ++k) all.push_back(jobs[j]->reqs[k]), owner.emplace_back(j, k);
  metrics_.engine_batch(all.size());
  std::vector<bool> answered(jobs.size(), false);  // a finished job may already be gone: never touch it again
  try {
    model_.generate_streamed(all, [&](size_t i, const engine::GenerateResult& r) {
      const auto [j, k] = owner.at(i);
      jobs[j]->results[k] = r;
      if (--jobs[j]->left == 0) answered[j] = true, finish(*jobs[j]);
    });
    return;
  } catch (const std::exception&) {
    // Refused as a whole (e.g. one request over the memory budget): one by one below.
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    if (answered[j]) continue;
    Job& job = *jobs[j];
    for (size_t k = 0; k < job.reqs.size(); ++k) {
      try {
        job.results[k] = model_.generate({job.reqs[k]}).at(0);
      } catch (const std::exception& e) {
        job.results[k] = {};
        job.results[k].error = e.what();
      }
    }
    job.left = 0;
    finish(job);
  }
}

void EngineWorker::loop() {
  for (;;) {
    std::vector<Job*> gen;
    Job* task = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      if (queue_.front()->fn) {
        task = queue_.front();
        queue_.pop_front();
        metrics_.queue_delta(-1);
      } else {
        // Every queued generation job goes to the engine together.
        for (auto it = queue_.begin(); it != queue_.end();) {
          if ((*it)->fn) {
            ++it;
            continue;
          }
          gen.push_back(*it);
          it = queue_.erase(it);
          metrics_.queue_delta(-1);
        }
      }
    }
    if (task != nullptr) {
      try {
        task->fn();
      } catch (...) {
        task->err = std::current_exception();
      }
      finish(*task);
    } else {
      run_generation(gen);
    }
  }
}

}  // namespace ys::serve
