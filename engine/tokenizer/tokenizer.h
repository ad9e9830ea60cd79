// Tokenizers built from GGUF metadata: byte-level BPE (tokenizer.ggml.model = "gpt2")
// and SentencePiece-style (tokenizer.ggml.model = "llama"); chat templates in chat_template.h.
//
// A Tokenizer is a pure value built from a Vocab; vocab_from_gguf() is the only
// function that reads GGUF. Encoding matches llama.cpp's tokenizer for the supported
// pre-tokenizer types (tests/fixtures/tokenizer/ holds the golden ids).
#pragma once

#include "engine/tokenizer/chat_template.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ys::gguf {
class File;
}

namespace ys::tok {

// Token types as stored in tokenizer.ggml.token_type.
enum TokenType : int32_t {
  kTokenUndefined = 0,
  kTokenNormal = 1,
  kTokenUnknown = 2,
  kTokenControl = 3,
  kTokenUserDefined = 4,
  kTokenUnused = 5,
  kTokenByte = 6,
};

struct Vocab {
  std::vector<std::string> tokens;   // tokenizer.ggml.tokens
  std::vector<float> scores;         // tokenizer.ggml.scores (may be empty for gpt2)
  std::vector<int32_t> types;        // tokenizer.ggml.token_type (empty = all normal)
  std::vector<std::string> merges;   // tokenizer.ggml.merges ("left right"), gpt2 only
  std::string model;                 // "gpt2" | "llama"
  std::string pre;                   // tokenizer.ggml.pre, e.g. "smollm", "llama-bpe", "qwen2"
  int32_t bos = -1, eos = -1, unk = -1, pad = -1, eot = -1;
  bool add_bos = false, add_eos = false;
  bool add_space_prefix = true;      // SentencePiece: prepend U+2581 to the text
  std::string chat_template;         // tokenizer.chat_template (Jinja source, may be empty)
};

// Reads the tokenizer.* metadata of a GGUF file. Throws ys::Error(format|unsupported)
// naming the file and key.
Vocab vocab_from_gguf(const gguf::File& f);

class Tokenizer {
 public:
  explicit Tokenizer(Vocab v);   // pure value; no I/O. Throws ys::Error on an inconsistent vocab.
  Tokenizer(const Tokenizer&);
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(const Tokenizer&);
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // add_special: prepend BOS / append EOS as the metadata says (add_bos/add_eos).
  // parse_special: control/user-defined tokens written in the text map to their ids; when
  // not given, the tokenizer's setting (set_parse_special, default true). Without it only
  // user-defined tokens are matched (llama.cpp's rule).
  // Invalid UTF-8 (byte-level BPE) becomes U+FFFD per bad byte, as in llama.cpp.
  // Thread-safe (const; a bounded internal word cache is shared under a lock).
  std::vector<int32_t> encode(std::string_view text, bool add_special,
                              std::optional<bool> parse_special = std::nullopt) const;
  // The parse_special default of encode() (LoadOptions::parse_special, --parse-special).
  void set_parse_special(bool on);
  bool parse_special() const;
  // Concatenated pieces; the inverse of encode (control tokens render as their text).
  // SentencePiece with add_space_prefix: the one leading space that encode adds at the
  // start and after each special token is removed again.
  std::string decode(const std::vector<int32_t>& ids) const;
  // The bytes this token decodes to (may be part of a UTF-8 character); control tokens
  // give their text; no leading-space removal. Throws ys::Error(invalid_input) on a bad id.
  std::string piece(int32_t id) const;
  const std::string& token_text(int32_t id) const;      // raw vocab string (throws on a bad id)
  int32_t n_vocab() const;
  int32_t bos() const;
  int32_t eos() const;
  bool add_bos() const;
  bool is_eog(int32_t id) const;   // eos, eot, <|im_end|>, <|eot_id|>, <|end_of_text|>, ...
  const Vocab& vocab() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The tokens a model is fed for a prompt, as lm-eval's Hugging Face backend encodes it
// (HFLM.tok_encode): a BOS per `bos_policy` ("auto": the vocabulary's add_bos, "on",
// "off"), but never a second one: none is added when the text already starts with the BOS
// token's text (a chat template that writes {{ bos_token }} itself). Special-token text per
// the tokenizer's parse_special setting.
std::vector<int32_t> encode_prompt(const Tokenizer& tok, std::string_view text, const std::string& bos_policy);

// Renders messages with the vocabulary's own chat template (tokenizer.chat_template) as
// transformers' apply_chat_template(tokenize=False) does (chat_template.h). Throws
// ys::Error(unsupported) when the model has no template or the template uses a construct
// the renderer does not implement, jinja::TemplateError when the template raises.
std::string apply_chat_template(const Vocab& v, const std::vector<ChatMessage>& msgs, bool add_generation_prompt);

}  // namespace ys::tok
