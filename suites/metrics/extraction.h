// Python `re` semantics over PCRE2, for answer extraction (lm-eval RegexFilter) and the
// exact_match normalisation (`regexes_to_ignore`), PROTOCOLS.md §3.
//
// Matching is byte-wise (no UTF mode): patterns must use ASCII-only syntax, which is the
// case for every lm-eval pattern we reproduce ([0-9], \$, "#### ", (?s).*). `.` excludes
// only "\n" and `$` matches at the end or before a final "\n", as in Python.
// Iteration follows Python >= 3.7: an empty match may not start where the previous empty
// match ended, but may follow a non-empty match.
#pragma once

#include "suites/metrics/pystr.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ys::metrics {

class PyRegex {
 public:
  // Compiles a Python-style pattern. Throws ys::Error(invalid_input) naming the pattern
  // and the offset of the syntax error.
  explicit PyRegex(std::string pattern);
  ~PyRegex();
  PyRegex(PyRegex&&) noexcept;
  PyRegex& operator=(PyRegex&&) noexcept;
  PyRegex(const PyRegex&) = delete;
  PyRegex& operator=(const PyRegex&) = delete;

  const std::string& pattern() const { return pattern_; }
  int group_count() const { return groups_; }

  // re.findall: one entry per match; each entry holds the whole match when the pattern
  // has no groups, else every group (an unmatched group is "").
  std::vector<std::vector<std::string>> findall(std::string_view text) const;
  // re.sub(pattern, replacement, text) with a LITERAL replacement (no backreferences).
  std::string sub(std::string_view replacement, std::string_view text) const;

 private:
  struct Impl;
  std::string pattern_;
  int groups_ = 0;
  std::unique_ptr<Impl> impl_;
};

// (str.strip() is py_strip in suites/metrics/pystr.h.)
// ASCII lower-casing (numpy.char.lower on the ASCII strings we compare).
std::string ascii_lower(std::string_view s);

// lm-eval RegexFilter.apply for one response: findall, pick match[group_select]
// (negative indexes from the end), first non-empty group of a tuple, strip();
// "[invalid]" (the fallback) when nothing matched or every group was empty.
std::string regex_filter(const PyRegex& re, std::string_view response, int group_select,
                         std::string_view fallback = "[invalid]");

// exact_match_hf_evaluate normalisation of one string: re.sub(p, "", s) for each pattern
// in order, then (optionally) lower-case.
std::string normalize_for_exact_match(std::string_view s, const std::vector<const PyRegex*>& regexes_to_ignore,
                                      bool ignore_case);

}  // namespace ys::metrics
