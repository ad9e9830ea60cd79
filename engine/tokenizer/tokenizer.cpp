#include "engine/tokenizer/tokenizer.h"

#include "common/error.h"
#include "engine/tokenizer/bpe.h"
#include "engine/tokenizer/pre_split.h"
#include "engine/tokenizer/special.h"
#include "engine/tokenizer/spm.h"
#include "engine/tokenizer/token_index.h"
#include "engine/tokenizer/utf8.h"

#include <algorithm>
#include <optional>

namespace ys::tok {

namespace {

constexpr std::string_view kSpm = "\xE2\x96\x81";   // U+2581, SentencePiece's space

void check_vocab(const Vocab& v) {
  if (v.model != "gpt2" && v.model != "llama") {
    fail(ErrorKind::unsupported, "tokenizer model '{}' is not supported (expected 'gpt2' or 'llama')", v.model);
  }
  const size_t n = v.tokens.size();
  if (n == 0 || n > (1u << 30)) fail(ErrorKind::format, "tokenizer vocabulary has {} tokens (expected 1..2^30)", n);
  if (!v.types.empty() && v.types.size() != n) {
    fail(ErrorKind::format, "tokenizer has {} token types for {} tokens", v.types.size(), n);
  }
  if (!v.scores.empty() && v.scores.size() != n) {
    fail(ErrorKind::format, "tokenizer has {} scores for {} tokens", v.scores.size(), n);
  }
  const std::pair<const char*, int32_t> ids[] = {{"bos", v.bos}, {"eos", v.eos}, {"unk", v.unk}, {"pad", v.pad},
                                                 {"eot", v.eot}};
  for (const auto& [name, id] : ids) {
    if (id < -1 || id >= static_cast<int64_t>(n)) {
      fail(ErrorKind::format, "tokenizer {} token id {} is outside the vocabulary of {} tokens", name, id, n);
    }
  }
}

bool is_special_type(int32_t t) { return t == kTokenControl || t == kTokenUserDefined || t == kTokenUnknown; }

std::string spm_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i, kSpm.size()) == kSpm) {
      out.push_back(' ');
      i += kSpm.size();
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

// "<0xAB>" -> 0xAB, -1 if not of that form.
int parse_byte_token(std::string_view s) {
  if (s.size() != 6 || s.substr(0, 3) != "<0x" || s[5] != '>') return -1;
  int v = 0;
  for (char c : s.substr(3, 2)) {
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else return -1;
  }
  return v;
}

}  // namespace

struct Tokenizer::Impl {
  Vocab vocab;
  TokenIndex index;
  SpecialMatcher specials;
  std::optional<PreSplitter> splitter;
  std::optional<BpeMerger> bpe;
  std::optional<SpmEncoder> spm;
  std::vector<std::string> pieces;
  std::vector<uint8_t> eog;
  bool parse_special = true;

  explicit Impl(Vocab v)
      : vocab((check_vocab(v), std::move(v))), index(vocab.tokens), specials(vocab.tokens, vocab.types) {
    if (vocab.model == "gpt2") {
      splitter.emplace(pre_split_regexes(vocab.pre));
      bpe.emplace(vocab.tokens, vocab.merges, index, pre_split_ignores_merges(vocab.pre));
    } else {
      if (vocab.scores.empty()) vocab.scores.assign(vocab.tokens.size(), 0.0f);
      spm.emplace(vocab.tokens, vocab.scores, index, vocab.unk);
    }
    build_pieces();
    build_eog();
  }

  int32_t type(int32_t id) const { return vocab.types.empty() ? int32_t{kTokenNormal} : vocab.types[id]; }

  void build_pieces() {
    pieces.resize(vocab.tokens.size());
    for (size_t i = 0; i < vocab.tokens.size(); ++i) {
      const std::string& t = vocab.tokens[i];
      const int32_t ty = type(static_cast<int32_t>(i));
      if (is_special_type(ty)) {
        pieces[i] = t;
      } else if (vocab.model == "gpt2") {
        pieces[i] = unicode_to_bytes(t);
      } else if (ty == kTokenByte && parse_byte_token(t) >= 0) {
        pieces[i] = std::string(1, static_cast<char>(parse_byte_token(t)));
      } else {
        pieces[i] = spm_unescape(t);
      }
    }
  }

  void build_eog() {
    eog.assign(vocab.tokens.size(), 0);
    // <|eot|>, <|eom|>: Llama 4's end of turn / of message (its generation_config's eos ids).
    static const char* const kNames[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                         "<|end_of_text|>", "<EOT>", "<|eom_id|>", "<|return|>", "<|eot|>", "<|eom|>"};
    for (int32_t id : specials.ids()) {
      if (type(id) != kTokenControl) continue;
      for (const char* name : kNames) {
        if (vocab.tokens[id] == name) eog[id] = 1;
      }
    }
    if (vocab.eos >= 0) eog[vocab.eos] = 1;
    if (vocab.eot >= 0) eog[vocab.eot] = 1;
  }

