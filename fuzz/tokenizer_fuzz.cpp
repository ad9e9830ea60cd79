// libFuzzer entry point for the tokenizer's input path: arbitrary bytes (a prompt, a dataset
// field, model output fed back) encoded and decoded by byte-level BPE with each supported
// pre-split rule, by SentencePiece-style BPE, and by the real SmolLM2 vocabulary when it is
// present (env YS_FUZZ_MODEL, default models/SmolLM2-135M-Instruct.Q4_1.gguf). The first
// byte picks the tokenizer and the add_special / parse_special flags.
// Checks beyond "no crash": every id is in range; byte-level BPE of valid UTF-8 without
// special-token parsing decodes back to the input exactly.
#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

#include <fmt/core.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Tok {
  std::unique_ptr<ys::tok::Tokenizer> tok;
  bool byte_level = false;
};
std::vector<Tok>* g_toks = nullptr;

// A byte-level BPE vocabulary: the 256 byte tokens, a few merges (each merged token in
// the vocabulary), and control tokens, written as GGUF metadata and read back through
// vocab_from_gguf, so the metadata path is fuzzed with it.
ys::tok::Vocab synth_bpe_vocab(const std::string& pre) {
  std::vector<ys::gguf::Value> tokens, types, merges;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(ys::gguf::Value::make_string(ys::tok::bytes_to_unicode(std::string(1, char(b)))));
    types.push_back(ys::gguf::Value::make_i32(ys::tok::kTokenNormal));
  }
  const char* pairs[][2] = {{"\xc4\xa0", "t"}, {"h", "e"}, {"\xc4\xa0t", "he"}, {"i", "n"}, {"\xc4\xa0", "a"},
                            {"e", "r"}, {"o", "n"}, {"\xc4\xa0", "in"}, {"1", "2"}, {"\xc4\x8a", "\xc4\x8a"}};
  for (const auto& p : pairs) {
    tokens.push_back(ys::gguf::Value::make_string(std::string(p[0]) + p[1]));
    types.push_back(ys::gguf::Value::make_i32(ys::tok::kTokenNormal));
    merges.push_back(ys::gguf::Value::make_string(std::string(p[0]) + " " + p[1]));
  }
  const int32_t first_special = int32_t(tokens.size());
  for (const char* s : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) {
    tokens.push_back(ys::gguf::Value::make_string(s));
    types.push_back(ys::gguf::Value::make_i32(ys::tok::kTokenControl));
  }
  ys::gguf::Writer w;
  w.set("tokenizer.ggml.model", ys::gguf::Value::make_string("gpt2"));
  w.set("tokenizer.ggml.pre", ys::gguf::Value::make_string(pre));
  w.set("tokenizer.ggml.tokens", ys::gguf::Value::make_array(ys::gguf::ValueType::string, std::move(tokens)));
  w.set("tokenizer.ggml.token_type", ys::gguf::Value::make_array(ys::gguf::ValueType::i32, std::move(types)));
  w.set("tokenizer.ggml.merges", ys::gguf::Value::make_array(ys::gguf::ValueType::string, std::move(merges)));
  w.set("tokenizer.ggml.bos_token_id", ys::gguf::Value::make_u32(uint32_t(first_special)));
  w.set("tokenizer.ggml.eos_token_id", ys::gguf::Value::make_u32(uint32_t(first_special + 2)));
  w.set("tokenizer.ggml.add_bos_token", ys::gguf::Value::make_bool(true));
  const auto bytes = w.to_bytes();
  return ys::tok::vocab_from_gguf(ys::gguf::File::from_memory(bytes, "synth.gguf"));
}

// A small SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte tokens and a few
// scored pieces, so that merges, byte fallback and the space prefix are all exercised.
ys::tok::Vocab spm_vocab() {
  ys::tok::Vocab v;
  v.model = "llama";
  auto add = [&](std::string t, float score, int32_t type) {
    v.tokens.push_back(std::move(t));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, ys::tok::kTokenUnknown);
  add("<s>", 0, ys::tok::kTokenControl);
  add("</s>", 0, ys::tok::kTokenControl);
  for (int b = 0; b < 256; ++b) add(fmt::format("<0x{:02X}>", b), 0, ys::tok::kTokenByte);
  const char* pieces[] = {"\xe2\x96\x81", "\xe2\x96\x81t", "\xe2\x96\x81th", "\xe2\x96\x81the", "e", "t", "h",
                          "a", ("\xe2\x96\x81" "a"), "in", "\xe2\x96\x81in", "er", "\xc3\xa9", "\xe4\xb8\xad"};
  float score = -1;
  for (const char* p : pieces) add(p, score -= 0.5f, ys::tok::kTokenNormal);
  v.unk = 0, v.bos = 1, v.eos = 2;
  v.add_bos = true;
  return v;
}

void init() {
  g_toks = new std::vector<Tok>();
  for (const char* pre : {"gpt2", "smollm", "llama-bpe", "qwen2"})
    g_toks->push_back({std::make_unique<ys::tok::Tokenizer>(synth_bpe_vocab(pre)), true});
  g_toks->push_back({std::make_unique<ys::tok::Tokenizer>(spm_vocab()), false});
  const char* env = std::getenv("YS_FUZZ_MODEL");
  const std::string model = env && *env ? env : "models/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (std::filesystem::exists(model)) {
    g_toks->push_back({std::make_unique<ys::tok::Tokenizer>(ys::tok::vocab_from_gguf(ys::gguf::File::open(model))), true});
    fmt::print(stderr, "tokenizer_fuzz: also fuzzing the vocabulary of {}\n", model);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const Tok& t = (*g_toks)[mode % g_toks->size()];
  const bool add_special = (mode & 0x40) != 0, parse_special = (mode & 0x80) != 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const auto ids = t.tok->encode(text, add_special, parse_special);
    for (int32_t id : ids)
      if (id < 0 || id >= t.tok->n_vocab()) __builtin_trap();
    const std::string back = t.tok->decode(ids);
    std::string clean;
    const bool replaced = ys::tok::utf8_sanitize(text, clean);
    if (t.byte_level && !replaced && !parse_special && !add_special && back != text) __builtin_trap();
    for (int32_t id : ids) (void)t.tok->piece(id);
  } catch (const ys::Error&) {
    // a documented refusal (e.g. an input over a size limit)
  }
  return 0;
}
