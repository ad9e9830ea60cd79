// Spec-suite documents and templates (see spec_data.h).
#include "suites/spec/spec_data.h"

#include "common/error.h"
#include "common/hash.h"
#include "datasets/csv.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ys::suites::detail {

using Json = nlohmann::ordered_json;

jinja::Options lm_eval_options() {
  jinja::Options o;
  o.strict_undefined = true;
  o.keep_trailing_newline = true;
  o.loop_controls = false;
  o.html_safe_tojson = true;
  return o;
}

DocTemplate::DocTemplate(const std::string& src, const std::set<std::string>& fields, const std::string& what)
    : what_(what) {
  if (src.find("{{") == std::string::npos && src.find("{%") == std::string::npos && fields.count(src)) {
    field_ = src;
  } else {
    tpl_ = std::make_shared<jinja::Template>(src, lm_eval_options(), what);
  }
}

jinja::Value DocTemplate::value(const jinja::Value& doc) const {
  if (field_) {
    const jinja::Value* v = doc.find(*field_);
    if (v == nullptr) fail(ErrorKind::format, "{}: the document has no field \"{}\"", what_, *field_);
    return *v;
  }
  return jinja::Value(render(doc));
}

std::string DocTemplate::render(const jinja::Value& doc, const jinja::Context& extra) const {
  if (field_) return jinja::to_str(value(doc));
  jinja::Context ctx = extra;
  for (const auto& [k, v] : doc.as_dict()) ctx[jinja::to_str(k)] = v;
  return tpl_->render(ctx);
}


Rows load_rows(const SpecData& d) {
  const std::string text = datasets::read_text_file(d.path);
  Rows out;
  out.sha256 = sha256_hex(text);
  const std::string src = d.path.string();
  if (!d.sha256.empty() && d.sha256 != out.sha256)
    fail(ErrorKind::format, "{}: sha256 is {}, the spec expects {} (data.{}.sha256)", src, out.sha256, d.sha256, d.name);
  if (d.format == "jsonl") {
    size_t line = 0, pos = 0;
    while (pos <= text.size()) {
      const size_t nl = text.find('\n', pos);
      const std::string_view l(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
      ++line;
      if (l.find_first_not_of(" \t\r") != std::string_view::npos) {
        Json j;
        try {
          j = Json::parse(l);
        } catch (const Json::parse_error& e) {
          fail(ErrorKind::format, "{}: line {}: not valid JSON: {}", src, line, e.what());
        }
        if (!j.is_object()) fail(ErrorKind::format, "{}: line {}: expected a JSON object, got {}", src, line, j.type_name());
        out.docs.push_back(jinja::from_json(j));
      }
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
  } else {
    datasets::CsvOptions o;
    o.universal_newlines = false;  // quoted line breaks stay as written (as MMLU, docs/protocols.md)
    std::vector<datasets::CsvRecord> recs = datasets::parse_csv(text, src, o);
    std::vector<std::string> cols = d.columns;
    size_t first = 0;
    if (d.header) {
      if (recs.empty()) fail(ErrorKind::format, "{}: empty csv file (a header was expected)", src);
      if (cols.empty()) cols = recs[0].fields;
      first = 1;
    }
    for (size_t r = first; r < recs.size(); ++r) {
      if (recs[r].fields.size() != cols.size())
        fail(ErrorKind::format, "{}: line {}: {} fields, expected {} ({})", src, recs[r].line, recs[r].fields.size(),
             cols.size(), fmt::join(cols, ","));
      jinja::DictItems items;
      for (size_t c = 0; c < cols.size(); ++c) items.emplace_back(jinja::Value(cols[c]), jinja::Value(recs[r].fields[c]));
      out.docs.push_back(jinja::Value::dict(std::move(items)));
    }
  }
  if (out.docs.empty()) fail(ErrorKind::format, "{}: no documents", src);
  return out;
}

std::set<std::string> field_names(const std::vector<jinja::Value>& docs) {
  std::set<std::string> out;
  if (!docs.empty())
    for (const auto& [k, v] : docs.front().as_dict()) out.insert(jinja::to_str(k));
  return out;
}

}  // namespace ys::suites::detail
