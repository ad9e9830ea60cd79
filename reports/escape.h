// Escaping for text that comes from the result store (untrusted: model outputs, targets,
// file names) before it goes into HTML/XML, Markdown tables or JSON.
#pragma once

#include <optional>
#include <string>

namespace ys::reports {

// & < > " ' -> entities; invalid UTF-8 bytes and control characters (except \n, \t) -> U+FFFD / space.
std::string html_escape(const std::string& s);
// Markdown table cell: one line, | escaped, & < > as entities (quotes kept), backticks escaped.
std::string md_cell(const std::string& s, size_t max = 80);
// Number formatting shared by the renderers ("-" for nullopt).
std::string num(std::optional<double> v, int digits = 2);
std::string signed_num(std::optional<double> v, int digits = 2);
std::string p_value(std::optional<double> p);

}  // namespace ys::reports
