// Built-in filters, tests, methods and globals (see builtins.h), following jinja2 3.1's
// filters.py / tests.py / sandbox.py and Python's own str, dict and list methods.
#include "engine/tokenizer/jinja/builtins.h"

#include "engine/tokenizer/jinja/ast.h"
#include "engine/tokenizer/jinja/pystr.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ys::jinja::detail {

namespace {

constexpr int64_t kMaxRange = 100000;  // jinja2.sandbox.MAX_RANGE

std::string object_repr(const Value& v) {
  if (v.is_none()) return "None";
  return std::string(v.type_name()) + " object";
}

std::optional<std::string> opt_str(const Value& v, const char* what) {
  if (v.is_undefined() || v.is_none()) return std::nullopt;
  if (!v.is_string()) type_error("{}: expected a string, got {}", what, v.type_name());
  return v.as_string();
}

int64_t need_int(const Value& v, const char* what) {
  if (v.is_int() || v.is_bool()) return v.as_int();
  type_error("{}: expected an integer, got {}", what, v.type_name());
}

Value str_list(const std::vector<std::string>& parts) {
  ValueList out;
  out.reserve(parts.size());
  for (const auto& p : parts) out.emplace_back(p);
  return Value::list(std::move(out));
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

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string do_indent(std::string s, const Value& width, bool first, bool blank) {
  const std::string ind = width.is_string() ? width.as_string() : std::string(static_cast<size_t>(need_int(width, "indent")), ' ');
  s += "\n";
  const std::vector<std::string> lines = splitlines(s);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + ind : "") + lines[i];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) rv += "\n" + (lines[i].empty() ? "" : ind + lines[i]);
  }
  return first ? ind + rv : rv;
}

// The value a select/map filter looks at: the item itself or one of its attributes
// (a dotted path, as jinja2's make_attrgetter).
Value attr_path(const Value& item, const Value& attribute) {
  if (attribute.is_undefined() || attribute.is_none()) return item;
  if (attribute.is_int()) return get_item(item, attribute);
  Value v = item;
  for (const std::string& part : py::split(to_str(attribute), std::string("."))) {
    const bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    v = digits ? get_item(v, Value(static_cast<int64_t>(std::stoll(part)))) : get_item(v, Value(part));
  }
  return v;
}

CallArgs rest_args(const CallArgs& a, size_t from) {
  CallArgs r;
  for (size_t i = from; i < a.positional.size(); ++i) r.positional.push_back(a.positional[i]);
  r.keyword = a.keyword;
  return r;
}

Value select_filter(const std::string& name, const Value& v, CallArgs& a, const Options& o) {
  const bool attr = name == "selectattr" || name == "rejectattr";
  const bool keep = name == "select" || name == "selectattr";
  ValueList out;
  const size_t test_at = attr ? 1 : 0;
  const Value attribute = attr ? arg(a, 0, "attr") : Value();
  const bool has_test = a.positional.size() > test_at;
  for (const Value& item : iterate(v)) {
    const Value x = attr ? attr_path(item, attribute) : item;
    bool ok;
    if (has_test) {
      CallArgs ta = rest_args(a, test_at + 1);
      ok = call_test(to_str(a.positional[test_at]), x, ta);
    } else {
      ok = truthy(x);
    }
    if (ok == keep) out.push_back(item);
  }
  (void)o;
  return Value::list(std::move(out));
}

Value map_filter(const Value& v, CallArgs& a, const Options& o) {
  ValueList out;
  const Value attribute = arg(a, 99, "attribute");
  if (!attribute.is_undefined()) {
    const Value def = arg(a, 99, "default");
    for (const Value& item : iterate(v)) {
      Value x = attr_path(item, attribute);
      out.push_back(x.is_undefined() && !def.is_undefined() ? def : x);
    }
    return Value::list(std::move(out));
  }
  if (a.positional.empty()) type_error("map: expected a filter name or attribute=");
  const std::string fname = to_str(a.positional[0]);
  if (!has_filter(fname)) fail(ErrorKind::unsupported, "template: unsupported construct filter '|{}' (in map)", fname);
  for (const Value& item : iterate(v)) {
    CallArgs fa = rest_args(a, 1);
    out.push_back(call_filter(fname, item, fa, o));
  }
  return Value::list(std::move(out));
}