  void encode_bpe(std::string_view text, std::vector<int32_t>& out) const {
    thread_local std::string clean;
    thread_local std::vector<std::string_view> words;
    if (utf8_sanitize(text, clean)) text = clean;   // invalid bytes -> U+FFFD, as llama.cpp does
    splitter->split(text, words);
    for (auto w : words) bpe->encode_word(w, out);
  }

  void encode_spm(std::string_view text, bool space_prefix, std::vector<int32_t>& out) const {
    thread_local std::string esc;
    esc.clear();
    if (space_prefix) esc.append(kSpm);
    for (char c : text) {
      if (c == ' ') esc.append(kSpm);
      else esc.push_back(c);
    }
    spm->encode(esc, out);
  }
};

Tokenizer::Tokenizer(Vocab v) : impl_(std::make_unique<Impl>(std::move(v))) {}
Tokenizer::Tokenizer(const Tokenizer& o) : impl_(std::make_unique<Impl>(o.impl_->vocab)) {
  impl_->parse_special = o.impl_->parse_special;
}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(const Tokenizer& o) {
  if (this != &o) {
    impl_ = std::make_unique<Impl>(o.impl_->vocab);
    impl_->parse_special = o.impl_->parse_special;
  }
  return *this;
}
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, std::optional<bool> parse_special_opt) const {
  const Impl& m = *impl_;
  const bool parse_special = parse_special_opt.value_or(m.parse_special);
  const Vocab& v = m.vocab;
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special && v.add_bos && v.bos >= 0) out.push_back(v.bos);
  thread_local std::vector<Fragment> frags;
  m.specials.partition(text, parse_special, frags);
  bool prev_special = true;   // SentencePiece: a space prefix at the start and after a special token
  for (const auto& f : frags) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
    } else if (m.bpe) {
      m.encode_bpe(f.text, out);
    } else {
      m.encode_spm(f.text, v.add_space_prefix && prev_special, out);
      prev_special = false;
    }
  }
  if (add_special && v.add_eos && v.eos >= 0) out.push_back(v.eos);
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  const Impl& m = *impl_;
  const bool strip = m.spm.has_value() && m.vocab.add_space_prefix;
  std::string out;
  bool prev_special = true;
  for (int32_t id : ids) {
    if (id < 0 || id >= n_vocab()) {
      fail(ErrorKind::invalid_input, "decode: token id {} is outside the vocabulary of {} tokens", id, n_vocab());
    }
    const std::string& p = m.pieces[static_cast<size_t>(id)];
    if (is_special_type(m.type(id))) {
      out += p;
      prev_special = true;
      continue;
    }
    if (strip && prev_special && !p.empty() && p[0] == ' ') {
      out.append(p, 1);
    } else {
      out += p;
    }
    prev_special = false;
  }
  return out;
}

std::string Tokenizer::piece(int32_t id) const {
  if (id < 0 || id >= n_vocab()) fail(ErrorKind::invalid_input, "token id {} is outside the vocabulary of {} tokens", id, n_vocab());
  return impl_->pieces[id];
}

const std::string& Tokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= n_vocab()) fail(ErrorKind::invalid_input, "token id {} is outside the vocabulary of {} tokens", id, n_vocab());
  return impl_->vocab.tokens[id];
}

int32_t Tokenizer::n_vocab() const { return static_cast<int32_t>(impl_->vocab.tokens.size()); }
int32_t Tokenizer::bos() const { return impl_->vocab.bos; }
int32_t Tokenizer::eos() const { return impl_->vocab.eos; }
bool Tokenizer::add_bos() const { return impl_->vocab.add_bos; }
bool Tokenizer::is_eog(int32_t id) const { return id >= 0 && id < n_vocab() && impl_->eog[id] != 0; }
const Vocab& Tokenizer::vocab() const { return impl_->vocab; }
void Tokenizer::set_parse_special(bool on) { impl_->parse_special = on; }
bool Tokenizer::parse_special() const { return impl_->parse_special; }

std::vector<int32_t> encode_prompt(const Tokenizer& tok, std::string_view text, const std::string& bos_policy) {
  if (bos_policy != "auto" && bos_policy != "on" && bos_policy != "off")
    fail(ErrorKind::invalid_input, "--bos: expected auto, on or off, got '{}'", bos_policy);
  const int32_t bos = tok.bos();
  bool add = bos >= 0 && (bos_policy == "on" || (bos_policy == "auto" && tok.add_bos()));
  if (add && text.substr(0, tok.token_text(bos).size()) == tok.token_text(bos)) add = false;
  std::vector<int32_t> ids = tok.encode(text, false);
  if (add) ids.insert(ids.begin(), bos);
  if (bos_policy == "auto" && tok.vocab().add_eos && tok.eos() >= 0) ids.push_back(tok.eos());
  return ids;
}

}  // namespace ys::tok
