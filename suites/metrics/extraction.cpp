// Python `re`-compatible findall/sub over PCRE2 (see extraction.h).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "suites/metrics/extraction.h"

#include "common/error.h"

#include <pcre2.h>

namespace ys::metrics {

struct PyRegex::Impl {
  pcre2_code* code = nullptr;
  ~Impl() {
    if (code) pcre2_code_free(code);
  }
};

PyRegex::PyRegex(std::string pattern) : pattern_(std::move(pattern)), impl_(std::make_unique<Impl>()) {
  pcre2_compile_context* cctx = pcre2_compile_context_create(nullptr);
  if (!cctx) fail(ErrorKind::internal, "pcre2_compile_context_create failed");
  pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  int err = 0;
  PCRE2_SIZE err_off = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(), 0, &err, &err_off, cctx);
  pcre2_compile_context_free(cctx);
  if (!impl_->code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof(buf));
    fail(ErrorKind::invalid_input, "bad regular expression '{}' at offset {}: {}", pattern_, err_off,
         reinterpret_cast<const char*>(buf));
  }
  uint32_t count = 0;
  pcre2_pattern_info(impl_->code, PCRE2_INFO_CAPTURECOUNT, &count);
  groups_ = static_cast<int>(count);
}

PyRegex::~PyRegex() = default;
PyRegex::PyRegex(PyRegex&&) noexcept = default;
PyRegex& PyRegex::operator=(PyRegex&&) noexcept = default;

namespace {

struct Match {
  size_t begin = 0, end = 0;
  std::vector<std::string> groups;  // group 1..n, or the whole match when n == 0
};

// Calls fn(Match) for each match in Python finditer order.
template <typename Fn>
void for_each_match(pcre2_code* code, int groups, std::string_view text, Fn&& fn) {
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> holder(
      pcre2_match_data_create_from_pattern(code, nullptr), &pcre2_match_data_free);
  pcre2_match_data* md = holder.get();
  if (!md) fail(ErrorKind::internal, "pcre2_match_data_create failed");
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  bool last_empty = false;
  while (pos <= text.size()) {
    uint32_t opts = last_empty ? PCRE2_NOTEMPTY_ATSTART : 0;
    int rc = pcre2_match(code, subject, text.size(), pos, opts, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) fail(ErrorKind::internal, "pcre2_match failed with code {}", rc);
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    Match m;
    m.begin = ov[0];
    m.end = ov[1];
    if (groups == 0) {
      m.groups.emplace_back(text.substr(m.begin, m.end - m.begin));
    } else {
      for (int g = 1; g <= groups; ++g) {
        bool set = g < rc && ov[2 * g] != PCRE2_UNSET;
        m.groups.emplace_back(set ? text.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]) : std::string_view());
      }
    }
    last_empty = (m.begin == m.end);
    pos = m.end;
    fn(m);
  }
}

}  // namespace

std::vector<std::vector<std::string>> PyRegex::findall(std::string_view text) const {
  std::vector<std::vector<std::string>> out;
  for_each_match(impl_->code, groups_, text, [&](Match& m) { out.push_back(std::move(m.groups)); });
  return out;
}

std::string PyRegex::sub(std::string_view replacement, std::string_view text) const {
  std::string out;
  size_t copied = 0;
  for_each_match(impl_->code, groups_, text, [&](const Match& m) {
    out.append(text.substr(copied, m.begin - copied));
    out.append(replacement);
    copied = m.end;
  });
  out.append(text.substr(copied));
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string regex_filter(const PyRegex& re, std::string_view response, int group_select, std::string_view fallback) {
  auto matches = re.findall(response);
  if (matches.empty()) return std::string(fallback);
  const auto n = static_cast<long>(matches.size());
  long idx = group_select < 0 ? n + group_select : group_select;
  if (idx < 0 || idx >= n) return std::string(fallback);  // Python would raise IndexError
  const auto& m = matches[static_cast<size_t>(idx)];
  if (re.group_count() <= 1) return std::string(py_strip(m[0]));
  for (const std::string& g : m)
    if (!g.empty()) return std::string(py_strip(g));
  return std::string(fallback);
}

std::string normalize_for_exact_match(std::string_view s, const std::vector<const PyRegex*>& regexes_to_ignore,
                                      bool ignore_case) {
  std::string out(s);
  for (const PyRegex* re : regexes_to_ignore) out = re->sub("", out);
  return ignore_case ? ascii_lower(out) : out;
}

}  // namespace ys::metrics
