#include "engine/tokenizer/special.h"

#include "engine/tokenizer/tokenizer.h"

#include <algorithm>

namespace ys::tok {

SpecialMatcher::SpecialMatcher(const std::vector<std::string>& tokens, const std::vector<int32_t>& types)
    : tokens_(tokens) {
  for (size_t i = 0; i < types.size() && i < tokens.size(); ++i) {
    const int32_t t = types[i];
    if ((t == kTokenControl || t == kTokenUserDefined || t == kTokenUnknown) && !tokens[i].empty()) {
      ids_.push_back(static_cast<int32_t>(i));
    }
  }
  std::stable_sort(ids_.begin(), ids_.end(),
                   [&](int32_t a, int32_t b) { return tokens[a].size() > tokens[b].size(); });
  for (int32_t id : ids_) user_defined_.push_back(types[id] == kTokenUserDefined);
}

void SpecialMatcher::partition(std::string_view text, bool parse_special, std::vector<Fragment>& out) const {
  out.clear();
  if (text.empty()) return;
  out.push_back({text, -1});
  std::vector<Fragment> next;
  for (size_t k = 0; k < ids_.size(); ++k) {
    if (!parse_special && !user_defined_[k]) continue;
    const std::string& tok = tokens_[ids_[k]];
    bool found = false;
    for (const auto& f : out) {
      if (f.token < 0 && f.text.find(tok) != std::string_view::npos) {
        found = true;
        break;
      }
    }
    if (!found) continue;
    next.clear();
    for (const auto& f : out) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      for (size_t pos = rest.find(tok); pos != std::string_view::npos; pos = rest.find(tok)) {
        if (pos > 0) next.push_back({rest.substr(0, pos), -1});
        next.push_back({std::string_view(tok), ids_[k]});
        rest.remove_prefix(pos + tok.size());
      }
      if (!rest.empty()) next.push_back({rest, -1});
    }
    out.swap(next);
  }
}

}  // namespace ys::tok
