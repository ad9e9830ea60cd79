// Strict loading of suite spec files: every error names the file, the key path and its line.
#include "suites/spec/spec.h"

#include "common/error.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace ys::suites;
namespace fs = std::filesystem;

namespace {

struct TempSpec {
  fs::path dir;
  TempSpec() {
    dir = fs::temp_directory_path() / ("ys-spec-load-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(dir);
    std::ofstream(dir / "test.jsonl") << "{\"q\": \"1+1\", \"a\": \"2\"}\n";
  }
  ~TempSpec() { fs::remove_all(dir); }
  static int& counter() {
    static int c = 0;
    return c;
  }
  fs::path write(const std::string& text) const {
    std::ofstream(dir / "s.json") << text;
    return dir / "s.json";
  }
};

const char* kValid = R"({
  "yardstick_suite": 1,
  "name": "tiny",
  "data": {"test": {"path": "test.jsonl"}},
  "prompt": {"doc_to_text": "Q: {{q}}\nA:"},
  "request": {"kind": "generate", "until": ["\n"]},
  "target": "{{a}}",
  "metrics": [{"metric": "exact_match"}]
})";

// Loads `text` and returns the error message (FAILs if it loads).
std::string error_of(const std::string& text) {
  TempSpec t;
  try {
    load_spec(t.write(text), t.dir);
  } catch (const ys::Error& e) {
    return e.what();
  }
  FAIL("the spec loaded");
  return {};
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("spec: a valid spec loads with its defaults") {
  TempSpec t;
  const Spec s = load_spec(t.write(kValid), "/nonexistent-data-dir");
  CHECK(s.name == "tiny");
  CHECK(s.version == "1");
  CHECK(s.data.at("test").format == "jsonl");
  CHECK(s.data.at("test").path == t.dir / "test.jsonl");  // relative to the spec's folder
  CHECK(s.target_delimiter == " ");
  CHECK(s.fewshot_delimiter == "\n\n");
  CHECK(s.max_tokens == 256);
  CHECK(s.metrics.at(0).key() == "exact_match");
  CHECK(s.sha256.size() == 64);
  CHECK(is_spec_path("dir/x.json"));
  CHECK_FALSE(is_spec_path("gsm8k"));
}

TEST_CASE("spec: data_dir-relative paths") {
  TempSpec t;
  const Spec s = load_spec(t.write(replace(kValid, "\"path\": \"test.jsonl\"", "\"path\": \"x/test.csv\", \"root\": \"data_dir\"")),
                           "/data");
  CHECK(s.data.at("test").path == fs::path("/data/x/test.csv"));
  CHECK(s.data.at("test").format == "csv");
}

TEST_CASE("spec: unknown, duplicate, missing keys and wrong types name the key and line") {
  CHECK_THAT(error_of(replace(kValid, "\"name\": \"tiny\",", "\"name\": \"tiny\",\n  \"nmae\": 1,")),
             Catch::Contains("s.json: line 4: key \"nmae\": unknown key"));
  CHECK_THAT(error_of(replace(kValid, "\"name\": \"tiny\",", "\"name\": \"tiny\",\n  \"name\": \"again\",")),
             Catch::Contains("line 4: key \"name\" appears twice"));
  CHECK_THAT(error_of(replace(kValid, "{\"kind\": \"generate\", \"until\": [\"\\n\"]}",
                              "{\"kind\": \"generate\", \"until\": [\"\\n\", 3]}")),
             Catch::Contains("line 6: key \"request.until[1]\": expected a string, got 3"));
  CHECK_THAT(error_of(replace(kValid, "\"metric\": \"exact_match\"", "\"metric\": \"exact-match\"")),
             Catch::Contains("line 8: key \"metrics[0].metric\": expected one of"));
  CHECK_THAT(error_of(replace(kValid, "{\"doc_to_text\": \"Q: {{q}}\\nA:\"}", "{\"doc_to_txt\": \"x\"}")),
             Catch::Contains("key \"prompt.doc_to_txt\": unknown key"));
  CHECK_THAT(error_of(replace(kValid, "\"yardstick_suite\": 1,", "\"yardstick_suite\": \"1\",")),
             Catch::Contains("line 2: key \"yardstick_suite\": expected an integer"));
  CHECK_THAT(error_of(replace(kValid, "  \"target\": \"{{a}}\",\n", "")), Catch::Contains("needs a top-level \"target\""));
  CHECK_THAT(error_of("{\"yardstick_suite\": 1}"), Catch::Contains("missing required key \"data\""));
  CHECK_THAT(error_of("{\"yardstick_suite\": 1,"), Catch::Contains("not valid JSON"));
}

TEST_CASE("spec: values are checked against the request kind and each other") {
  CHECK_THAT(error_of(replace(kValid, "\"metric\": \"exact_match\"", "\"metric\": \"acc\"")),
             Catch::Contains("acc needs a multiple_choice request"));
  CHECK_THAT(error_of(replace(kValid, "\"metric\": \"exact_match\"", "\"metric\": \"exact_match\", \"filter\": \"strict\"")),
             Catch::Contains("key \"metrics[0].filter\": names no filter"));
  CHECK_THAT(error_of(replace(kValid, "\"metric\": \"exact_match\"", "\"metric\": \"exact_match\", \"k\": [1]")),
             Catch::Contains("applies to pass_at_k only"));
  CHECK_THAT(error_of(replace(kValid, "\"data\": {\"test\"", "\"test_split\": \"eval\",\n  \"data\": {\"test\"")),
             Catch::Contains("key \"test_split\": names no split"));
  CHECK_THAT(error_of(replace(kValid, "\"target\": \"{{a}}\",", "\"target\": \"{{a}}\",\n  \"fewshot\": {\"n\": 2, \"split\": \"test\"},")),
             Catch::Contains("must differ from the test split"));
  CHECK_THAT(error_of(replace(kValid, "\"path\": \"test.jsonl\"", "\"path\": \"test.jsonl\", \"columns\": [\"a\"]")),
             Catch::Contains("applies to csv data only"));
  CHECK_THAT(error_of(replace(kValid, "{\"kind\": \"generate\", \"until\": [\"\\n\"]}",
                              "{\"kind\": \"multiple_choice\", \"choices\": [\"A\"], \"gold\": \"0\"}")),
             Catch::Contains("applies to kind generate only"));
}
