// Python str behaviour on UTF-8 bytes, as the Jinja renderer needs it: code points
// (indexing, slicing, len), str.isspace, strip/split, repr of str and float, json.dumps
// string quoting. Invalid UTF-8 bytes survive a decode/encode round trip unchanged
// (each one is carried as U+DC80+byte, Python's "surrogateescape").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ys::jinja::py {

std::u32string decode(std::string_view s);
std::string encode(std::u32string_view s);
size_t length(std::string_view s);  // code points

bool isspace(char32_t c);  // str.isspace
enum class Side { both, left, right };
// str.strip / lstrip / rstrip: whitespace, or any of `chars` when given.
std::string strip(std::string_view s, Side side, const std::optional<std::string>& chars = std::nullopt);
// str.split(sep=None, maxsplit=-1); sep == "" throws ys::Error.
std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit = -1);
// str.rsplit(sep=None, maxsplit=-1)
std::vector<std::string> rsplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit = -1);
std::string replace(std::string_view s, std::string_view old, std::string_view repl, int64_t count = -1);
std::string upper(std::string_view s);  // ASCII letters only (see docs/protocols.md)
std::string lower(std::string_view s);
std::string capitalize(std::string_view s);
std::string title(std::string_view s);

std::string float_repr(double v);         // repr(float)
std::string str_repr(std::string_view s);  // repr(str)
std::string json_quote(std::string_view s, bool ensure_ascii, bool html_safe);

}  // namespace ys::jinja::py
