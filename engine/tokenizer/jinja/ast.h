// The parsed form of a Jinja template (internal to the renderer).
#pragma once

#include "engine/tokenizer/jinja/jinja.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ys::jinja::detail {

enum class ExprKind {
  literal,   // value
  name,      // name
  list,      // args
  tuple,     // args
  dict,      // args: key, value, key, value...
  getattr,   // a.name
  getitem,   // a[b]
  slice,     // a[args[0]:args[1]:args[2]] (null parts allowed)
  call,      // a(args, kwargs)
  filter,    // a | name(args, kwargs)
  test,      // a is [not] name(args)
  neg,       // -a
  pos,       // +a
  binary,    // a op b: + - * / // % **
  concat,    // args joined with ~
  compare,   // a (ops[i] args[i])...
  and_,      // a and b
  or_,       // a or b
  not_,      // not a
  cond,      // b if a else c (c may be null)
};

struct Expr {
  ExprKind kind = ExprKind::literal;
  int line = 0;
  Value value;
  std::string name;
  std::unique_ptr<Expr> a, b, c;
  std::vector<std::unique_ptr<Expr>> args;
  std::vector<std::pair<std::string, std::unique_ptr<Expr>>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
};
using ExprPtr = std::unique_ptr<Expr>;

enum class StmtKind { output, print, if_, for_, set, set_block, macro, break_, continue_, block };

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

struct Stmt {
  StmtKind kind = StmtKind::output;
  int line = 0;
  std::string text;                                // output
  ExprPtr expr;                                    // print / set value / for iterable
  std::vector<std::pair<ExprPtr, Body>> branches;  // if / elif
  Body body, else_body;                            // for, else; set_block, macro, block bodies
  std::vector<std::string> targets;                // for / set names (one unless a tuple)
  bool tuple_target = false;
  std::string ns_attr;                             // set ns.attr = ...: targets[0] is the namespace
  ExprPtr filter;                                  // for ... if filter
  std::string name;                                // macro name
  std::vector<std::string> params;                 // macro parameters
  std::vector<ExprPtr> defaults;                   // for the last params (aligned to the end)
};

struct Program {
  Options options;
  std::string what;
  Body body;
};

std::unique_ptr<Program> parse(std::string_view source, const Options& options, const std::string& what);

// Filter and test names the evaluator implements (checked at parse time).
bool has_filter(const std::string& name);
bool has_test(const std::string& name);

}  // namespace ys::jinja::detail