Value sorted_filter(const Value& v, CallArgs& a, bool unique) {
  const bool reverse = truthy(arg(a, unique ? 99 : 0, "reverse", Value(false)));
  const bool case_sensitive = truthy(arg(a, unique ? 0 : 1, "case_sensitive", Value(false)));
  const Value attribute = arg(a, unique ? 1 : 2, "attribute");
  ValueList items = iterate(v);
  auto key = [&](const Value& x) {
    Value k = attr_path(x, attribute);
    if (!case_sensitive && k.is_string()) k = Value(py::lower(k.as_string()));
    return k;
  };
  if (unique) {
    ValueList out, seen;
    for (const Value& x : items) {
      const Value k = key(x);
      if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, k); })) {
        seen.push_back(k);
        out.push_back(x);
      }
    }
    return Value::list(std::move(out));
  }
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    return reverse ? less(key(y), key(x)) : less(key(x), key(y));
  });
  return Value::list(std::move(items));
}

Value number_filter(const std::string& name, const Value& v, CallArgs& a) {
  if (name == "abs") {
    if (v.is_float()) return Value(std::fabs(v.as_float()));
    if (v.is_int() || v.is_bool()) return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
    type_error("bad operand type for abs(): '{}'", v.type_name());
  }
  if (name == "int") {
    const Value def = arg(a, 0, "default", Value(int64_t{0}));
    if (v.is_int() || v.is_bool()) return Value(v.as_int());
    if (v.is_float()) return Value(static_cast<int64_t>(v.as_float()));
    if (v.is_string()) {
      const std::string s = py::strip(v.as_string(), py::Side::both);
      char* end = nullptr;
      const long long i = std::strtoll(s.c_str(), &end, need_int(arg(a, 1, "base", Value(int64_t{10})), "int"));
      if (!s.empty() && end && *end == 0) return Value(static_cast<int64_t>(i));
      const double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == 0) return Value(static_cast<int64_t>(d));
    }
    return def;
  }
  if (name == "float") {
    const Value def = arg(a, 0, "default", Value(0.0));
    if (v.is_number()) return Value(v.as_float());
    if (v.is_string()) {
      const std::string s = py::strip(v.as_string(), py::Side::both);
      char* end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == 0) return Value(d);
    }
    return def;
  }
  if (name == "round") {
    const int64_t prec = need_int(arg(a, 0, "precision", Value(int64_t{0})), "round");
    const std::string method = to_str(arg(a, 1, "method", Value("common")));
    const double scale = std::pow(10.0, static_cast<double>(prec));
    const double x = v.as_float() * scale;
    double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
    return Value(r / scale);
  }
  // sum
  const Value attribute = arg(a, 0, "attribute");
  Value total = arg(a, 1, "start", Value(int64_t{0}));
  for (const Value& x : iterate(v)) {
    const Value y = attr_path(x, attribute);
    if (!y.is_number() || !total.is_number()) type_error("sum: unsupported operand types");
    total = (total.is_float() || y.is_float()) ? Value(total.as_float() + y.as_float()) : Value(total.as_int() + y.as_int());
  }
  return total;
}

}  // namespace

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

bool has_filter(const std::string& n) {
  static const std::set<std::string> names = {
      "abs",   "attr",   "capitalize", "count",  "d",          "default", "e",      "escape", "first",
      "float", "indent", "int",        "items",  "join",       "last",    "length", "list",   "lower",
      "map",   "max",    "min",        "reject", "rejectattr", "replace", "reverse", "round", "safe",
      "select", "selectattr", "sort",  "string", "sum",        "title",   "tojson", "trim",   "unique",
      "upper", "wordcount"};
  return names.count(n) != 0;
}

bool has_test(const std::string& n) {
  static const std::set<std::string> names = {
      "defined", "undefined", "none",  "boolean", "true", "false",   "integer", "float",       "number",
      "string",  "mapping",   "iterable", "sequence", "callable", "odd", "even", "divisibleby", "eq",
      "equalto", "==",        "ne",    "!=",      "lt",   "<",       "le",      "<=",          "gt",
      ">",       "greaterthan", "lessthan", "ge", ">=",   "in",      "sameas",  "lower",       "upper"};
  return names.count(n) != 0;
}

