// Special-token partitioning: before any splitting, occurrences of control,
// user-defined and unknown-type tokens in the text become their ids (llama.cpp's
// tokenizer_st_partition). Tokens are tried longest first; each one is searched in the
// plain-text fragments left by the longer ones. Without parse_special only the
// user-defined tokens are matched.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ys::tok {

struct Fragment {
  std::string_view text;   // plain text when token < 0
  int32_t token = -1;      // a special token's id
};

class SpecialMatcher {
 public:
  SpecialMatcher(const std::vector<std::string>& tokens, const std::vector<int32_t>& types);
  void partition(std::string_view text, bool parse_special, std::vector<Fragment>& out) const;
  const std::vector<int32_t>& ids() const { return ids_; }   // longest first

 private:
  const std::vector<std::string>& tokens_;
  std::vector<int32_t> ids_;
  std::vector<bool> user_defined_;   // parallel to ids_
};

}  // namespace ys::tok
