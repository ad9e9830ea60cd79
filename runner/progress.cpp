#include "runner/progress.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

namespace ys::runner {
namespace {

std::string format_eta(double seconds) {
  if (seconds < 0) return "?";
  auto s = static_cast<int64_t>(seconds);
  return fmt::format("{}m{:02}s", s / 60, s % 60);
}

}  // namespace

Progress::Progress(std::string label, int64_t total, int64_t already_done)
    : label_(std::move(label)), total_(total), done_(already_done), start_done_(already_done),
      tty_(isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  draw(true);
}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t docs, int64_t tokens) {
  done_ += docs;
  tokens_ += tokens;
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  draw(true);
  if (tty_) fmt::print(stderr, "\n");
  finished_ = true;
}

void Progress::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && since_draw < (tty_ ? 0.2 : 10.0)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  int64_t new_docs = done_ - start_done_;
  double tok_s = elapsed > 0 ? static_cast<double>(tokens_) / elapsed : 0.0;
  double remaining = -1;
  if (new_docs > 0 && total_ > done_) {
    remaining = elapsed / static_cast<double>(new_docs) * static_cast<double>(total_ - done_);
  } else if (total_ <= done_) {
    remaining = 0;
  }
  const std::string eta = format_eta(remaining);
  double frac = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  if (tty_) {
    constexpr int kWidth = 30;
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    fmt::print(stderr, "\r{} [{}] {}/{} docs  {:.1f} tok/s  ETA {}   ", label_, bar, done_, total_, tok_s, eta);
  } else {
    fmt::print(stderr, "{}: {}/{} docs ({:.0f}%), {:.1f} tok/s, ETA {}\n", label_, done_, total_, frac * 100, tok_s,
               eta);
  }
  std::fflush(stderr);
}

}  // namespace ys::runner
