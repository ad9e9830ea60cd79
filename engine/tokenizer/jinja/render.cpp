// The Jinja evaluator: statements and expressions with jinja2's scoping (a for loop body
// is a new scope per iteration, `if` is not a scope, a macro call is a scope over the
// template's top level) and Python's operator semantics.
#include "engine/tokenizer/jinja/ast.h"
#include "engine/tokenizer/jinja/builtins.h"
#include "engine/tokenizer/jinja/pystr.h"

#include <cmath>
#include <limits>

namespace ys::jinja {

namespace detail {
namespace {

struct Scope {
  std::map<std::string, Value> vars;
  const Scope* parent = nullptr;
};

enum class Flow { normal, break_, continue_ };

class Renderer {
 public:
  Renderer(const Program& p, const Context& ctx) : p_(p), ctx_(ctx) {}

  std::string run() {
    std::string out;
    exec(p_.body, root_, out);
    return out;
  }

 private:
  [[noreturn]] void error_at(int line, const std::exception& e) const {
    if (const auto* t = dynamic_cast<const TemplateError*>(&e)) throw TemplateError(at(line, t->what()));
    if (const auto* y = dynamic_cast<const Error*>(&e)) throw Error(y->kind(), at(line, y->what()));
    throw Error(ErrorKind::invalid_input, at(line, e.what()));
  }
  std::string at(int line, const std::string& msg) const {
    const std::string prefix = p_.what + ": line ";
    if (msg.rfind(prefix, 0) == 0) return msg;  // already located
    std::string m = msg.rfind("template: ", 0) == 0 ? msg.substr(10) : msg;
    return p_.what + ": line " + std::to_string(line) + ": " + m;
  }

  Value lookup(const std::string& name, const Scope& s) const {
    for (const Scope* c = &s; c != nullptr; c = c->parent) {
      auto it = c->vars.find(name);
      if (it != c->vars.end()) return it->second;
    }
    auto it = ctx_.find(name);
    if (it != ctx_.end()) return it->second;
    return builtin_global(name);
  }

  // ---- statements -----------------------------------------------------------------------

  Flow exec(const Body& body, Scope& s, std::string& out) {
    for (const auto& st : body) {
      const Flow f = exec_one(*st, s, out);
      if (f != Flow::normal) return f;
    }
    return Flow::normal;
  }

  Flow exec_one(const Stmt& st, Scope& s, std::string& out) {
    try {
      switch (st.kind) {
        case StmtKind::output: out += st.text; return Flow::normal;
        case StmtKind::print: out += to_str(eval(*st.expr, s, false)); return Flow::normal;
        case StmtKind::if_:
          for (const auto& [cond, body] : st.branches)
            if (truthy(eval(*cond, s, false))) return exec(body, s, out);
          return exec(st.else_body, s, out);
        case StmtKind::for_: return exec_for(st, s, out);
        case StmtKind::set: assign(st, eval(*st.expr, s, true), s); return Flow::normal;
        case StmtKind::set_block: {
          std::string text;
          exec(st.body, s, text);
          s.vars[st.targets[0]] = Value(std::move(text));
          return Flow::normal;
        }
        case StmtKind::macro: s.vars[st.name] = make_macro(st); return Flow::normal;
        case StmtKind::break_: return Flow::break_;
        case StmtKind::continue_: return Flow::continue_;
        case StmtKind::block: return exec(st.body, s, out);
      }
    } catch (const std::exception& e) {
      error_at(st.line, e);
    }
    return Flow::normal;
  }

  void bind(const Stmt& st, const Value& v, Scope& s) {
    if (!st.tuple_target) {
      s.vars[st.targets[0]] = v;
      return;
    }
    const ValueList items = iterate(v);
    if (items.size() != st.targets.size()) {
      type_error("{} values to unpack (expected {}, got {})", items.size() > st.targets.size() ? "too many" : "not enough",
                 st.targets.size(), items.size());
    }
    for (size_t i = 0; i < items.size(); ++i) s.vars[st.targets[i]] = items[i];
  }

  void assign(const Stmt& st, const Value& v, Scope& s) {
    if (st.ns_attr.empty()) return bind(st, v, s);
    const Value ns = lookup(st.targets[0], s);
    if (!ns.is_ns()) throw TemplateError("template: cannot assign attribute on non-namespace object");
    if (!st.ns_attr.empty() && st.ns_attr[0] == '_')
      throw TemplateError("template: namespaces cannot store underscore-prefixed attributes");
    ns.as_ns().attrs[st.ns_attr] = v;
  }

