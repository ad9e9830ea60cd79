// Strict loading of suite spec files (see spec.h, docs/spec-suites.md).
#include "suites/spec/spec.h"

#include "common/error.h"
#include "common/hash.h"
#include "datasets/csv.h"

#include <algorithm>
#include <set>

namespace ys::suites {

namespace {

using Json = nlohmann::ordered_json;

// Parses JSON keeping key order, rejecting duplicate keys, and remembering the line of
// every key (by its dotted path, e.g. "metrics[1].metric").
class LocatedJson {
 public:
  LocatedJson(const std::string& text, std::string source) : text_(text), source_(std::move(source)) {
    std::vector<Frame> st;
    std::vector<std::set<std::string>> seen;
    std::string duplicate;
    size_t dup_line = 0;
    auto element_done = [&] {
      if (!st.empty() && st.back().array) ++st.back().index;
    };
    auto cb = [&](int /*depth*/, Json::parse_event_t ev, Json& parsed) {
      using E = Json::parse_event_t;
      switch (ev) {
        case E::object_start: st.push_back({false, "", 0}), seen.emplace_back(); break;
        case E::array_start: st.push_back({true, "", 0}); break;
        case E::key: {
          const std::string k = parsed.get<std::string>();
          st.back().key = k;
          const size_t line = locate(parsed.dump());
          lines_[path(st)] = line;
          if (!seen.back().insert(k).second && duplicate.empty()) duplicate = path(st), dup_line = line;
          break;
        }
        case E::object_end: st.pop_back(), seen.pop_back(), element_done(); break;
        case E::array_end: st.pop_back(), element_done(); break;
        case E::value:
          if (parsed.is_string()) locate(parsed.dump());  // step over it: a key's text may occur in a value
          element_done();
          break;
      }
      return true;
    };
    try {
      json_ = Json::parse(text_, cb);
    } catch (const Json::parse_error& e) {
      fail(ErrorKind::format, "{}: line {}: not valid JSON: {}", source_, line_of(e.byte > 0 ? e.byte - 1 : 0), e.what());
    }
    if (!duplicate.empty()) fail(ErrorKind::format, "{}: line {}: key \"{}\" appears twice", source_, dup_line, duplicate);
  }

  const Json& json() const { return json_; }
  // The line of a key path, or of its nearest recorded ancestor (array elements have none).
  size_t line(std::string path) const {
    while (!path.empty()) {
      auto it = lines_.find(path);
      if (it != lines_.end()) return it->second;
      const size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
    return 0;
  }
  const std::string& source() const { return source_; }

 private:
  struct Frame {
    bool array;
    std::string key;
    size_t index;
  };

  static std::string path(const std::vector<Frame>& st) {
    std::string p;
    for (const Frame& f : st) p += f.array ? "[" + std::to_string(f.index) + "]" : (p.empty() ? "" : ".") + f.key;
    return p;
  }

  size_t line_of(size_t offset) const {
    offset = std::min(offset, text_.size());
    return 1 + static_cast<size_t>(std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  }

  // The line of the next occurrence of `token` (a JSON-encoded string) from the cursor.
  size_t locate(const std::string& token) {
    const size_t at = text_.find(token, cursor_);
    if (at == std::string::npos) return line_of(cursor_);
    cursor_ = at + token.size();
    return line_of(at);
  }

  std::string text_, source_;
  size_t cursor_ = 0;
  Json json_;
  std::map<std::string, size_t> lines_;
};

class Reader {
 public:
  explicit Reader(const LocatedJson& j) : j_(j) {}

  [[noreturn]] void bad(const std::string& path, const std::string& what) const {
    const size_t line = j_.line(path);
    if (line > 0) fail(ErrorKind::invalid_input, "{}: line {}: key \"{}\": {}", j_.source(), line, path, what);
    fail(ErrorKind::invalid_input, "{}: key \"{}\": {}", j_.source(), path, what);
  }

  // Every key of object `o` (at `path`) must be in `allowed`; `required` ones must be present.
  void keys(const Json& o, const std::string& path, const std::set<std::string>& allowed,
            const std::set<std::string>& required = {}) const {
    if (!o.is_object()) bad(path.empty() ? "(top level)" : path, "expected an object, got " + o.dump());
    for (auto it = o.begin(); it != o.end(); ++it) {
      if (allowed.count(it.key()) == 0) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        bad(join(path, it.key()), "unknown key (expected one of: " + list + ")");
      }
    }
    for (const auto& r : required)
      if (!o.contains(r)) {
        const size_t line = j_.line(path);
        fail(ErrorKind::invalid_input, "{}: {}missing required key \"{}\"", j_.source(),
             line > 0 ? "line " + std::to_string(line) + ": " : std::string(), join(path, r));
      }
  }

  static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

  std::string str(const Json& o, const std::string& path, const std::string& key, std::string def = "") const {
    if (!o.contains(key)) return def;
    const Json& v = o[key];
    if (!v.is_string()) bad(join(path, key), "expected a string, got " + v.dump());
    return v.get<std::string>();
  }

  bool boolean(const Json& o, const std::string& path, const std::string& key, bool def) const {
    if (!o.contains(key)) return def;
    if (!o[key].is_boolean()) bad(join(path, key), "expected true or false, got " + o[key].dump());
    return o[key].get<bool>();
  }

  int64_t integer(const Json& o, const std::string& path, const std::string& key, int64_t def, int64_t lo,
                  int64_t hi) const {
    if (!o.contains(key)) return def;
    const Json& v = o[key];
    if (!v.is_number_integer()) bad(join(path, key), "expected an integer, got " + v.dump());
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) bad(join(path, key), fmt::format("expected {}..{}, got {}", lo, hi, x));
    return x;
  }

