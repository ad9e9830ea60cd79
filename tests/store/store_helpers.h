// Helpers shared by the store tests: a fresh temporary database path and sample batches.
#pragma once

#include "runner/store/records.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ys_test {

// A fresh, empty directory under the system temp dir, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Batch `b` of `n` samples: doc ids "b<b>-<i>", contents derived from (b, i).
std::vector<ys::store::SampleRecord> make_batch(int b, int n, const std::string& tag = "");

}  // namespace ys_test
