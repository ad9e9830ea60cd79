#include "reports/escape.h"

#include "reports/run_data.h"

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace ys::reports {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t utf8_len(const std::string& s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s, i, n);
      i += n;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') out += ' ';
        else out += c;
    }
    ++i;
  }
  return out;
}

std::string md_cell(const std::string& s, size_t max) {
  std::string out;
  // Quotes need no entity outside HTML attributes; only & < > could start markup.
  std::string text = html_escape(one_line(s, max));
  for (const auto& [entity, ch] : {std::pair<std::string_view, std::string_view>{"&quot;", "\""}, {"&#39;", "'"}})
    for (size_t at = text.find(entity); at != std::string::npos; at = text.find(entity, at + ch.size()))
      text.replace(at, entity.size(), ch);
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '`') out += "\\`";
    else if (c == '*' || c == '_' || c == '[' || c == ']') out += std::string("\\") + c;
    else out += c;
  }
  return out;
}

std::string num(std::optional<double> v, int digits) {
  if (!v) return "-";
  return fmt::format("{:.{}f}", *v, digits);
}

std::string signed_num(std::optional<double> v, int digits) {
  if (!v) return "-";
  return fmt::format("{:+.{}f}", *v, digits);
}

std::string p_value(std::optional<double> p) {
  if (!p) return "-";
  if (*p < 1e-4) return "<1e-4";
  return fmt::format("{:.4f}", *p);
}

}  // namespace ys::reports
