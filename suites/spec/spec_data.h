// Spec-suite documents and templates (internal to suites/spec): data files read into
// template values, and doc_to_* entries (a field name, or a Jinja template rendered as lm-eval
// renders them).
#pragma once

#include "engine/tokenizer/jinja/jinja.h"
#include "suites/spec/spec.h"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ys::suites::detail {

// lm-eval's prompt-template environment (lm_eval/utils.py): jinja2.Environment with
// StrictUndefined and keep_trailing_newline, no extensions.
jinja::Options lm_eval_options();

// A doc_to_* entry: a field name (used as is, like lm-eval) or a Jinja template.
class DocTemplate {
 public:
  DocTemplate() = default;
  // `fields`: the documents' field names (a template with no tags naming one is that field).
  DocTemplate(const std::string& src, const std::set<std::string>& fields, const std::string& what);
  bool empty() const { return !field_ && !tpl_; }
  // The field's value, or the rendered text.
  jinja::Value value(const jinja::Value& doc) const;
  std::string render(const jinja::Value& doc, const jinja::Context& extra = {}) const;

 private:
  std::optional<std::string> field_;
  std::shared_ptr<jinja::Template> tpl_;
  std::string what_;
};

struct Rows {
  std::vector<jinja::Value> docs;
  std::string sha256;
};

// Reads a JSONL or CSV data file (checking its sha256 when the spec gives one). Errors name
// the file and line.
Rows load_rows(const SpecData& d);
// The field names of the first document.
std::set<std::string> field_names(const std::vector<jinja::Value>& docs);

}  // namespace ys::suites::detail
