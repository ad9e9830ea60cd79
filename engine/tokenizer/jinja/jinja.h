// A Jinja template renderer: the subset of jinja2 3.1 that model chat templates (GGUF
// tokenizer.chat_template, Hugging Face tokenizer_config.json) and lm-eval prompt templates
// use, rendered exactly as jinja2 renders them (checked against Python's jinja2 by
// tools/gen_chat_fixtures.py; see docs/protocols.md "Chat templates" for the construct list).
//
// Supported: {{ }}, {% if/elif/else %}, {% for ... in ... [if ...] %} with loop.* and
// {% else %}, {% set %} (names, tuples, namespace attributes, block set), {% macro %},
// {% break/continue %}, {% generation %} (transformers), {% raw %}, comments, whitespace
// control and the trim_blocks/lstrip_blocks/keep_trailing_newline options; Python literals,
// arithmetic, comparisons, `in`, `~`, conditional expressions, attribute/item access,
// slices, Python str/dict/list methods, the common filters and tests, range, namespace,
// dict. Anything else (include, import, extends, block, call, filter blocks, unknown
// filters, tests or statements) is refused when the template is parsed, with a message
// naming the construct and its line.
#pragma once

#include "engine/tokenizer/jinja/errors.h"
#include "engine/tokenizer/jinja/value.h"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace ys::jinja {

struct Options {
  bool trim_blocks = false;
  bool lstrip_blocks = false;
  bool keep_trailing_newline = false;
  bool strict_undefined = false;  // jinja2.StrictUndefined: printing or testing an undefined value raises
  bool html_safe_tojson = false;  // jinja2's own tojson (sorted keys, ASCII, <>&' escaped); false: transformers'
  bool loop_controls = true;      // {% break %} / {% continue %} (jinja2.ext.loopcontrols)
};

// The variables and functions a template sees, beside the built-ins (range, namespace, dict).
using Context = std::map<std::string, Value>;

namespace detail {
struct Program;
}

class Template {
 public:
  // Parses `source`. Throws ys::Error(format) on a syntax error and ys::Error(unsupported)
  // on a construct outside the supported subset, naming it and its line; `what` names the
  // template in messages (e.g. "chat template").
  Template(std::string_view source, Options options, std::string what = "template");
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Renders with the given variables. Throws TemplateError (raise_exception, undefined
  // value used) or ys::Error(invalid_input) (a Python TypeError/ValueError equivalent).
  std::string render(const Context& context) const;

 private:
  std::unique_ptr<detail::Program> program_;
};

// Converts JSON into template values (objects keep their key order, as Python's json does).
Value from_json(const nlohmann::ordered_json& j);

}  // namespace ys::jinja
