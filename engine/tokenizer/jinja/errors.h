// Errors of the Jinja renderer.
//   TemplateError   what jinja2 raises as jinja2.exceptions.TemplateError at render time: the
//                   template's own raise_exception(...) and the use of an undefined value.
//                   lm-eval catches exactly these to retry a chat template without the
//                   system message (suites/prompt/), so they are told apart.
//   ys::Error(unsupported)    a construct this renderer does not implement (at parse time,
//                   naming it and the line), so a template is refused before any rendering.
//   ys::Error(format)         a syntax error (line, what was expected).
//   ys::Error(invalid_input)  what Python raises as TypeError/ValueError while rendering.
#pragma once

#include "common/error.h"

#include <string>

namespace ys::jinja {

class TemplateError : public Error {
 public:
  explicit TemplateError(std::string message) : Error(ErrorKind::invalid_input, std::move(message)) {}
};

template <typename... Args>
[[noreturn]] void type_error(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(ErrorKind::invalid_input, "template: " + fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ys::jinja
