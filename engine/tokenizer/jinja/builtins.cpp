// Built-in filters, tests and globals (see builtins.h), following jinja2 3.1's filters.py,
// tests.py and sandbox.py.
#include "engine/tokenizer/jinja/builtins.h"

#include "engine/tokenizer/jinja/ast.h"
#include "engine/tokenizer/jinja/pystr.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ys::jinja::detail {

namespace {

constexpr int64_t kMaxRange = 100000;  // jinja2.sandbox.MAX_RANGE

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
