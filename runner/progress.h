// Progress of long work: a redrawn bar on a TTY, periodic plain lines otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ys::runner {

class Progress {
 public:
  // `label` e.g. "mmlu"; `total` documents. Writes to stderr.
  Progress(std::string label, int64_t total, int64_t already_done = 0);
  ~Progress();
  void advance(int64_t docs, int64_t tokens);
  void finish();

 private:
  void draw(bool force);
  std::string label_;
  int64_t total_, done_, start_done_, tokens_ = 0;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ys::runner
