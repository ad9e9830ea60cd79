#include "engine/tokenizer/pre_split.h"

#include "common/error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>

namespace ys::tok {

namespace {

// The patterns are the ones llama.cpp uses per pre-tokenizer type (llama-vocab.cpp);
// the HF tokenizer.json of each family has the same split rule.
constexpr const char* kGpt2 =
    R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re";
constexpr const char* kLlama3 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kQwen2 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

// GPT-4o / Llama 4 (llama.cpp's LLAMA_VOCAB_PRE_TYPE_GPT4O form of the tokenizer.json rule,
// with "a letter other than a-z" / "other than A-Z" where the original has upper/lower-case
// classes).
constexpr const char* kGpt4o =
    R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

bool one_of(const std::string& s, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

}  // namespace

bool pre_split_ignores_merges(const std::string& pre) {
  return one_of(pre, {"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"});
}

std::vector<std::string> pre_split_regexes(const std::string& pre) {
  if (one_of(pre, {"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "chatglm-bpe"})) return {kLlama3};
  if (one_of(pre, {"qwen2", "stablelm2", "deepseek-r1-qwen", "hunyuan"})) return {kQwen2};
  if (one_of(pre, {"smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"})) {
    return {R"re(\p{N})re", kGpt2};
  }
  if (one_of(pre, {"gpt2", "gpt-2", "mpt", "olmo", "jais", "trillion"})) return {kGpt2};
  if (one_of(pre, {"llama4", "gpt-4o"})) return {kGpt4o};
  if (one_of(pre, {"", "default"})) {
    return {R"re([\p{P}\$\+<=>\^~\|]+)re", kGpt2, R"re(\p{N}+)re", "[0-9][0-9][0-9]"};
  }
  fail(ErrorKind::unsupported,
       "tokenizer.ggml.pre = '{}' is not supported (expected one of: smollm, llama-bpe, qwen2, gpt2, "
       "default, starcoder, refact, command-r, stablelm2, mpt, olmo, llama4, gpt-4o)",
       pre);
}

struct PreSplitter::Impl {
  struct Code {
    pcre2_code* code = nullptr;
    ~Code() { pcre2_code_free(code); }
    Code() = default;
    Code(const Code&) = delete;
    Code& operator=(const Code&) = delete;
  };
  std::vector<std::unique_ptr<Code>> codes;
};

PreSplitter::PreSplitter(const std::vector<std::string>& regexes) : impl_(std::make_unique<Impl>()) {
  for (const auto& rx : regexes) {
    int err = 0;
    PCRE2_SIZE err_off = 0;
    auto c = std::make_unique<Impl::Code>();
    c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(rx.data()), rx.size(), PCRE2_UTF | PCRE2_UCP, &err,
                            &err_off, nullptr);
    if (c->code == nullptr) {
      std::array<PCRE2_UCHAR, 256> msg{};
      pcre2_get_error_message(err, msg.data(), msg.size());
      fail(ErrorKind::internal, "pre-tokenizer regex '{}' does not compile at offset {}: {}", rx, err_off,
           reinterpret_cast<const char*>(msg.data()));
    }
    pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);   // optional: falls back to the interpreter
    impl_->codes.push_back(std::move(c));
  }
}

PreSplitter::PreSplitter(PreSplitter&&) noexcept = default;
PreSplitter& PreSplitter::operator=(PreSplitter&&) noexcept = default;
PreSplitter::~PreSplitter() = default;

namespace {

struct MatchData {
  pcre2_match_data* md;
  explicit MatchData(const pcre2_code* c) : md(pcre2_match_data_create_from_pattern(c, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(md); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
};

// Splits one piece by one regex: matches and the gaps between them, in order.
void split_piece(const pcre2_code* code, pcre2_match_data* md, std::string_view piece,
                 std::vector<std::string_view>& out) {
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
  size_t pos = 0;
  size_t last = 0;
  while (pos < piece.size()) {
    const int rc = pcre2_match(code, subject, piece.size(), pos, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) fail(ErrorKind::internal, "pre-tokenizer regex match failed with PCRE2 error {}", rc);
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t b = ov[0];
    size_t e = ov[1];
    if (e <= b) {   // empty match: step over one character and keep going
      e = b;
      pos = b + 1;
      while (pos < piece.size() && (static_cast<unsigned char>(piece[pos]) & 0xC0) == 0x80) ++pos;
      continue;
    }
    if (b > last) out.push_back(piece.substr(last, b - last));
    out.push_back(piece.substr(b, e - b));
    last = pos = e;
  }
  if (last < piece.size()) out.push_back(piece.substr(last));
}

}  // namespace

void PreSplitter::split(std::string_view text, std::vector<std::string_view>& out) const {
  out.clear();
  if (text.empty()) return;
  out.push_back(text);
  std::vector<std::string_view> next;
  for (const auto& c : impl_->codes) {
    MatchData md(c->code);
    next.clear();
    next.reserve(out.size() * 2);
    for (auto piece : out) split_piece(c->code, md.md, piece, next);
    out.swap(next);
  }
}

}  // namespace ys::tok
