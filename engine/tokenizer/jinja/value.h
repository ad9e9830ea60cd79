// The values a Jinja template computes with, with Python's semantics (jinja2 runs on
// Python objects): undefined, None, bool, int, float, str, list/tuple, dict (insertion
// order), namespace (the one mutable object) and callables (globals, bound methods, macros).
//
// Lists and dicts are immutable once built (jinja2's ImmutableSandboxedEnvironment, which
// transformers renders chat templates with, forbids list.append and dict.update), so they
// are shared by pointer; a namespace is shared and mutable, as in Python.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ys::jinja {

class Value;
using ValueList = std::vector<Value>;
using DictItems = std::vector<std::pair<Value, Value>>;  // insertion order, unique keys

// Positional and keyword arguments of a call.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

using NativeFn = std::function<Value(CallArgs&)>;

struct Callable {
  std::string name;  // for messages, e.g. "str.strip" or "raise_exception"
  NativeFn fn;
};

struct Namespace {
  std::map<std::string, Value> attrs;
};

class Value {
 public:
  enum class Kind { undefined, none, boolean, integer, floating, string, list, dict, ns, callable };

  Value();  // undefined
  Value(bool b);
  Value(int v);
  Value(int64_t v);
  Value(double v);
  Value(std::string s);
  Value(const char* s);

  // An undefined value remembering why (for jinja2's UndefinedError message).
  static Value undefined(std::string hint);
  static Value none();
  static Value list(ValueList items, bool tuple = false);
  static Value dict(DictItems items);
  static Value ns(std::shared_ptr<Namespace> ns);
  static Value callable(std::string name, NativeFn fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::undefined; }
  bool is_none() const { return kind_ == Kind::none; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_int() const { return kind_ == Kind::integer; }
  bool is_float() const { return kind_ == Kind::floating; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_list() const { return kind_ == Kind::list; }
  bool is_tuple() const { return kind_ == Kind::list && tuple_; }
  bool is_dict() const { return kind_ == Kind::dict; }
  bool is_ns() const { return kind_ == Kind::ns; }
  bool is_callable() const { return kind_ == Kind::callable; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::boolean ? (b_ ? 1 : 0) : i_; }  // bool is an int in Python
  double as_float() const { return kind_ == Kind::floating ? f_ : static_cast<double>(as_int()); }
  const std::string& as_string() const { return s_; }   // also the undefined hint
  const ValueList& as_list() const { return *list_; }
  const DictItems& as_dict() const { return *dict_; }
  Namespace& as_ns() const { return *ns_; }
  const Callable& as_callable() const { return *fn_; }

  // Dict lookup by key (Python equality); nullptr when absent.
  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;

  // Python's type name, as in error messages: 'str', 'int', 'list', 'dict', 'NoneType'...
  const char* type_name() const;

 private:
  Kind kind_ = Kind::undefined;
  bool b_ = false;
  bool tuple_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::shared_ptr<const ValueList> list_;
  std::shared_ptr<const DictItems> dict_;
  std::shared_ptr<Namespace> ns_;
  std::shared_ptr<const Callable> fn_;
};

// Python semantics. `truthy` is bool(v) (undefined is false); `to_str` is str(v) (undefined
// is ""); `repr` is repr(v); `equals` is ==; `less` is < and throws for unorderable types.
bool truthy(const Value& v);
std::string to_str(const Value& v);
std::string repr(const Value& v);
bool equals(const Value& a, const Value& b);
bool less(const Value& a, const Value& b);

struct JsonStyle {
  bool ensure_ascii = false;
  bool sort_keys = false;
  int indent = -1;            // -1: None (one line)
  bool html_safe = false;     // jinja2's own tojson: escape < > & ' as \u00XX
};
// Python's json.dumps(v, ...) with the separators it picks by default.
std::string to_json(const Value& v, const JsonStyle& style);

}  // namespace ys::jinja
