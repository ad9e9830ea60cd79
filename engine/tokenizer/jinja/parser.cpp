// The Jinja parser: jinja2 3.1's grammar (parser.py), statement by statement and with its
// operator precedence: condexpr < or < and < not < compare < + - < ~ < * / // % < ** <
// unary - + < primary with postfix . [] () and then filters | and tests `is`.
#include "engine/tokenizer/jinja/ast.h"
#include "engine/tokenizer/jinja/lexer.h"

#include <set>

namespace ys::jinja::detail {

namespace {

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string what, const Options& o)
      : t_(std::move(tokens)), what_(std::move(what)), o_(o) {}

  Body parse_template() {
    std::string which;
    return subparse({}, which);
  }

 private:
  const Token& cur() const { return t_[i_]; }
  const Token& look(size_t n = 1) const { return t_[std::min(i_ + n, t_.size() - 1)]; }
  void next() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  bool is_op(const char* op) const { return cur().type == Tok::op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::name && cur().text == n; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::data: return "template data";
      case Tok::var_begin: return "'{{'";
      case Tok::var_end: return "'}}'";
      case Tok::block_begin: return "'{%'";
      case Tok::block_end: return "'%}'";
      case Tok::name: return "'" + t.text + "'";
      case Tok::string: return "string literal";
      case Tok::integer:
      case Tok::floating: return "number " + t.text;
      case Tok::op: return "'" + t.text + "'";
      case Tok::eof: return "end of template";
    }
    return "?";
  }

  [[noreturn]] void syntax(const std::string& msg) const {
    fail(ErrorKind::format, "{}: line {}: {}", what_, cur().line, msg);
  }
  [[noreturn]] void unsupported(const std::string& construct, int line) const {
    fail(ErrorKind::unsupported, "{}: line {}: unsupported construct {} (the renderer implements the jinja2 subset "
         "listed in docs/protocols.md)", what_, line, construct);
  }

  void expect_op(const char* op) {
    if (!skip_op(op)) syntax(fmt::format("expected '{}', got {}", op, describe(cur())));
  }
  std::string expect_name() {
    if (cur().type != Tok::name) syntax("expected a name, got " + describe(cur()));
    std::string n = cur().text;
    next();
    return n;
  }
  void expect_block_end() {
    if (cur().type != Tok::block_end) syntax("expected end of statement block '%}', got " + describe(cur()));
    next();
  }

  ExprPtr make(ExprKind k, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = line;
    return e;
  }

  // ---- statements -----------------------------------------------------------------------

  Body subparse(const std::vector<std::string>& ends, std::string& which) {
    Body body;
    while (true) {
      const Token& t = cur();
      if (t.type == Tok::data) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::output;
        s->line = t.line;
        s->text = t.text;
        body.push_back(std::move(s));
        next();
      } else if (t.type == Tok::var_begin) {
        next();
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::print;
        s->line = t.line;
        s->expr = parse_tuple(false, true, {}, false);
        if (cur().type != Tok::var_end) syntax("expected end of print statement '}}', got " + describe(cur()));
        next();
        body.push_back(std::move(s));
      } else if (t.type == Tok::block_begin) {
        next();
        if (cur().type == Tok::name) {
          for (const std::string& e : ends) {
            if (cur().text == e) {
              which = e;
              return body;
            }
          }
        }
        body.push_back(parse_statement());
        expect_block_end();
      } else if (t.type == Tok::eof) {
        if (!ends.empty()) {
          std::string list;
          for (const auto& e : ends) list += (list.empty() ? "'" : " or '") + e + "'";
          syntax("unexpected end of template, expected " + list);
        }
        return body;
      } else {
        syntax("unexpected " + describe(t));
      }
    }
  }

  // Parses through the end tag's name: expects '%}', then the body up to one of `ends`.
  Body statements(const std::vector<std::string>& ends, std::string& which, bool drop_needle) {
    expect_block_end();
    Body b = subparse(ends, which);
    if (drop_needle) next();
    return b;
  }

  std::unique_ptr<Stmt> parse_statement() {
    if (cur().type != Tok::name) syntax("tag name expected, got " + describe(cur()));
    const std::string tag = cur().text;
    const int line = cur().line;
    auto s = std::make_unique<Stmt>();
    s->line = line;
    if (tag == "if") return parse_if(std::move(s));
    if (tag == "for") return parse_for(std::move(s));
    if (tag == "set") return parse_set(std::move(s));
    if (tag == "macro") return parse_macro(std::move(s));
    if ((tag == "break" || tag == "continue") && o_.loop_controls) {
      if (loop_depth_ == 0) syntax("'" + tag + "' outside of a loop");
      next();
      s->kind = tag == "break" ? StmtKind::break_ : StmtKind::continue_;
      return s;
    }
    if (tag == "generation") {  // transformers' AssistantTracker: renders its body unchanged
      next();
      std::string which;
      s->kind = StmtKind::block;
      s->body = statements({"endgeneration"}, which, true);
      return s;
    }
    unsupported("'{% " + tag + " %}'", line);
  }

  std::unique_ptr<Stmt> parse_if(std::unique_ptr<Stmt> s) {
    s->kind = StmtKind::if_;
    next();  // if
    while (true) {
      ExprPtr cond = parse_tuple(false, false, {}, false);
      std::string which;
      Body body = statements({"elif", "else", "endif"}, which, false);
      s->branches.emplace_back(std::move(cond), std::move(body));
      next();  // the end name
      if (which == "elif") continue;
      if (which == "else") s->else_body = statements({"endif"}, which, true);
      return s;
    }
  }

  std::unique_ptr<Stmt> parse_for(std::unique_ptr<Stmt> s) {
    s->kind = StmtKind::for_;
    next();  // for
    parse_targets(*s, {"in"});
    if (!skip_name("in")) syntax("expected 'in', got " + describe(cur()));
    s->expr = parse_tuple(false, false, {"recursive"}, false);
    if (skip_name("if")) s->filter = parse_expression(true);
    if (is_name("recursive")) unsupported("'{% for ... recursive %}'", cur().line);
    std::string which;
    ++loop_depth_;
    s->body = statements({"endfor", "else"}, which, false);
    --loop_depth_;
    next();
    if (which == "else") s->else_body = statements({"endfor"}, which, true);
    return s;
  }

  // for/set targets: a name or a tuple of names.
  void parse_targets(Stmt& s, const std::vector<std::string>& end_names) {
    while (true) {
      if (cur().type != Tok::name) syntax("expected a name to assign to, got " + describe(cur()));
      s.targets.push_back(expect_name());
      if (!is_op(",")) break;
      next();
      s.tuple_target = true;
      bool end = cur().type == Tok::block_end || is_op("=");
      for (const auto& n : end_names) end = end || is_name(n.c_str());
      if (end) break;
    }
  }

  std::unique_ptr<Stmt> parse_set(std::unique_ptr<Stmt> s) {
    next();  // set
    if (cur().type == Tok::name && look().type == Tok::op && look().text == ".") {
      s->targets.push_back(expect_name());
      next();  // .
      s->ns_attr = expect_name();
    } else {
      parse_targets(*s, {});
    }
    if (skip_op("=")) {
      s->kind = StmtKind::set;
      s->expr = parse_tuple(false, true, {}, false);
      return s;
    }
    if (is_op("|")) unsupported("'{% set ... | filter %}' block", cur().line);
    if (!s->ns_attr.empty() || s->tuple_target) syntax("a block set assigns one name");
    s->kind = StmtKind::set_block;
    std::string which;
    s->body = statements({"endset"}, which, true);
    return s;
  }

  std::unique_ptr<Stmt> parse_macro(std::unique_ptr<Stmt> s) {
    s->kind = StmtKind::macro;
    next();  // macro
    s->name = expect_name();
    expect_op("(");
    while (!is_op(")")) {
      if (!s->params.empty()) expect_op(",");
      if (is_op(")")) break;
      s->params.push_back(expect_name());
      if (skip_op("=")) {
        s->defaults.push_back(parse_expression(true));
      } else if (!s->defaults.empty()) {
        syntax("non-default argument follows default argument");
      }
    }
    next();  // )
    const int saved = loop_depth_;
    loop_depth_ = 0;
    std::string which;
    s->body = statements({"endmacro"}, which, true);
    loop_depth_ = saved;
    return s;
  }

  // ---- expressions ----------------------------------------------------------------------

  ExprPtr parse_expression(bool with_condexpr) { return with_condexpr ? parse_condexpr() : parse_or(); }

  ExprPtr parse_condexpr() {
    const int line = cur().line;
    ExprPtr e = parse_or();
    while (skip_name("if")) {
      auto c = make(ExprKind::cond, line);
      c->a = parse_or();  // the test
      c->b = std::move(e);
      if (skip_name("else")) c->c = parse_condexpr();
      e = std::move(c);
    }
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      auto e = make(ExprKind::or_, cur().line);
      next();
      e->a = std::move(left);
      e->b = parse_and();
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      auto e = make(ExprKind::and_, cur().line);
      next();
      e->a = std::move(left);
      e->b = parse_not();
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      auto e = make(ExprKind::not_, cur().line);
      next();
      e->a = parse_not();
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const int line = cur().line;
    ExprPtr first = parse_math1();
    auto cmp = make(ExprKind::compare, line);
    while (true) {
      if (cur().type == Tok::op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                    cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
        cmp->ops.push_back(cur().text);
        next();
      } else if (is_name("in")) {
        cmp->ops.push_back("in");
        next();
      } else if (is_name("not") && look().type == Tok::name && look().text == "in") {
        cmp->ops.push_back("notin");
        next();
        next();
      } else {
        break;
      }
      cmp->args.push_back(parse_math1());
    }
    if (cmp->ops.empty()) return first;
    cmp->a = std::move(first);
    return cmp;
  }

  ExprPtr binary(const std::string& op, ExprPtr l, ExprPtr r, int line) {
    auto e = make(ExprKind::binary, line);
    e->name = op;
    e->a = std::move(l);
    e->b = std::move(r);
    return e;
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const std::string op = cur().text;
      const int line = cur().line;
      next();
      left = binary(op, std::move(left), parse_concat(), line);
    }
    return left;
  }

  ExprPtr parse_concat() {
    const int line = cur().line;
    ExprPtr first = parse_math2();
    if (!is_op("~")) return first;
    auto e = make(ExprKind::concat, line);
    e->args.push_back(std::move(first));
    while (skip_op("~")) e->args.push_back(parse_math2());
    return e;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const std::string op = cur().text;
      const int line = cur().line;
      next();
      left = binary(op, std::move(left), parse_pow(), line);
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const int line = cur().line;
      next();
      left = binary("**", std::move(left), parse_unary(true), line);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    const int line = cur().line;
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      node = make(is_op("-") ? ExprKind::neg : ExprKind::pos, line);
      next();
      node->a = parse_unary(false);
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    const int line = t.line;
    if (t.type == Tok::name) {
      auto e = make(ExprKind::literal, line);
      if (t.text == "true" || t.text == "True") e->value = Value(true);
      else if (t.text == "false" || t.text == "False") e->value = Value(false);
      else if (t.text == "none" || t.text == "None") e->value = Value::none();
      else {
        if (t.text == "cycler" || t.text == "joiner" || t.text == "lipsum") unsupported("global '" + t.text + "'", line);
        e->kind = ExprKind::name;
        e->name = t.text;
      }
      next();
      return e;
    }
    if (t.type == Tok::string) {
      std::string s;
      while (cur().type == Tok::string) {
        s += cur().text;
        next();
      }
      auto e = make(ExprKind::literal, line);
      e->value = Value(std::move(s));
      return e;
    }
    if (t.type == Tok::integer || t.type == Tok::floating) {
      auto e = make(ExprKind::literal, line);
      e->value = t.type == Tok::integer ? Value(t.ival) : Value(t.fval);
      next();
      return e;
    }
    if (is_op("(")) {
      next();
      ExprPtr e = parse_tuple(false, true, {}, true);
      expect_op(")");
      return e;
    }
    if (is_op("[")) {
      next();
      auto e = make(ExprKind::list, line);
      while (!is_op("]")) {
        if (!e->args.empty()) expect_op(",");
        if (is_op("]")) break;
        e->args.push_back(parse_expression(true));
      }
      next();
      return e;
    }
    if (is_op("{")) {
      next();
      auto e = make(ExprKind::dict, line);
      while (!is_op("}")) {
        if (!e->args.empty()) expect_op(",");
        if (is_op("}")) break;
        e->args.push_back(parse_expression(true));
        expect_op(":");
        e->args.push_back(parse_expression(true));
      }
      next();
      return e;
    }
    syntax("unexpected " + describe(t));
  }

  bool tuple_end(const std::vector<std::string>& extra) const {
    if (cur().type == Tok::var_end || cur().type == Tok::block_end || is_op(")")) return true;
    for (const auto& n : extra)
      if (is_name(n.c_str())) return true;
    return false;
  }

  ExprPtr parse_tuple(bool simplified, bool with_condexpr, const std::vector<std::string>& extra_end,
                      bool explicit_parens) {
    const int line = cur().line;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (tuple_end(extra_end)) break;
      items.push_back(simplified ? parse_primary() : parse_expression(with_condexpr));
      if (is_op(",")) is_tuple = true;
      else break;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) syntax("expected an expression, got " + describe(cur()));
    }
    auto e = make(ExprKind::tuple, line);
    e->args = std::move(items);
    return e;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) node = parse_subscript(std::move(node));
      else if (is_op("(")) node = parse_call(std::move(node));
      else return node;
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) node = parse_filter(std::move(node));
      else if (is_name("is")) node = parse_test(std::move(node));
      else if (is_op("(")) node = parse_call(std::move(node));
      else return node;
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const int line = cur().line;
    if (skip_op(".")) {
      if (cur().type == Tok::name) {
        auto e = make(ExprKind::getattr, line);
        e->a = std::move(node);
        e->name = expect_name();
        return e;
      }
      if (cur().type == Tok::integer) {
        auto e = make(ExprKind::getitem, line);
        e->a = std::move(node);
        e->b = make(ExprKind::literal, line);
        e->b->value = Value(cur().ival);
        next();
        return e;
      }
      syntax("expected name or number after '.', got " + describe(cur()));
    }
    expect_op("[");
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) {
        expect_op(",");
        if (is_op("]")) break;
      }
      args.push_back(parse_subscribed());
    }
    next();
    auto e = make(ExprKind::getitem, line);
    e->a = std::move(node);
    if (args.size() == 1 && args[0]->kind == ExprKind::slice && !args[0]->a) {
      args[0]->a = std::move(e->a);
      return std::move(args[0]);
    }
    if (args.size() == 1) {
      e->b = std::move(args[0]);
    } else {
      for (auto& a : args)
        if (a->kind == ExprKind::slice) unsupported("multi-dimensional slice", line);
      e->b = make(ExprKind::tuple, line);
      e->b->args = std::move(args);
    }
    return e;
  }

  // expr, or a slice start:stop:step (returned as a slice node without its object).
  ExprPtr parse_subscribed() {
    const int line = cur().line;
    ExprPtr start;
    if (!is_op(":")) {
      start = parse_expression(true);
      if (!is_op(":")) return start;
    }
    next();  // :
    auto s = make(ExprKind::slice, line);
    s->args.resize(3);
    s->args[0] = std::move(start);
    if (!is_op("]") && !is_op(",") && !is_op(":")) s->args[1] = parse_expression(true);
    if (skip_op(":")) {
      if (!is_op("]") && !is_op(",")) s->args[2] = parse_expression(true);
    }
    return s;
  }

  void parse_call_args(Expr& e) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) {
        expect_op(",");
        if (is_op(")")) break;
      }
      first = false;
      if (is_op("*") || is_op("**")) unsupported("'*args' / '**kwargs' in a call", cur().line);
      if (cur().type == Tok::name && look().type == Tok::op && look().text == "=") {
        std::string key = expect_name();
        next();  // =
        e.kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!e.kwargs.empty()) syntax("positional argument follows keyword argument");
        e.args.push_back(parse_expression(true));
      }
    }
    next();  // )
  }

  ExprPtr parse_call(ExprPtr node) {
    auto e = make(ExprKind::call, cur().line);
    e->a = std::move(node);
    parse_call_args(*e);
    return e;
  }

  std::string dotted_name() {
    std::string n = expect_name();
    while (is_op(".")) {
      next();
      n += "." + expect_name();
    }
    return n;
  }

  ExprPtr parse_filter(ExprPtr node) {
    while (skip_op("|")) {
      const int line = cur().line;
      auto e = make(ExprKind::filter, line);
      e->name = dotted_name();
      if (!has_filter(e->name)) unsupported("filter '|" + e->name + "'", line);
      e->a = std::move(node);
      if (is_op("(")) parse_call_args(*e);
      node = std::move(e);
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    const int line = cur().line;
    next();  // is
    auto e = make(ExprKind::test, line);
    e->negated = skip_name("not");
    e->name = dotted_name();
    if (!has_test(e->name)) unsupported("test 'is " + e->name + "'", line);
    e->a = std::move(node);
    if (is_op("(")) {
      parse_call_args(*e);
    } else if ((cur().type == Tok::name || cur().type == Tok::string || cur().type == Tok::integer ||
                cur().type == Tok::floating || is_op("(") || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) syntax("you cannot chain multiple tests with is");
      e->args.push_back(parse_postfix(parse_primary()));
    }
    return e;
  }

  std::vector<Token> t_;
  std::string what_;
  Options o_;
  size_t i_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

std::unique_ptr<Program> parse(std::string_view source, const Options& options, const std::string& what) {
  auto p = std::make_unique<Program>();
  p->options = options;
  p->what = what;
  p->body = Parser(tokenize(source, options, what), what, options).parse_template();
  return p;
}

}  // namespace ys::jinja::detail