  double number(const Json& o, const std::string& path, const std::string& key, double def) const {
    if (!o.contains(key)) return def;
    if (!o[key].is_number()) bad(join(path, key), "expected a number, got " + o[key].dump());
    return o[key].get<double>();
  }

  std::vector<std::string> strings(const Json& o, const std::string& path, const std::string& key) const {
    std::vector<std::string> out;
    if (!o.contains(key)) return out;
    const Json& v = o[key];
    if (!v.is_array()) bad(join(path, key), "expected an array of strings, got " + v.dump());
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) bad(join(path, key) + "[" + std::to_string(i) + "]", "expected a string, got " + v[i].dump());
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }

  std::string one_of(const Json& o, const std::string& path, const std::string& key, const std::set<std::string>& values,
                     const std::string& def) const {
    const std::string v = str(o, path, key, def);
    if (values.count(v) == 0) {
      std::string list;
      for (const auto& a : values) list += (list.empty() ? "" : ", ") + a;
      bad(join(path, key), "expected one of " + list + ", got \"" + v + "\"");
    }
    return v;
  }

 private:
  const LocatedJson& j_;
};

}  // namespace

bool is_spec_path(const std::string& suite) {
  return suite.size() > 5 && suite.compare(suite.size() - 5, 5, ".json") == 0;
}

