#include "suites/metrics/tokenizer_13a.h"

#include "suites/metrics/pystr.h"

namespace ys::metrics {
namespace {

// Python str.replace(from, to): all non-overlapping occurrences, left to right.
std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_period_comma(unsigned char c) { return c == '.' || c == ','; }

// [\{-\~\[-\` -\&\(-\+\:-\@\/]
bool is_13a_punct(unsigned char c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') || (c >= '(' && c <= '+') ||
         (c >= ':' && c <= '@') || c == '/';
}

// re.sub(r'(A)', r' \1 ', s) for a one-character class A.
std::string pad_single(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    if (is_13a_punct(c)) {
      out.push_back(' ');
      out.push_back(static_cast<char>(c));
      out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// re.sub(r'(A)(B)', repl, s) for one-character classes A and B; `emit` writes the
// replacement for a match (a, b). Matches are found left to right and do not overlap.
template <typename PredA, typename PredB, typename Emit>
std::string sub_pair(std::string_view s, PredA a, PredB b, Emit emit) {
  std::string out;
  out.reserve(s.size() * 2);
  size_t i = 0;
  while (i < s.size()) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    if (i + 1 < s.size() && a(c0) && b(static_cast<unsigned char>(s[i + 1]))) {
      emit(out, s[i], s[i + 1]);
      i += 2;
    } else {
      out.push_back(s[i]);
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string tokenize_13a(std::string_view input) {
  std::string line = replace_all(input, "<skipped>", "");
  line = replace_all(line, "-\n", "");
  line = replace_all(line, "\n", " ");
  if (line.find('&') != std::string::npos) {
    line = replace_all(line, "&quot;", "\"");
    line = replace_all(line, "&amp;", "&");
    line = replace_all(line, "&lt;", "<");
    line = replace_all(line, "&gt;", ">");
  }
  line = pad_single(" " + line + " ");
  const auto not_digit = [](unsigned char c) { return !is_digit(c); };
  line = sub_pair(line, not_digit, is_period_comma, [](std::string& o, char x, char y) {
    o.push_back(x);
    o.push_back(' ');
    o.push_back(y);
    o.push_back(' ');
  });
  line = sub_pair(line, is_period_comma, not_digit, [](std::string& o, char x, char y) {
    o.push_back(' ');
    o.push_back(x);
    o.push_back(' ');
    o.push_back(y);
  });
  line = sub_pair(line, is_digit, [](unsigned char c) { return c == '-'; }, [](std::string& o, char x, char y) {
    o.push_back(x);
    o.push_back(' ');
    o.push_back(y);
    o.push_back(' ');
  });
  return py_join_split(line, " ");
}

}  // namespace ys::metrics
