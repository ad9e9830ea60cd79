// Pre-tokenization for byte-level BPE: the text is cut into words by a sequence of
// Unicode-aware regexes chosen by tokenizer.ggml.pre (as llama.cpp does). Each regex
// re-splits every piece produced by the previous one; the text between two matches is
// kept as a piece of its own, so no byte is ever dropped. PCRE2 (UTF + UCP, JIT where
// available) is the matcher; lookaheads never see past the end of the piece.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ys::tok {

// The regex list for a pre-tokenizer name ("smollm", "llama-bpe", "qwen2", "gpt2",
// "default", ...). Throws ys::Error(unsupported) for an unknown name.
std::vector<std::string> pre_split_regexes(const std::string& pre);

// True where llama.cpp looks a whole word up in the vocabulary before merging (Llama 3).
bool pre_split_ignores_merges(const std::string& pre);

class PreSplitter {
 public:
  explicit PreSplitter(const std::vector<std::string>& regexes);   // throws ys::Error on a bad regex
  PreSplitter(PreSplitter&&) noexcept;
  PreSplitter& operator=(PreSplitter&&) noexcept;
  ~PreSplitter();

  // Splits valid UTF-8 `text` into consecutive non-empty pieces (views into `text`)
  // whose concatenation is `text`. Appends to `out` (cleared first).
  void split(std::string_view text, std::vector<std::string_view>& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ys::tok
