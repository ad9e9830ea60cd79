// Built-in filters, tests, methods and globals of the Jinja renderer, and jinja2's
// attribute/item access rules (internal to the renderer).
#pragma once

#include "engine/tokenizer/jinja/jinja.h"

#include <optional>
#include <string>
#include <vector>

namespace ys::jinja::detail {

// jinja2's UndefinedError for the use of an undefined value.
[[noreturn]] void undefined_error(const Value& u);

// environment.getattr / getitem of the (immutable) sandbox: attributes fall back to items
// and items to attributes; a missing one is an undefined value.
Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);

// iter(v) for a loop or a filter: list/tuple items, dict keys, str characters; an undefined
// value is empty (jinja2's default Undefined); anything else is a TypeError.
ValueList iterate(const Value& v);
// len(v)
int64_t length_of(const Value& v);

Value call_filter(const std::string& name, const Value& v, CallArgs& args, const Options& options);
bool call_test(const std::string& name, const Value& v, CallArgs& args);
// range, namespace, dict; an undefined value for any other name.
Value builtin_global(const std::string& name);

// Argument helpers: the i-th positional or the keyword `key`, or `def`; a string or None;
// an integer (bool counts); str.splitlines().
Value arg(CallArgs& a, size_t i, const char* key, Value def = Value());
std::optional<std::string> opt_str(const Value& v, const char* what);
int64_t need_int(const Value& v, const char* what);
std::vector<std::string> splitlines(const std::string& s);

}  // namespace ys::jinja::detail
