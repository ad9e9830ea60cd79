// Store under process death and concurrency: SIGKILL mid-run, and two writers at once.
#include "runner/store/store.h"
#include "tests/store/store_helpers.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>
#include <map>
#include <sys/wait.h>
#include <unistd.h>

using namespace ys::store;

namespace {

constexpr int kBatch = 25;

bool write_all(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, c, n);
    if (w <= 0) return false;
    c += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Returns false on EOF.
bool read_all(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    ssize_t r = ::read(fd, c, n);
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Child: create a run, send its id (36 bytes), then append batches forever, sending each
// batch number after its transaction committed.
[[noreturn]] void killed_writer(const std::filesystem::path& db, int fd) {
  try {
    Store st = Store::open(db);
    RunRecord r;
    r.id = new_run_id();
    r.suite = "sigkill";
    std::string id = st.create_run(r);
    if (!write_all(fd, id.data(), id.size())) _exit(3);
    for (int32_t b = 0; b < 1000000; ++b) {
      st.append_samples(id, ys_test::make_batch(b, kBatch));
      if (!write_all(fd, &b, sizeof b)) _exit(4);
    }
    _exit(0);
  } catch (...) {
    _exit(2);
  }
}

// Child: create `runs` runs and append `batches` batches to each, interleaved.
[[noreturn]] void busy_writer(const std::filesystem::path& db, const std::string& tag, int runs, int batches) {
  try {
    Store st = Store::open(db);
    std::vector<std::string> ids;
    for (int i = 0; i < runs; ++i) {
      RunRecord r;
      r.suite = "two-writers";
      r.tag = tag;
      ids.push_back(st.create_run(r));
    }
    for (int b = 0; b < batches; ++b)
      for (const auto& id : ids) st.append_samples(id, ys_test::make_batch(b, kBatch, tag));
    for (const auto& id : ids) st.finish_run(id, "done", 1.0, int64_t{batches * kBatch}, "");
    _exit(0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "writer %s: %s\n", tag.c_str(), e.what());
    _exit(2);
  }
}

}  // namespace

TEST_CASE("SIGKILL mid-run leaves the db intact with every committed batch complete") {
  ys_test::TempDir dir("store-kill");
  auto db = dir.path / "r.db";
  { Store::open(db); }  // schema in place before the child starts
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    killed_writer(db, fds[1]);
  }
  close(fds[1]);
  char idbuf[36];
  bool got_id = read_all(fds[0], idbuf, sizeof idbuf);
  std::vector<int32_t> committed;
  int32_t b = 0;
  while (got_id && committed.size() < 40 && read_all(fds[0], &b, sizeof b)) committed.push_back(b);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Batches reported between our last read and the kill are committed too.
  while (read_all(fds[0], &b, sizeof b)) committed.push_back(b);
  close(fds[0]);
  REQUIRE(got_id);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  REQUIRE(committed.size() >= 40);

  Store st = Store::open(db);
  CHECK(st.integrity_check() == "ok");
  std::string id(idbuf, sizeof idbuf);
  auto samples = st.get_samples(id);
  std::map<std::string, ys::store::SampleRecord> by_doc;
  for (auto& s : samples) by_doc[s.doc_id] = s;
  for (int32_t cb : committed) {
    for (const auto& want : ys_test::make_batch(cb, kBatch)) {
      auto it = by_doc.find(want.doc_id);
      REQUIRE(it != by_doc.end());
      CHECK(it->second.request_json == want.request_json);
      CHECK(it->second.scores_json == want.scores_json);
    }
  }
  // Transactions are all-or-nothing: no partial batch, at most one more than reported.
  CHECK(samples.size() % kBatch == 0);
  CHECK(samples.size() / kBatch >= committed.size());
  CHECK(samples.size() / kBatch <= committed.size() + 1);
  CHECK(st.get_run(id)->status == "running");  // a killed run stays "running" (resumable)
}

TEST_CASE("two processes write one db at the same time") {
  ys_test::TempDir dir("store-two");
  auto db = dir.path / "r.db";  // fresh: both children race to create the schema too
  const int runs = 3, batches = 30;
  pid_t a = fork();
  REQUIRE(a >= 0);
  if (a == 0) busy_writer(db, "A", runs, batches);
  pid_t b = fork();
  if (b == 0) busy_writer(db, "B", runs, batches);
  int sa = 0, sb = 0;
  waitpid(a, &sa, 0);
  REQUIRE(b > 0);
  waitpid(b, &sb, 0);
  REQUIRE(WIFEXITED(sa));
  REQUIRE(WIFEXITED(sb));
  CHECK(WEXITSTATUS(sa) == 0);
  CHECK(WEXITSTATUS(sb) == 0);

  Store st = Store::open(db);
  CHECK(st.integrity_check() == "ok");
  for (const char* tag : {"A", "B"}) {
    RunFilter f;
    f.tag = tag;
    auto list = st.list_runs(f);
    REQUIRE(list.size() == static_cast<size_t>(runs));
    for (const auto& r : list) {
      CHECK(r.status == "done");
      CHECK(st.finished_doc_ids(r.id).size() == static_cast<size_t>(batches * kBatch));
    }
  }
}
