#include "tests/store/store_helpers.h"

#include <fmt/format.h>
#include <unistd.h>

#include <random>

namespace ys_test {

TempDir::TempDir(const std::string& tag) {
  std::random_device rd;
  path = std::filesystem::temp_directory_path() / fmt::format("ys-{}-{}-{:08x}", tag, getpid(), rd());
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::vector<ys::store::SampleRecord> make_batch(int b, int n, const std::string& tag) {
  std::vector<ys::store::SampleRecord> out;
  for (int i = 0; i < n; ++i) {
    ys::store::SampleRecord s;
    s.doc_id = fmt::format("{}b{:06d}-{:04d}", tag, b, i);
    s.prompt_hash = fmt::format("{:016x}", static_cast<uint64_t>(b) * 1000003u + static_cast<uint64_t>(i));
    s.request_json = fmt::format(R"({{"prompt":"question {} of batch {}"}})", i, b);
    s.output_json = fmt::format(R"({{"text":"answer {}"}})", (b + i) % 4);
    s.target = std::string(1, static_cast<char>('A' + (i % 4)));
    s.scores_json = fmt::format(R"({{"acc":{}}})", (b + i) % 2);
    out.push_back(s);
  }
  return out;
}

}  // namespace ys_test
