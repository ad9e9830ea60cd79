// Text -> id lookup over a Vocab's token strings (the views point into Vocab::tokens,
// which must outlive the index and not be modified).
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <string>

namespace ys::tok {

class TokenIndex {
 public:
  explicit TokenIndex(const std::vector<std::string>& tokens) {
    map_.reserve(tokens.size() * 2);
    for (size_t i = 0; i < tokens.size(); ++i) map_.emplace(tokens[i], static_cast<int32_t>(i));  // first id wins
  }
  int32_t find(std::string_view text) const {   // -1 if absent
    const auto it = map_.find(text);
    return it == map_.end() ? -1 : it->second;
  }

 private:
  std::unordered_map<std::string_view, int32_t> map_;
};

}  // namespace ys::tok