Spec load_spec(const std::filesystem::path& file, const std::filesystem::path& data_dir) {
  const std::string text = datasets::read_text_file(file);
  const LocatedJson lj(text, file.string());
  const Reader r(lj);
  const Json& j = lj.json();
  Spec s;
  s.file = file;
  s.sha256 = sha256_hex(text);
  s.source = j;
  r.keys(j, "", {"yardstick_suite", "name", "version", "description", "data", "test_split", "prompt", "fewshot",
                 "request", "target", "filters", "metrics"},
         {"yardstick_suite", "name", "data", "prompt", "request", "metrics"});
  r.integer(j, "", "yardstick_suite", 1, 1, 1);
  s.name = r.str(j, "", "name");
  if (s.name.empty() || s.name.find_first_of(" /\\\t\n") != std::string::npos)
    r.bad("name", "expected a non-empty name without spaces or slashes, got \"" + s.name + "\"");
  s.version = r.str(j, "", "version", "1");
  s.about = r.str(j, "", "description");
  s.test_split = r.str(j, "", "test_split", "test");

  // data
  const Json& data = j["data"];
  if (!data.is_object() || data.empty()) r.bad("data", "expected an object of named splits, got " + data.dump());
  for (auto it = data.begin(); it != data.end(); ++it) {
    const std::string p = "data." + it.key();
    const Json& d = it.value();
    r.keys(d, p, {"path", "format", "root", "header", "columns", "sha256"}, {"path"});
    SpecData sd;
    sd.name = it.key();
    sd.shown_path = r.str(d, p, "path");
    const std::string root = r.one_of(d, p, "root", {"spec_dir", "data_dir"}, "spec_dir");
    std::filesystem::path path(sd.shown_path);
    if (path.is_relative()) path = (root == "data_dir" ? data_dir : file.parent_path()) / path;
    sd.path = path;
    std::string def_format = sd.shown_path.size() > 4 && sd.shown_path.substr(sd.shown_path.size() - 4) == ".csv" ? "csv" : "jsonl";
    sd.format = r.one_of(d, p, "format", {"jsonl", "csv"}, def_format);
    sd.header = r.boolean(d, p, "header", true);
    sd.columns = r.strings(d, p, "columns");
    if (sd.format == "jsonl" && (d.contains("header") || d.contains("columns")))
      r.bad(p + (d.contains("header") ? ".header" : ".columns"), "applies to csv data only");
    if (sd.format == "csv" && !sd.header && sd.columns.empty())
      r.bad(p + ".header", "a csv file without a header needs \"columns\"");
    sd.sha256 = r.str(d, p, "sha256");
    s.data[sd.name] = sd;
  }
  if (!s.data.count(s.test_split)) r.bad("test_split", "names no split under \"data\": \"" + s.test_split + "\"");

  // prompt
  const Json& prompt = j["prompt"];
  r.keys(prompt, "prompt", {"description", "doc_to_text", "doc_to_target", "target_delimiter", "fewshot_delimiter"},
         {"doc_to_text"});
  s.description = r.str(prompt, "prompt", "description");
  s.doc_to_text = r.str(prompt, "prompt", "doc_to_text");
  s.doc_to_target = r.str(prompt, "prompt", "doc_to_target");
  s.target_delimiter = r.str(prompt, "prompt", "target_delimiter", " ");
  s.fewshot_delimiter = r.str(prompt, "prompt", "fewshot_delimiter", "\n\n");

  // few-shot
  if (j.contains("fewshot")) {
    const Json& f = j["fewshot"];
    r.keys(f, "fewshot", {"n", "split", "samples", "sampler", "seed", "doc_to_text", "doc_to_target"}, {"n"});
    s.num_fewshot = static_cast<int>(r.integer(f, "fewshot", "n", 0, 0, 1000));
    s.fewshot_split = r.str(f, "fewshot", "split");
    s.sampler = r.one_of(f, "fewshot", "sampler", {"first_n", "random"}, "first_n");
    s.seed = static_cast<uint64_t>(r.integer(f, "fewshot", "seed", 1234, 0, INT64_MAX));
    if (f.contains("samples")) {
      if (!f["samples"].is_array()) r.bad("fewshot.samples", "expected an array of documents, got " + f["samples"].dump());
      for (size_t i = 0; i < f["samples"].size(); ++i)
        if (!f["samples"][i].is_object()) r.bad("fewshot.samples[" + std::to_string(i) + "]", "expected an object (a document)");
      s.fewshot_samples = f["samples"];
    }
    if (f.contains("doc_to_text")) s.fewshot_doc_to_text = r.str(f, "fewshot", "doc_to_text");
    if (f.contains("doc_to_target")) s.fewshot_doc_to_target = r.str(f, "fewshot", "doc_to_target");
    if (s.fewshot_split.empty() == s.fewshot_samples.is_null() && s.num_fewshot > 0)
      r.bad("fewshot", "give exactly one of \"split\" (a data split) and \"samples\" (inline documents)");
    if (!s.fewshot_split.empty()) {
      if (!s.data.count(s.fewshot_split)) r.bad("fewshot.split", "names no split under \"data\": \"" + s.fewshot_split + "\"");
      if (s.fewshot_split == s.test_split)
        r.bad("fewshot.split", "must differ from the test split (shots would include the question itself)");
    }
  }

  // request
  const Json& req = j["request"];
  r.keys(req, "request", {"kind", "until", "max_tokens", "choices", "gold"}, {"kind"});
  s.kind = r.one_of(req, "request", "kind", {"generate", "multiple_choice"}, "");
  if (s.kind == "generate") {
    for (const char* k : {"choices", "gold"})
      if (req.contains(k)) r.bad(std::string("request.") + k, "applies to kind multiple_choice only");
    s.until = r.strings(req, "request", "until");
    s.max_tokens = static_cast<int>(r.integer(req, "request", "max_tokens", 256, 1, 1 << 20));
    if (!j.contains("target")) r.bad("request.kind", "a generate request needs a top-level \"target\" template");
    s.target = r.str(j, "", "target");
  } else {
    for (const char* k : {"until", "max_tokens"})
      if (req.contains(k)) r.bad(std::string("request.") + k, "applies to kind generate only");
    if (!req.contains("choices") || !req.contains("gold")) r.bad("request.kind", "multiple_choice needs \"choices\" and \"gold\"");
    if (req["choices"].is_string()) s.choices_field = req["choices"].get<std::string>();
    else s.choices = r.strings(req, "request", "choices");
    if (s.choices.empty() && s.choices_field.empty()) r.bad("request.choices", "expected a field name or a non-empty array");
    s.gold = r.str(req, "request", "gold");
    if (j.contains("target")) r.bad("target", "applies to kind generate only (multiple_choice scores the gold choice)");
  }

  // filters
  std::set<std::string> filter_names;
  if (j.contains("filters")) {
    if (!j["filters"].is_array()) r.bad("filters", "expected an array, got " + j["filters"].dump());
    for (size_t i = 0; i < j["filters"].size(); ++i) {
      const std::string p = "filters[" + std::to_string(i) + "]";
      const Json& f = j["filters"][i];
      r.keys(f, p, {"name", "regex", "group_select", "fallback"}, {"name", "regex"});
      SpecFilter sf;
      sf.name = r.str(f, p, "name");
      sf.regex = r.str(f, p, "regex");
      sf.group_select = static_cast<int>(r.integer(f, p, "group_select", 0, -1000, 1000));
      sf.fallback = r.str(f, p, "fallback", "[invalid]");
      if (!filter_names.insert(sf.name).second) r.bad(p + ".name", "filter \"" + sf.name + "\" appears twice");
      if (s.kind != "generate") r.bad(p, "filters apply to generate requests");
      s.filters.push_back(sf);
    }
  }

  // metrics
  const Json& ms = j["metrics"];
  if (!ms.is_array() || ms.empty()) r.bad("metrics", "expected a non-empty array, got " + ms.dump());
  const std::set<std::string> mc = {"acc", "acc_norm"}, gen = {"exact_match", "bleu", "chrf", "pass_at_k"};
  std::set<std::string> keys;
  for (size_t i = 0; i < ms.size(); ++i) {
    const std::string p = "metrics[" + std::to_string(i) + "]";
    const Json& m = ms[i];
    r.keys(m, p, {"metric", "filter", "ignore_case", "ignore_punctuation", "regexes_to_ignore", "k", "program", "timeout_s"},
           {"metric"});
    SpecMetric sm;
    sm.metric = r.one_of(m, p, "metric", {"acc", "acc_norm", "exact_match", "bleu", "chrf", "pass_at_k"}, "");
    if (s.kind == "multiple_choice" && !mc.count(sm.metric)) r.bad(p + ".metric", "multiple_choice requests are scored with acc or acc_norm");
    if (s.kind == "generate" && !gen.count(sm.metric)) r.bad(p + ".metric", sm.metric + " needs a multiple_choice request");
    sm.filter = r.str(m, p, "filter");
    if (!sm.filter.empty() && !filter_names.count(sm.filter)) r.bad(p + ".filter", "names no filter: \"" + sm.filter + "\"");
    const bool em = sm.metric == "exact_match", pk = sm.metric == "pass_at_k";
    for (const char* k : {"ignore_case", "ignore_punctuation", "regexes_to_ignore"})
      if (m.contains(k) && !em) r.bad(p + "." + k, "applies to exact_match only");
    for (const char* k : {"k", "program", "timeout_s"})
      if (m.contains(k) && !pk) r.bad(p + "." + k, "applies to pass_at_k only");
    sm.ignore_case = r.boolean(m, p, "ignore_case", false);
    sm.ignore_punctuation = r.boolean(m, p, "ignore_punctuation", false);
    sm.regexes_to_ignore = r.strings(m, p, "regexes_to_ignore");
    if (pk) {
      if (!m.contains("program")) r.bad(p + ".metric", "pass_at_k needs \"program\" (a template using {{ completion }})");
      sm.program = r.str(m, p, "program");
      sm.timeout_s = r.number(m, p, "timeout_s", 3.0);
      if (!(sm.timeout_s > 0)) r.bad(p + ".timeout_s", "expected a positive number of seconds");
      const Json def = Json::array({1});
      const Json& ks = m.contains("k") ? m["k"] : def;
      if (!ks.is_array() || ks.empty()) r.bad(p + ".k", "expected a non-empty array of integers");
      for (const auto& k : ks) {
        if (!k.is_number_integer() || k.get<int64_t>() < 1) r.bad(p + ".k", "expected positive integers, got " + k.dump());
        sm.k.push_back(static_cast<int>(k.get<int64_t>()));
      }
    }
    if (!keys.insert(sm.key()).second) r.bad(p, "metric \"" + sm.key() + "\" appears twice");
    s.metrics.push_back(sm);
  }
  return s;
}

}  // namespace ys::suites
