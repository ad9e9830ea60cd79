// The Jinja lexer (see lexer.h).
#include "engine/tokenizer/jinja/lexer.h"

#include "engine/tokenizer/jinja/pystr.h"

#include <cerrno>
#include <cstdlib>

namespace ys::jinja::detail {

namespace {

constexpr std::string_view kOps2[] = {"//", "**", "==", "!=", ">=", "<="};
constexpr std::string_view kOps1 = "+-/*%~[](){}><=.:|,;";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// jinja2: lines = re.split(r"(\r\n|\r|\n)", source)[::2]; drop a final empty line unless
// keep_trailing_newline; join with "\n".
std::string normalize(std::string_view src, bool keep_trailing_newline) {
  std::string out;
  out.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
    } else {
      out.push_back(src[i]);
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

int count_newlines(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class Lexer {
 public:
  Lexer(std::string_view source, const Options& o, std::string what)
      : s_(normalize(source, o.keep_trailing_newline)), o_(o), what_(std::move(what)) {}

  std::vector<Token> run() {
    while (pos_ < s_.size()) {
      const size_t p = find_opener(pos_);
      if (p == std::string::npos) {
        emit_data(s_.substr(pos_));
        break;
      }
      const char kind = s_[p + 1];
      size_t q = p + 2;
      char mod = 0;
      if (q < s_.size() && (s_[q] == '-' || s_[q] == '+')) mod = s_[q++];
      size_t raw_end = 0;
      const bool raw = kind == '%' && match_raw_begin(p, raw_end);
      emit_data(strip_before(s_.substr(pos_, p - pos_), mod, kind != '{'));
      line_starting_ = false;
      if (raw) {
        pos_ = raw_end;
        lex_raw_body();
      } else if (kind == '#') {
        pos_ = q;
        lex_comment();
      } else {
        pos_ = q;
        lex_tag(kind == '%');
      }
    }
    out_.push_back(Token{Tok::eof, "", 0, 0, line_});
    return std::move(out_);
  }

 private:
  [[noreturn]] void syntax(const std::string& what) const {
    fail(ErrorKind::format, "{}: line {}: {}", what_, line_, what);
  }

  size_t find_opener(size_t from) const {
    for (size_t i = s_.find('{', from); i != std::string::npos; i = s_.find('{', i + 1)) {
      if (i + 1 < s_.size() && (s_[i + 1] == '{' || s_[i + 1] == '%' || s_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  // Length of Python whitespace (\s) at s_[i..] (UTF-8 aware), in bytes.
  size_t py_space_run(size_t i) const {
    size_t j = i;
    while (j < s_.size()) {
      const auto b = static_cast<unsigned char>(s_[j]);
      if (b < 0x80) {
        if (!py::isspace(b)) break;
        ++j;
        continue;
      }
      size_t n = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
      if (j + n > s_.size()) break;
      const std::u32string cp = py::decode(std::string_view(s_).substr(j, n));
      if (cp.size() != 1 || !py::isspace(cp[0])) break;
      j += n;
    }
    return j - i;
  }

  // The text before a tag after whitespace control (jinja2's OptionalLStrip rule).
  std::string strip_before(std::string text, char mod, bool block_or_comment) {
    if (mod == '-') {
      std::string stripped = py::strip(text, py::Side::right);
      stripped_newlines_ = count_newlines(std::string_view(text).substr(stripped.size()));
      return stripped;
    }
    if (mod != '+' && o_.lstrip_blocks && block_or_comment) {
      const size_t l_pos = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
      if (l_pos > 0 || line_starting_) {
        const std::string_view rest = std::string_view(text).substr(l_pos);
        if (!rest.empty() && py::strip(rest, py::Side::both).empty()) text.resize(l_pos);
      }
    }
    return text;
  }

  void emit_data(std::string text) {
    if (!text.empty()) {
      const int n = count_newlines(text);
      out_.push_back(Token{Tok::data, std::move(text), 0, 0, line_});
      line_ += n;
    }
    line_ += stripped_newlines_;
    stripped_newlines_ = 0;
  }

  // {%[-+]?\s*raw\s*(-%}\s*|%}) at p; sets `end` past it.
  bool match_raw_begin(size_t p, size_t& end) const {
    size_t i = p + 2;
    if (i < s_.size() && (s_[i] == '-' || s_[i] == '+')) ++i;
    i += py_space_run(i);
    if (s_.compare(i, 3, "raw") != 0) return false;
    i += 3;
    if (i < s_.size() && is_name_char(s_[i])) return false;
    i += py_space_run(i);
    if (s_.compare(i, 3, "-%}") == 0) {
      end = i + 3 + py_space_run(i + 3);
      return true;
    }
    if (s_.compare(i, 2, "%}") == 0) {
      end = i + 2;
      return true;
    }
    return false;
  }

  void lex_raw_body() {
    for (size_t p = s_.find("{%", pos_); p != std::string::npos; p = s_.find("{%", p + 1)) {
      size_t i = p + 2;
      char mod = 0;
      if (i < s_.size() && (s_[i] == '-' || s_[i] == '+')) mod = s_[i++];
      i += py_space_run(i);
      if (s_.compare(i, 6, "endraw") != 0) continue;
      i += 6;
      i += py_space_run(i);
      size_t end = 0;
      if (s_.compare(i, 3, "+%}") == 0) end = i + 3;
      else if (s_.compare(i, 3, "-%}") == 0) end = i + 3 + py_space_run(i + 3);
      else if (s_.compare(i, 2, "%}") == 0) end = i + 2 + (o_.trim_blocks && s_.compare(i + 2, 1, "\n") == 0 ? 1 : 0);
      else continue;
      emit_data(strip_before(s_.substr(pos_, p - pos_), mod, true));
      line_ += count_newlines(std::string_view(s_).substr(p, end - p));
      line_starting_ = s_[end - 1] == '\n';
      pos_ = end;
      return;
    }
    syntax("missing end of raw directive");
  }

  void lex_comment() {
    for (size_t q = pos_; q < s_.size(); ++q) {
      size_t end = 0;
      if (s_.compare(q, 3, "+#}") == 0) end = q + 3;
      else if (s_.compare(q, 3, "-#}") == 0) end = q + 3 + py_space_run(q + 3);
      else if (s_.compare(q, 2, "#}") == 0) end = q + 2 + (o_.trim_blocks && s_.compare(q + 2, 1, "\n") == 0 ? 1 : 0);
      else continue;
      line_ += count_newlines(std::string_view(s_).substr(pos_, end - pos_));
      line_starting_ = s_[end - 1] == '\n';
      pos_ = end;
      return;
    }
    syntax("missing end of comment tag");
  }

  // Tries the tag end at pos_ (brackets balanced); returns true and advances if found.
  bool tag_end(bool block) {
    size_t end = 0;
    if (block) {
      if (s_.compare(pos_, 3, "+%}") == 0) end = pos_ + 3;
      else if (s_.compare(pos_, 3, "-%}") == 0) end = pos_ + 3 + py_space_run(pos_ + 3);
      else if (s_.compare(pos_, 2, "%}") == 0)
        end = pos_ + 2 + (o_.trim_blocks && s_.compare(pos_ + 2, 1, "\n") == 0 ? 1 : 0);
    } else {
      if (s_.compare(pos_, 3, "-}}") == 0) end = pos_ + 3 + py_space_run(pos_ + 3);
      else if (s_.compare(pos_, 2, "}}") == 0) end = pos_ + 2;
    }
    if (end == 0) return false;
    out_.push_back(Token{block ? Tok::block_end : Tok::var_end, "", 0, 0, line_});
    line_ += count_newlines(std::string_view(s_).substr(pos_, end - pos_));
    line_starting_ = s_[end - 1] == '\n';
    pos_ = end;
    return true;
  }

  void lex_tag(bool block) {
    out_.push_back(Token{block ? Tok::block_begin : Tok::var_begin, "", 0, 0, line_});
    std::string balance;
    while (true) {
      const size_t ws = py_space_run(pos_);
      line_ += count_newlines(std::string_view(s_).substr(pos_, ws));
      pos_ += ws;
      if (pos_ >= s_.size()) syntax(block ? "unexpected end of template, expected '%}'" : "unexpected end of template, expected '}}'");
      if (balance.empty() && tag_end(block)) return;
      lex_token(balance);
    }
  }

  void lex_token(std::string& balance) {
    const char c = s_[pos_];
    if (is_digit(c)) return lex_number();
    if (is_name_start(c)) {
      size_t j = pos_;
      while (j < s_.size() && is_name_char(s_[j])) ++j;
      out_.push_back(Token{Tok::name, s_.substr(pos_, j - pos_), 0, 0, line_});
      pos_ = j;
      return;
    }
    if (c == '\'' || c == '"') return lex_string(c);
    for (std::string_view op : kOps2) {
      if (s_.compare(pos_, 2, op) == 0) {
        out_.push_back(Token{Tok::op, std::string(op), 0, 0, line_});
        pos_ += 2;
        return;
      }
    }
    if (kOps1.find(c) == std::string_view::npos) syntax(fmt::format("unexpected char '{}'", std::string(1, c)));
    if (c == '(' || c == '[' || c == '{') balance.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    if (c == ')' || c == ']' || c == '}') {
      if (balance.empty()) syntax(fmt::format("unexpected '{}'", c));
      if (balance.back() != c) syntax(fmt::format("unexpected '{}', expected '{}'", c, balance.back()));
      balance.pop_back();
    }
    out_.push_back(Token{Tok::op, std::string(1, c), 0, 0, line_});
    ++pos_;
  }

  // Digits with single underscores between them, starting at i; returns the end.
  size_t digits(size_t i, std::string& acc) const {
    while (i < s_.size()) {
      if (is_digit(s_[i])) {
        acc.push_back(s_[i++]);
      } else if (s_[i] == '_' && i + 1 < s_.size() && is_digit(s_[i + 1]) && !acc.empty()) {
        ++i;
      } else {
        break;
      }
    }
    return i;
  }

  void lex_number() {
    const bool after_dot = pos_ > 0 && s_[pos_ - 1] == '.';
    std::string acc;
    size_t i = digits(pos_, acc);
    bool is_float = false;
    if (!after_dot) {
      size_t j = i;
      std::string f = acc;
      if (j + 1 < s_.size() && s_[j] == '.' && is_digit(s_[j + 1])) {
        f.push_back('.');
        j = digits(j + 1, f);
        is_float = true;
      }
      if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
        size_t k = j + 1;
        std::string e = "e";
        if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) e.push_back(s_[k++]);
        if (k < s_.size() && is_digit(s_[k])) {
          f += e;
          j = digits(k, f);
          is_float = true;
        }
      }
      if (is_float) {
        out_.push_back(Token{Tok::floating, f, 0, std::strtod(f.c_str(), nullptr), line_});
        pos_ = j;
        return;
      }
    }
    if (s_[pos_] == '0') {
      const char x = pos_ + 1 < s_.size() ? s_[pos_ + 1] : 0;
      if (x == 'x' || x == 'X' || x == 'o' || x == 'O' || x == 'b' || x == 'B') {
        const int base = (x == 'x' || x == 'X') ? 16 : (x == 'o' || x == 'O') ? 8 : 2;
        size_t k = pos_ + 2;
        std::string d;
        while (k < s_.size() && (is_hex(s_[k]) || s_[k] == '_')) {
          if (s_[k] != '_') d.push_back(s_[k]);
          ++k;
        }
        out_.push_back(Token{Tok::integer, s_.substr(pos_, k - pos_), std::strtoll(d.c_str(), nullptr, base), 0, line_});
        pos_ = k;
        return;
      }
    }
    errno = 0;
    const long long v = std::strtoll(acc.c_str(), nullptr, 10);
    if (errno == ERANGE) syntax("integer literal " + acc + " does not fit 64 bits");
    out_.push_back(Token{Tok::integer, acc, v, 0, line_});
    pos_ = i;
  }

  void lex_string(char quote) {
    std::string raw;
    size_t i = pos_ + 1;
    while (true) {
      if (i >= s_.size()) syntax("unexpected end of string literal");
      const char c = s_[i];
      if (c == '\\' && i + 1 < s_.size()) {
        raw.push_back(c);
        raw.push_back(s_[i + 1]);
        i += 2;
        continue;
      }
      if (c == quote) break;
      raw.push_back(c);
      ++i;
    }
    out_.push_back(Token{Tok::string, unescape(raw), 0, 0, line_});
    line_ += count_newlines(raw);
    pos_ = i + 1;
  }

  // Python's "unicode-escape" decoding of a literal's content (non-ASCII text passes through).
  std::string unescape(const std::string& raw) const {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\\' || i + 1 >= raw.size()) {
        out.push_back(raw[i]);
        continue;
      }
      const char e = raw[++i];
      switch (e) {
        case '\n': break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + n >= raw.size()) syntax("truncated \\" + std::string(1, e) + " escape");
          const std::string hex = raw.substr(i + 1, n);
          for (char h : hex)
            if (!is_hex(h)) syntax("truncated \\" + std::string(1, e) + " escape");
          const auto cp = static_cast<char32_t>(std::strtoul(hex.c_str(), nullptr, 16));
          if (cp > 0x10FFFF) syntax("illegal Unicode character in string literal");
          out += py::encode(std::u32string(1, cp));
          i += n;
          break;
        }
        case 'N': syntax("\\N{...} escapes in string literals are not supported");
        default:
          if (e >= '0' && e <= '7') {
            unsigned v = 0;
            size_t k = i;
            for (; k < raw.size() && k < i + 3 && raw[k] >= '0' && raw[k] <= '7'; ++k) v = v * 8 + (raw[k] - '0');
            out += py::encode(std::u32string(1, static_cast<char32_t>(v)));
            i = k - 1;
          } else {
            out.push_back('\\');
            out.push_back(e);
          }
      }
    }
    return out;
  }

  std::string s_;
  Options o_;
  std::string what_;
  size_t pos_ = 0;
  int line_ = 1;
  int stripped_newlines_ = 0;
  bool line_starting_ = true;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const Options& options, const std::string& what) {
  return Lexer(source, options, what).run();
}

}  // namespace ys::jinja::detail
