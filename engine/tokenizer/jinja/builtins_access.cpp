// Attribute and item access with jinja2's sandbox rules, Python's str/dict/list methods,
// iteration and len() (see builtins.h).
#include "engine/tokenizer/jinja/builtins.h"

#include "engine/tokenizer/jinja/ast.h"
#include "engine/tokenizer/jinja/pystr.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ys::jinja::detail {

namespace {

std::string object_repr(const Value& v) {
  if (v.is_none()) return "None";
  return std::string(v.type_name()) + " object";
}

Value str_list(const std::vector<std::string>& parts) {
  ValueList out;
  out.reserve(parts.size());
  for (const auto& p : parts) out.emplace_back(p);
  return Value::list(std::move(out));
}

bool starts_or_ends(const std::string& s, const Value& affix, bool start) {
  auto one = [&](const Value& a) {
    if (!a.is_string()) type_error("str.{}: expected str or a tuple of str, got {}", start ? "startswith" : "endswith",
                                   a.type_name());
    const std::string& x = a.as_string();
    if (x.size() > s.size()) return false;
    return start ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (affix.is_list()) {
    for (const Value& a : affix.as_list())
      if (one(a)) return true;
    return false;
  }
  return one(affix);
}

bool all_chars(const std::string& s, bool (*pred)(char32_t)) {
  const std::u32string u = py::decode(s);
  if (u.empty()) return false;
  for (char32_t c : u)
    if (!pred(c)) return false;
  return true;
}

Value string_method(const std::string& s, const std::string& name) {
  using A = CallArgs;
  auto bind = [&](NativeFn fn) { return Value::callable("str." + name, std::move(fn)); };
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const py::Side side = name == "strip" ? py::Side::both : name == "lstrip" ? py::Side::left : py::Side::right;
    return bind([s, side, name](A& a) { return Value(py::strip(s, side, opt_str(arg(a, 0, "chars"), name.c_str()))); });
  }
  if (name == "split" || name == "rsplit") {
    const bool right = name == "rsplit";
    return bind([s, right](A& a) {
      const auto sep = opt_str(arg(a, 0, "sep"), "str.split");
      const int64_t maxsplit = need_int(arg(a, 1, "maxsplit", Value(int64_t{-1})), "str.split");
      return str_list(right ? py::rsplit(s, sep, maxsplit) : py::split(s, sep, maxsplit));
    });
  }
  if (name == "startswith" || name == "endswith") {
    const bool start = name == "startswith";
    return bind([s, start](A& a) {
      if (a.positional.size() > 1) type_error("str.{}: start/end arguments are not supported", start ? "startswith" : "endswith");
      return Value(starts_or_ends(s, arg(a, 0, "prefix"), start));
    });
  }
  if (name == "upper") return bind([s](A&) { return Value(py::upper(s)); });
  if (name == "lower") return bind([s](A&) { return Value(py::lower(s)); });
  if (name == "title") return bind([s](A&) { return Value(py::title(s)); });
  if (name == "capitalize") return bind([s](A&) { return Value(py::capitalize(s)); });
  if (name == "replace") {
    return bind([s](A& a) {
      const Value o = arg(a, 0, "old"), n = arg(a, 1, "new");
      if (!o.is_string() || !n.is_string()) type_error("str.replace: expected strings");
      return Value(py::replace(s, o.as_string(), n.as_string(), need_int(arg(a, 2, "count", Value(int64_t{-1})), "str.replace")));
    });
  }
  if (name == "find" || name == "rfind" || name == "count") {
    return bind([s, name](A& a) {
      const Value sub = arg(a, 0, "sub");
      if (!sub.is_string()) type_error("str.{}: expected a string", name);
      const std::string& x = sub.as_string();
      if (name == "count") {
        if (x.empty()) return Value(static_cast<int64_t>(py::length(s) + 1));
        int64_t n = 0;
        for (size_t p = s.find(x); p != std::string::npos; p = s.find(x, p + x.size())) ++n;
        return Value(n);
      }
      const size_t p = name == "find" ? s.find(x) : s.rfind(x);
      return Value(p == std::string::npos ? int64_t{-1} : static_cast<int64_t>(py::length(s.substr(0, p))));
    });
  }
  if (name == "join") {
    return bind([s](A& a) {
      std::string out;
      bool first = true;
      for (const Value& v : iterate(arg(a, 0, "iterable"))) {
        if (!v.is_string()) type_error("str.join: sequence item: expected str instance, {} found", v.type_name());
        out += (first ? "" : s) + v.as_string();
        first = false;
      }
      return Value(out);
    });
  }
  if (name == "splitlines") return bind([s](A&) { return str_list(splitlines(s)); });
  if (name == "isdigit") return bind([s](A&) { return Value(all_chars(s, [](char32_t c) { return c >= '0' && c <= '9'; })); });
  if (name == "isalpha") {
    return bind([s](A&) { return Value(all_chars(s, [](char32_t c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; })); });
  }
  if (name == "isspace") return bind([s](A&) { return Value(all_chars(s, py::isspace)); });
  if (name == "format") return bind([](A&) -> Value { type_error("str.format is not supported"); });
  return Value::undefined("'str object' has no attribute '" + name + "'");
}

Value dict_method(const Value& d, const std::string& name) {
  if (name == "items") {
    return Value::callable("dict.items", [d](CallArgs&) {
      ValueList out;
      for (const auto& [k, v] : d.as_dict()) out.push_back(Value::list({k, v}, true));
      return Value::list(std::move(out));
    });
  }
  if (name == "keys" || name == "values") {
    const bool keys = name == "keys";
    return Value::callable("dict." + name, [d, keys](CallArgs&) {
      ValueList out;
      for (const auto& [k, v] : d.as_dict()) out.push_back(keys ? k : v);
      return Value::list(std::move(out));
    });
  }
  if (name == "get") {
    return Value::callable("dict.get", [d](CallArgs& a) {
      const Value* v = d.find(arg(a, 0, "key"));
      return v ? *v : arg(a, 1, "default", Value::none());
    });
  }
  return Value();
}

Value list_method(const Value& l, const std::string& name) {
  if (name == "index" || name == "count") {
    const bool index = name == "index";
    return Value::callable("list." + name, [l, index](CallArgs& a) {
      const Value x = arg(a, 0, "value");
      int64_t n = 0;
      for (size_t i = 0; i < l.as_list().size(); ++i) {
        if (!equals(l.as_list()[i], x)) continue;
        if (index) return Value(static_cast<int64_t>(i));
        ++n;
      }
      if (index) type_error("list.index(x): x not in list");
      return Value(n);
    });
  }
  return Value();
}

}  // namespace