  Flow exec_for(const Stmt& st, Scope& s, std::string& out) {
    ValueList items = iterate(eval(*st.expr, s, false));
    if (st.filter) {
      ValueList kept;
      for (const Value& item : items) {
        Scope f{{}, &s};
        bind(st, item, f);
        if (truthy(eval(*st.filter, f, false))) kept.push_back(item);
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      Scope e{{}, &s};
      exec(st.else_body, e, out);
      return Flow::normal;
    }
    const auto n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      Scope it{{}, &s};
      bind(st, items[static_cast<size_t>(i)], it);
      it.vars["loop"] = loop_value(items, i);
      if (exec(st.body, it, out) == Flow::break_) break;
    }
    return Flow::normal;
  }

  static Value loop_value(const ValueList& items, int64_t i) {
    const auto n = static_cast<int64_t>(items.size());
    DictItems d;
    d.emplace_back("index", Value(i + 1));
    d.emplace_back("index0", Value(i));
    d.emplace_back("revindex", Value(n - i));
    d.emplace_back("revindex0", Value(n - i - 1));
    d.emplace_back("first", Value(i == 0));
    d.emplace_back("last", Value(i == n - 1));
    d.emplace_back("length", Value(n));
    d.emplace_back("depth", Value(int64_t{1}));
    d.emplace_back("depth0", Value(int64_t{0}));
    d.emplace_back("previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("there is no previous item"));
    d.emplace_back("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::undefined("there is no next item"));
    d.emplace_back("cycle", Value::callable("loop.cycle", [i](CallArgs& a) {
      if (a.positional.empty()) type_error("no items for cycling given");
      return a.positional[static_cast<size_t>(i) % a.positional.size()];
    }));
    return Value::dict(std::move(d));
  }

  Value make_macro(const Stmt& st) {
    const Stmt* m = &st;
    return Value::callable(st.name, [this, m](CallArgs& a) {
      if (a.positional.size() > m->params.size())
        type_error("macro '{}' takes not more than {} argument(s)", m->name, m->params.size());
      Scope ms{{}, &root_};
      const size_t first_default = m->params.size() - m->defaults.size();
      for (size_t i = 0; i < m->params.size(); ++i) {
        const std::string& p = m->params[i];
        Value v = i < a.positional.size() ? a.positional[i] : Value();
        bool given = i < a.positional.size();
        for (const auto& [k, kv] : a.keyword)
          if (k == p) v = kv, given = true;
        if (!given) v = i >= first_default ? eval(*m->defaults[i - first_default], ms, true)
                                           : Value::undefined("parameter '" + p + "' was not provided");
        ms.vars[p] = v;
      }
      for (const auto& [k, kv] : a.keyword) {
        if (std::find(m->params.begin(), m->params.end(), k) == m->params.end())
          type_error("macro '{}' takes no keyword argument '{}'", m->name, k);
      }
      std::string text;
      exec(m->body, ms, text);
      return Value(std::move(text));
    });
  }

  // ---- expressions ----------------------------------------------------------------------

  // `allow_undefined`: the value may be undefined even under StrictUndefined (is defined,
  // |default, and assignments, which jinja2 also lets through).
  Value eval(const Expr& e, const Scope& s, bool allow_undefined) {
    Value v = eval_raw(e, s);
    // jinja2 makes a false `x if c` without else a plain Undefined even under StrictUndefined.
    if (v.is_undefined() && p_.options.strict_undefined && !allow_undefined && e.kind != ExprKind::cond)
      undefined_error(v);
    return v;
  }

  CallArgs eval_args(const Expr& e, const Scope& s) {
    CallArgs a;
    for (const auto& x : e.args) a.positional.push_back(eval(*x, s, false));
    for (const auto& [k, x] : e.kwargs) a.keyword.emplace_back(k, eval(*x, s, false));
    return a;
  }

  Value eval_raw(const Expr& e, const Scope& s) {
    switch (e.kind) {
      case ExprKind::literal: return e.value;
      case ExprKind::name: {
        Value v = lookup(e.name, s);
        if (v.is_undefined()) return Value::undefined("'" + e.name + "' is undefined");
        return v;
      }
      case ExprKind::list:
      case ExprKind::tuple: {
        ValueList items;
        for (const auto& x : e.args) items.push_back(eval(*x, s, false));
        return Value::list(std::move(items), e.kind == ExprKind::tuple);
      }
      case ExprKind::dict: {
        DictItems items;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value k = eval(*e.args[i], s, false), v = eval(*e.args[i + 1], s, false);
          bool replaced = false;
          for (auto& [ek, ev] : items)
            if (equals(ek, k)) ev = v, replaced = true;
          if (!replaced) items.emplace_back(std::move(k), std::move(v));
        }
        return Value::dict(std::move(items));
      }
      case ExprKind::getattr: return get_attr(eval(*e.a, s, false), e.name);
      case ExprKind::getitem: return get_item(eval(*e.a, s, false), eval(*e.b, s, false));
      case ExprKind::slice: {
        auto part = [&](const ExprPtr& x) { return x ? eval(*x, s, false) : Value::none(); };
        return get_slice(eval(*e.a, s, false), part(e.args[0]), part(e.args[1]), part(e.args[2]));
      }
      case ExprKind::call: {
        const Value f = eval(*e.a, s, false);
        if (f.is_undefined()) undefined_error(f);
        if (!f.is_callable()) type_error("'{}' object is not callable", f.type_name());
        CallArgs a = eval_args(e, s);
        return f.as_callable().fn(a);
      }
      case ExprKind::filter: {
        const bool lenient = e.name == "default" || e.name == "d";
        const Value v = eval(*e.a, s, lenient);
        CallArgs a = eval_args(e, s);
        return call_filter(e.name, v, a, p_.options);
      }
      case ExprKind::test: {
        const bool lenient = e.name == "defined" || e.name == "undefined";
        const Value v = eval(*e.a, s, lenient);
        CallArgs a = eval_args(e, s);
        return Value(call_test(e.name, v, a) != e.negated);
      }
      case ExprKind::neg:
      case ExprKind::pos: {
        const Value v = eval(*e.a, s, false);
        if (v.is_undefined()) undefined_error(v);
        if (!v.is_number()) type_error("bad operand type for unary {}: '{}'", e.kind == ExprKind::neg ? "-" : "+", v.type_name());
        if (e.kind == ExprKind::pos) return v.is_bool() ? Value(v.as_int()) : v;
        return v.is_float() ? Value(-v.as_float()) : Value(-v.as_int());
      }
      case ExprKind::binary: return binary(e.name, eval(*e.a, s, false), eval(*e.b, s, false));
      case ExprKind::concat: {
        std::string out;
        for (const auto& x : e.args) out += to_str(eval(*x, s, false));
        return Value(std::move(out));
      }
      case ExprKind::compare: return compare(e, s);
      case ExprKind::and_: {
        Value l = eval(*e.a, s, false);
        return truthy(l) ? eval(*e.b, s, false) : l;
      }
      case ExprKind::or_: {
        Value l = eval(*e.a, s, false);
        return truthy(l) ? l : eval(*e.b, s, false);
      }
      case ExprKind::not_: return Value(!truthy(eval(*e.a, s, false)));
      case ExprKind::cond:
        if (truthy(eval(*e.a, s, false))) return eval(*e.b, s, false);
        return e.c ? eval(*e.c, s, false) : Value::undefined("the inline if-expression evaluated to false and no else section was defined.");
    }
    return Value();
  }

  Value compare(const Expr& e, const Scope& s) {
    Value left = eval(*e.a, s, false);
    for (size_t i = 0; i < e.ops.size(); ++i) {
      Value right = eval(*e.args[i], s, false);
      const std::string& op = e.ops[i];
      bool r;
      if (op == "==") r = equals(left, right);
      else if (op == "!=") r = !equals(left, right);
      else if (op == "in" || op == "notin") r = contains(right, left) == (op == "in");
      else {
        if (left.is_undefined()) undefined_error(left);
        if (right.is_undefined()) undefined_error(right);
        if (op == "<") r = less(left, right);
        else if (op == ">") r = less(right, left);
        else if (op == "<=") r = !less(right, left);
        else r = !less(left, right);
      }
      if (!r) return Value(false);
      left = std::move(right);
    }
    return Value(true);
  }

  static bool contains(const Value& seq, const Value& x) {
    if (seq.is_string()) {
      if (x.is_undefined()) undefined_error(x);
      if (!x.is_string()) type_error("'in <string>' requires string as left operand, not {}", x.type_name());
      return seq.as_string().find(x.as_string()) != std::string::npos;
    }
    if (seq.is_dict()) return seq.find(x) != nullptr;
    for (const Value& v : iterate(seq))
      if (equals(v, x)) return true;
    return false;
  }

  static int64_t checked(long double r) {
    if (r > static_cast<long double>(std::numeric_limits<int64_t>::max()) ||
        r < static_cast<long double>(std::numeric_limits<int64_t>::min()))
      type_error("integer result does not fit 64 bits");
    return static_cast<int64_t>(r);
  }

  static Value repeat(const Value& seq, int64_t n) {
    if (seq.is_string()) {
      std::string out;
      for (int64_t i = 0; i < n; ++i) out += seq.as_string();
      return Value(out);
    }
    ValueList out;
    for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.as_list().begin(), seq.as_list().end());
    return Value::list(std::move(out), seq.is_tuple());
  }