Value call_filter(const std::string& name, const Value& v, CallArgs& a, const Options& o) {
  if (name == "default" || name == "d") {
    const bool boolean = truthy(arg(a, 1, "boolean", Value(false)));
    return (v.is_undefined() || (boolean && !truthy(v))) ? arg(a, 0, "default_value", Value("")) : v;
  }
  if (name == "length" || name == "count") return Value(length_of(v));
  if (name == "trim") return Value(py::strip(to_str(v), py::Side::both, opt_str(arg(a, 0, "chars"), "trim")));
  if (name == "upper") return Value(py::upper(to_str(v)));
  if (name == "lower") return Value(py::lower(to_str(v)));
  if (name == "title") return Value(py::title(to_str(v)));
  if (name == "capitalize") return Value(py::capitalize(to_str(v)));
  if (name == "string") return Value(to_str(v));
  if (name == "safe") return v;
  if (name == "escape" || name == "e") return Value(html_escape(to_str(v)));
  if (name == "wordcount") return Value(static_cast<int64_t>(py::split(to_str(v), std::nullopt).size()));
  if (name == "replace") {
    const Value c = arg(a, 2, "count");
    return Value(py::replace(to_str(v), to_str(arg(a, 0, "old")), to_str(arg(a, 1, "new")),
                             c.is_undefined() || c.is_none() ? -1 : need_int(c, "replace")));
  }
  if (name == "indent") {
    return Value(do_indent(to_str(v), arg(a, 0, "width", Value(int64_t{4})), truthy(arg(a, 1, "first", Value(false))),
                           truthy(arg(a, 2, "blank", Value(false)))));
  }
  if (name == "tojson") {
    JsonStyle s;
    const Value indent = arg(a, 0, "indent");
    if (!indent.is_undefined() && !indent.is_none()) s.indent = static_cast<int>(need_int(indent, "tojson"));
    if (o.html_safe_tojson) {
      s.sort_keys = true;
      s.ensure_ascii = true;
      s.html_safe = true;
    } else {
      s.ensure_ascii = truthy(arg(a, 99, "ensure_ascii", Value(false)));
      s.sort_keys = truthy(arg(a, 99, "sort_keys", Value(false)));
      if (!arg(a, 99, "separators").is_undefined()) type_error("tojson: separators= is not supported");
    }
    if (v.is_undefined()) undefined_error(v);
    return Value(to_json(v, s));
  }
  if (name == "first" || name == "last") {
    const ValueList items = iterate(v);
    if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") return Value::list(iterate(v));
  if (name == "items") {
    if (v.is_undefined()) return Value::list({});
    if (!v.is_dict()) type_error("items: can only get item pairs from a mapping");
    ValueList out;
    for (const auto& [k, x] : v.as_dict()) out.push_back(Value::list({k, x}, true));
    return Value::list(std::move(out));
  }
  if (name == "join") {
    const std::string sep = to_str(arg(a, 0, "d", Value("")));
    const Value attribute = arg(a, 1, "attribute");
    std::string out;
    bool first = true;
    for (const Value& x : iterate(v)) {
      out += (first ? "" : sep) + to_str(attr_path(x, attribute));
      first = false;
    }
    return Value(out);
  }
  if (name == "reverse") {
    if (v.is_string()) {
      std::u32string u = py::decode(v.as_string());
      std::reverse(u.begin(), u.end());
      return Value(py::encode(u));
    }
    ValueList items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
  }
  if (name == "attr") return get_attr(v, to_str(arg(a, 0, "name")));
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") return select_filter(name, v, a, o);
  if (name == "map") return map_filter(v, a, o);
  if (name == "sort") return sorted_filter(v, a, false);
  if (name == "unique") return sorted_filter(v, a, true);
  if (name == "max" || name == "min") {
    const ValueList items = iterate(v);
    if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
    const bool case_sensitive = truthy(arg(a, 0, "case_sensitive", Value(false)));
    const Value attribute = arg(a, 1, "attribute");
    auto key = [&](const Value& x) {
      Value k = attr_path(x, attribute);
      return (!case_sensitive && k.is_string()) ? Value(py::lower(k.as_string())) : k;
    };
    Value best = items[0];
    for (const Value& x : items) {
      if (name == "max" ? less(key(best), key(x)) : less(key(x), key(best))) best = x;
    }
    return best;
  }
  return number_filter(name, v, a);  // abs, int, float, round, sum
}

bool call_test(const std::string& name, const Value& v, CallArgs& a) {
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_undefined() || v.is_list() || v.is_dict() || v.is_string();
  if (name == "sequence") return v.is_undefined() || v.is_list() || v.is_dict() || v.is_string();
  if (name == "callable") return v.is_callable();
  if (name == "lower" || name == "upper") {
    const std::string s = to_str(v);
    const bool any_cased = std::any_of(s.begin(), s.end(), [](char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; });
    return any_cased && s == (name == "lower" ? py::lower(s) : py::upper(s));
  }
  if (name == "odd" || name == "even") return (need_int(v, "odd/even test") % 2 != 0) == (name == "odd");
  if (name == "divisibleby") {
    const int64_t d = need_int(arg(a, 0, "num"), "divisibleby");
    if (d == 0) type_error("integer division or modulo by zero");
    return need_int(v, "divisibleby") % d == 0;
  }
  const Value other = arg(a, 0, "other");
  if (name == "eq" || name == "equalto" || name == "==") return equals(v, other);
  if (name == "ne" || name == "!=") return !equals(v, other);
  if (name == "lt" || name == "<" || name == "lessthan") return less(v, other);
  if (name == "le" || name == "<=") return !less(other, v);
  if (name == "gt" || name == ">" || name == "greaterthan") return less(other, v);
  if (name == "ge" || name == ">=") return !less(v, other);
  if (name == "sameas") {
    if (v.is_none() || v.is_bool() || other.is_none() || other.is_bool()) return v.kind() == other.kind() && equals(v, other);
    return false;
  }
  // in
  const Value seq = arg(a, 0, "seq");
  if (seq.is_string()) return v.is_string() && seq.as_string().find(v.as_string()) != std::string::npos;
  if (seq.is_dict()) return seq.find(v) != nullptr;
  for (const Value& x : iterate(seq))
    if (equals(x, v)) return true;
  return false;
}

Value builtin_global(const std::string& name) {
  if (name == "range") {
    return Value::callable("range", [](CallArgs& a) {
      int64_t start = 0, stop = 0, step = 1;
      if (a.positional.size() == 1) {
        stop = need_int(a.positional[0], "range");
      } else if (a.positional.size() >= 2) {
        start = need_int(a.positional[0], "range");
        stop = need_int(a.positional[1], "range");
        if (a.positional.size() > 2) step = need_int(a.positional[2], "range");
      } else {
        type_error("range expected at least 1 argument, got 0");
      }
      if (step == 0) type_error("range() arg 3 must not be zero");
      const int64_t n = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                                 : (start > stop ? (start - stop - step - 1) / -step : 0);
      if (n > kMaxRange) type_error("Range too big. The sandbox blocks ranges larger than MAX_RANGE ({}).", kMaxRange);
      ValueList out;
      for (int64_t i = 0; i < n; ++i) out.emplace_back(start + i * step);
      return Value::list(std::move(out));
    });
  }
  if (name == "namespace" || name == "dict") {
    const bool ns = name == "namespace";
    return Value::callable(name, [ns](CallArgs& a) {
      DictItems items;
      auto put = [&](const Value& k, const Value& v) {
        for (auto& [ek, ev] : items)
          if (equals(ek, k)) {
            ev = v;
            return;
          }
        items.emplace_back(k, v);
      };
      for (const Value& p : a.positional) {
        if (!p.is_dict()) type_error("{}(): positional argument must be a mapping", ns ? "namespace" : "dict");
        for (const auto& [k, v] : p.as_dict()) put(k, v);
      }
      for (const auto& [k, v] : a.keyword) put(Value(k), v);
      if (!ns) return Value::dict(std::move(items));
      auto space = std::make_shared<Namespace>();
      for (const auto& [k, v] : items) {
        if (k.is_string() && !k.as_string().empty() && k.as_string()[0] == '_')
          throw TemplateError("template: namespaces cannot store underscore-prefixed attributes");
        space->attrs[to_str(k)] = v;
      }
      return Value::ns(std::move(space));
    });
  }
  return Value::undefined("'" + name + "' is undefined");
}

}  // namespace ys::jinja::detail