std::optional<std::string> opt_str(const Value& v, const char* what) {
  if (v.is_undefined() || v.is_none()) return std::nullopt;
  if (!v.is_string()) type_error("{}: expected a string, got {}", what, v.type_name());
  return v.as_string();
}

int64_t need_int(const Value& v, const char* what) {
  if (v.is_int() || v.is_bool()) return v.as_int();
  type_error("{}: expected an integer, got {}", what, v.type_name());
}

std::vector<std::string> splitlines(const std::string& s) {
  std::vector<std::string> out;
  const std::u32string u = py::decode(s);
  size_t start = 0;
  for (size_t i = 0; i < u.size(); ++i) {
    const char32_t c = u[i];
    const bool brk = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
                     c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) continue;
    out.push_back(py::encode(std::u32string_view(u).substr(start, i - start)));
    if (c == '\r' && i + 1 < u.size() && u[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < u.size()) out.push_back(py::encode(std::u32string_view(u).substr(start)));
  return out;
}

void undefined_error(const Value& u) {
  throw TemplateError("template: " + (u.as_string().empty() ? std::string("undefined value") : u.as_string()));
}

Value arg(CallArgs& a, size_t i, const char* key, Value def) {
  if (i < a.positional.size()) return a.positional[i];
  for (const auto& [k, v] : a.keyword)
    if (k == key) return v;
  return def;
}

Value get_attr(const Value& obj, const std::string& name) {
  const std::string missing = "'" + object_repr(obj) + "' has no attribute '" + name + "'";
  switch (obj.kind()) {
    case Value::Kind::undefined: undefined_error(obj);
    case Value::Kind::string: return string_method(obj.as_string(), name);
    case Value::Kind::dict: {
      Value m = dict_method(obj, name);
      if (m.is_callable()) return m;
      const Value* v = obj.find(name);
      return v ? *v : Value::undefined(missing);
    }
    case Value::Kind::list: {
      Value m = list_method(obj, name);
      return m.is_callable() ? m : Value::undefined(missing);
    }
    case Value::Kind::ns: {
      auto it = obj.as_ns().attrs.find(name);
      return it == obj.as_ns().attrs.end() ? Value::undefined(missing) : it->second;
    }
    default: return Value::undefined(missing);
  }
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) undefined_error(obj);
  if (obj.is_list() || obj.is_string()) {
    if (key.is_int() || key.is_bool()) {
      int64_t i = key.as_int();
      if (obj.is_list()) {
        const int64_t n = static_cast<int64_t>(obj.as_list().size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return obj.as_list()[static_cast<size_t>(i)];
      } else {
        const std::u32string u = py::decode(obj.as_string());
        const int64_t n = static_cast<int64_t>(u.size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return Value(py::encode(std::u32string(1, u[static_cast<size_t>(i)])));
      }
      return Value::undefined("'" + object_repr(obj) + "' has no element " + repr(key));
    }
  } else if (obj.is_dict()) {
    if (const Value* v = obj.find(key)) return *v;
  } else if (obj.is_ns() && key.is_string()) {
    return get_attr(obj, key.as_string());
  }
  if (key.is_string()) {
    Value v = get_attr(obj, key.as_string());
    if (!v.is_undefined()) return v;
  }
  return Value::undefined("'" + object_repr(obj) + "' has no element " + repr(key));
}

Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_undefined()) undefined_error(obj);
  if (!obj.is_list() && !obj.is_string()) type_error("'{}' object is not subscriptable", obj.type_name());
  const std::u32string chars = obj.is_string() ? py::decode(obj.as_string()) : std::u32string();
  const int64_t n = obj.is_string() ? static_cast<int64_t>(chars.size()) : static_cast<int64_t>(obj.as_list().size());
  auto opt = [](const Value& v, const char* what) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    return need_int(v, what);
  };
  const int64_t st = opt(step, "slice").value_or(1);
  if (st == 0) type_error("slice step cannot be zero");
  auto clamp = [&](std::optional<int64_t> x, int64_t def_pos, int64_t def_neg) {
    if (!x) return st > 0 ? def_pos : def_neg;
    int64_t i = *x;
    if (i < 0) i += n;
    if (st > 0) return std::clamp<int64_t>(i, 0, n);
    return std::clamp<int64_t>(i, -1, n - 1);
  };
  const int64_t b = clamp(opt(start, "slice"), 0, n - 1), e = clamp(opt(stop, "slice"), n, -1);
  std::vector<int64_t> idx;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) idx.push_back(i);
  if (obj.is_string()) {
    std::u32string out;
    for (int64_t i : idx) out.push_back(chars[static_cast<size_t>(i)]);
    return Value(py::encode(out));
  }
  ValueList out;
  for (int64_t i : idx) out.push_back(obj.as_list()[static_cast<size_t>(i)]);
  return Value::list(std::move(out), obj.is_tuple());
}

ValueList iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined: return {};
    case Value::Kind::list: return v.as_list();
    case Value::Kind::dict: {
      ValueList keys;
      for (const auto& [k, x] : v.as_dict()) keys.push_back(k);
      return keys;
    }
    case Value::Kind::string: {
      ValueList out;
      for (char32_t c : py::decode(v.as_string())) out.emplace_back(py::encode(std::u32string(1, c)));
      return out;
    }
    default: type_error("'{}' object is not iterable", v.type_name());
  }
}

int64_t length_of(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined: return 0;
    case Value::Kind::string: return static_cast<int64_t>(py::length(v.as_string()));
    case Value::Kind::list: return static_cast<int64_t>(v.as_list().size());
    case Value::Kind::dict: return static_cast<int64_t>(v.as_dict().size());
    default: type_error("object of type '{}' has no len()", v.type_name());
  }
}

}  // namespace ys::jinja::detail
