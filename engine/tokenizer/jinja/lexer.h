// The Jinja lexer, following jinja2 3.1's lexer.py rule for rule: newline normalisation and
// the dropped trailing newline, data between tags, "{%- -%}" / "{{- -}}" / "{#- -#}"
// whitespace control, "+" markers, trim_blocks (one newline after a block or comment tag)
// and lstrip_blocks (spaces and tabs before a block or comment tag at the start of a line),
// tag ends recognised only when brackets are balanced, {% raw %} blocks, comments.
#pragma once

#include "engine/tokenizer/jinja/jinja.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ys::jinja::detail {

enum class Tok { data, var_begin, var_end, block_begin, block_end, name, string, integer, floating, op, eof };

struct Token {
  Tok type = Tok::eof;
  std::string text;   // data text, name, operator, decoded string literal
  int64_t ival = 0;
  double fval = 0;
  int line = 1;
};

std::vector<Token> tokenize(std::string_view source, const Options& options, const std::string& what);

}  // namespace ys::jinja::detail
