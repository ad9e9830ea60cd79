// Values with Python semantics (see value.h).
#include "engine/tokenizer/jinja/value.h"

#include "engine/tokenizer/jinja/errors.h"
#include "engine/tokenizer/jinja/pystr.h"

#include <algorithm>
#include <cmath>

namespace ys::jinja {

Value::Value() = default;
Value::Value(bool b) : kind_(Kind::boolean), b_(b) {}
Value::Value(int v) : kind_(Kind::integer), i_(v) {}
Value::Value(int64_t v) : kind_(Kind::integer), i_(v) {}
Value::Value(double v) : kind_(Kind::floating), f_(v) {}
Value::Value(std::string s) : kind_(Kind::string), s_(std::move(s)) {}
Value::Value(const char* s) : kind_(Kind::string), s_(s) {}

Value Value::undefined(std::string hint) {
  Value v;
  v.s_ = std::move(hint);
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::none;
  return v;
}

Value Value::list(ValueList items, bool tuple) {
  Value v;
  v.kind_ = Kind::list;
  v.tuple_ = tuple;
  v.list_ = std::make_shared<const ValueList>(std::move(items));
  return v;
}

Value Value::dict(DictItems items) {
  Value v;
  v.kind_ = Kind::dict;
  v.dict_ = std::make_shared<const DictItems>(std::move(items));
  return v;
}

Value Value::ns(std::shared_ptr<Namespace> ns) {
  Value v;
  v.kind_ = Kind::ns;
  v.ns_ = std::move(ns);
  return v;
}

Value Value::callable(std::string name, NativeFn fn) {
  Value v;
  v.kind_ = Kind::callable;
  v.fn_ = std::make_shared<const Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

const Value* Value::find(const Value& key) const {
  if (!is_dict()) return nullptr;
  for (const auto& [k, v] : *dict_)
    if (equals(k, key)) return &v;
  return nullptr;
}

const Value* Value::find(const std::string& key) const {
  if (!is_dict()) return nullptr;
  for (const auto& [k, v] : *dict_)
    if (k.is_string() && k.as_string() == key) return &v;
  return nullptr;
}

const char* Value::type_name() const {
  switch (kind_) {
    case Kind::undefined: return "Undefined";
    case Kind::none: return "NoneType";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::string: return "str";
    case Kind::list: return tuple_ ? "tuple" : "list";
    case Kind::dict: return "dict";
    case Kind::ns: return "Namespace";
    case Kind::callable: return "function";
  }
  return "?";
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none: return false;
    case Value::Kind::boolean: return v.as_bool();
    case Value::Kind::integer: return v.as_int() != 0;
    case Value::Kind::floating: return v.as_float() != 0.0;
    case Value::Kind::string: return !v.as_string().empty();
    case Value::Kind::list: return !v.as_list().empty();
    case Value::Kind::dict: return !v.as_dict().empty();
    case Value::Kind::ns:
    case Value::Kind::callable: return true;
  }
  return false;
}

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined: return "";
    case Value::Kind::string: return v.as_string();
    default: return repr(v);
  }
}

std::string repr(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined: return "";
    case Value::Kind::none: return "None";
    case Value::Kind::boolean: return v.as_bool() ? "True" : "False";
    case Value::Kind::integer: return std::to_string(v.as_int());
    case Value::Kind::floating: return py::float_repr(v.as_float());
    case Value::Kind::string: return py::str_repr(v.as_string());
    case Value::Kind::list: {
      std::string out = v.is_tuple() ? "(" : "[";
      const auto& items = v.as_list();
      for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + repr(items[i]);
      if (v.is_tuple() && items.size() == 1) out += ",";
      return out + (v.is_tuple() ? ")" : "]");
    }
    case Value::Kind::dict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, x] : v.as_dict()) {
        out += (first ? "" : ", ") + repr(k) + ": " + repr(x);
        first = false;
      }
      return out + "}";
    }
    case Value::Kind::ns: {
      std::string out = "<Namespace {";
      bool first = true;
      for (const auto& [k, x] : v.as_ns().attrs) {
        out += (first ? "" : ", ") + py::str_repr(k) + ": " + repr(x);
        first = false;
      }
      return out + "}>";
    }
    case Value::Kind::callable: return "<function " + v.as_callable().name + ">";
  }
  return "";
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none: return true;
    case Value::Kind::string: return a.as_string() == b.as_string();
    case Value::Kind::list: {
      const auto &x = a.as_list(), &y = b.as_list();
      if (a.is_tuple() != b.is_tuple() || x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!equals(x[i], y[i])) return false;
      return true;
    }
    case Value::Kind::dict: {
      if (a.as_dict().size() != b.as_dict().size()) return false;
      for (const auto& [k, x] : a.as_dict()) {
        const Value* y = b.find(k);
        if (y == nullptr || !equals(x, *y)) return false;
      }
      return true;
    }
    case Value::Kind::ns: return &a.as_ns() == &b.as_ns();
    case Value::Kind::callable: return &a.as_callable() == &b.as_callable();
    default: return false;
  }
}

bool less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() < b.as_float();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return py::decode(a.as_string()) < py::decode(b.as_string());
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto &x = a.as_list(), &y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return less(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  type_error("'<' not supported between instances of '{}' and '{}'", a.type_name(), b.type_name());
}

namespace {

std::string json_key(const Value& k, const JsonStyle& s) {
  switch (k.kind()) {
    case Value::Kind::string: return py::json_quote(k.as_string(), s.ensure_ascii, s.html_safe);
    case Value::Kind::none: return "\"null\"";
    case Value::Kind::boolean: return k.as_bool() ? "\"true\"" : "\"false\"";
    case Value::Kind::integer: return "\"" + std::to_string(k.as_int()) + "\"";
    case Value::Kind::floating: return "\"" + py::float_repr(k.as_float()) + "\"";
    default: type_error("keys must be str, int, float, bool or None, not {}", k.type_name());
  }
}

void dump(const Value& v, const JsonStyle& s, int level, std::string& out) {
  const std::string item_sep = s.indent >= 0 ? "," : ", ";
  auto newline = [&](int lvl) {
    if (s.indent >= 0) out += "\n" + std::string(static_cast<size_t>(s.indent * lvl), ' ');
  };
  switch (v.kind()) {
    case Value::Kind::none: out += "null"; return;
    case Value::Kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::integer: out += std::to_string(v.as_int()); return;
    case Value::Kind::floating: {
      const double f = v.as_float();
      out += std::isnan(f) ? "NaN" : std::isinf(f) ? (f < 0 ? "-Infinity" : "Infinity") : py::float_repr(f);
      return;
    }
    case Value::Kind::string: out += py::json_quote(v.as_string(), s.ensure_ascii, s.html_safe); return;
    case Value::Kind::list: {
      const auto& items = v.as_list();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += "[";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        newline(level + 1);
        dump(items[i], s, level + 1, out);
      }
      newline(level);
      out += "]";
      return;
    }
    case Value::Kind::dict: {
      DictItems items = v.as_dict();
      if (items.empty()) {
        out += "{}";
        return;
      }
      if (s.sort_keys) {
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return less(a.first, b.first); });
      }
      out += "{";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        newline(level + 1);
        out += json_key(items[i].first, s) + ": ";
        dump(items[i].second, s, level + 1, out);
      }
      newline(level);
      out += "}";
      return;
    }
    default: type_error("Object of type {} is not JSON serializable", v.type_name());
  }
}

}  // namespace

std::string to_json(const Value& v, const JsonStyle& style) {
  std::string out;
  dump(v, style, 0, out);
  return out;
}

}  // namespace ys::jinja