  static Value binary(const std::string& op, const Value& l, const Value& r) {
    if (l.is_undefined()) undefined_error(l);
    if (r.is_undefined()) undefined_error(r);
    const bool nums = l.is_number() && r.is_number();
    const bool fl = nums && (l.is_float() || r.is_float());
    if (op == "+") {
      if (nums) return fl ? Value(l.as_float() + r.as_float()) : Value(checked((long double)l.as_int() + r.as_int()));
      if (l.is_string() && r.is_string()) return Value(l.as_string() + r.as_string());
      if (l.is_list() && r.is_list() && l.is_tuple() == r.is_tuple()) {
        ValueList out = l.as_list();
        out.insert(out.end(), r.as_list().begin(), r.as_list().end());
        return Value::list(std::move(out), l.is_tuple());
      }
      if (l.is_string()) type_error("can only concatenate str (not \"{}\") to str", r.type_name());
    } else if (op == "-" && nums) {
      return fl ? Value(l.as_float() - r.as_float()) : Value(checked((long double)l.as_int() - r.as_int()));
    } else if (op == "*") {
      if (nums) return fl ? Value(l.as_float() * r.as_float()) : Value(checked((long double)l.as_int() * r.as_int()));
      if ((l.is_string() || l.is_list()) && (r.is_int() || r.is_bool())) return repeat(l, r.as_int());
      if ((r.is_string() || r.is_list()) && (l.is_int() || l.is_bool())) return repeat(r, l.as_int());
    } else if (op == "/" && nums) {
      if (r.as_float() == 0) type_error("division by zero");
      return Value(l.as_float() / r.as_float());
    } else if ((op == "//" || op == "%") && nums) {
      if (r.as_float() == 0) type_error("integer division or modulo by zero");
      if (fl) {
        const double a = l.as_float(), b = r.as_float();
        double m = std::fmod(a, b);
        if (m != 0 && ((m < 0) != (b < 0))) m += b;
        return op == "%" ? Value(m) : Value(std::floor(a / b));
      }
      const int64_t a = l.as_int(), b = r.as_int();
      int64_t q = a / b, m = a % b;
      if (m != 0 && ((m < 0) != (b < 0))) --q, m += b;
      return op == "%" ? Value(m) : Value(q);
    } else if (op == "%" && l.is_string()) {
      type_error("printf-style string formatting ('%' on a str) is not supported");
    } else if (op == "**" && nums) {
      if (!fl && r.as_int() >= 0) return Value(checked(std::pow((long double)l.as_int(), (long double)r.as_int())));
      return Value(std::pow(l.as_float(), r.as_float()));
    }
    type_error("unsupported operand type(s) for {}: '{}' and '{}'", op, l.type_name(), r.type_name());
  }

  const Program& p_;
  const Context& ctx_;
  Scope root_;
};

Value from_json_impl(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::none();
    case nlohmann::ordered_json::value_t::boolean: return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const auto u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Value(static_cast<double>(u));
      return Value(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float: return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      ValueList items;
      for (const auto& x : j) items.push_back(from_json_impl(x));
      return Value::list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      DictItems items;
      for (auto it = j.begin(); it != j.end(); ++it) items.emplace_back(Value(it.key()), from_json_impl(it.value()));
      return Value::dict(std::move(items));
    }
    default: return Value::none();
  }
}

}  // namespace
}  // namespace detail

Template::Template(std::string_view source, Options options, std::string what)
    : program_(detail::parse(source, options, what)) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const Context& context) const { return detail::Renderer(*program_, context).run(); }

Value from_json(const nlohmann::ordered_json& j) { return detail::from_json_impl(j); }

}  // namespace ys::jinja
