// vocab_from_gguf: the only code in the tokenizer that reads GGUF metadata.
#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/pre_split.h"
#include "engine/tokenizer/tokenizer.h"

namespace ys::tok {

namespace {

const gguf::Array& get_array(const gguf::File& f, const std::string& key) {
  return f.get(key).as_array(f.path() + ": " + key);
}

std::vector<std::string> string_array(const gguf::File& f, const std::string& key) {
  const auto& arr = get_array(f, key);
  std::vector<std::string> out;
  out.reserve(arr.items.size());
  for (size_t i = 0; i < arr.items.size(); ++i) {
    out.push_back(arr.items[i].as_string(fmt::format("{}: {}[{}]", f.path(), key, i)));
  }
  return out;
}

// A token id key: absent -> fallback; negative -> -1 (none); else must be < n.
int32_t token_id(const gguf::File& f, const std::string& key, int32_t fallback, size_t n) {
  const gguf::Value* v = f.find(key);
  if (v == nullptr) return static_cast<size_t>(fallback) < n ? fallback : -1;
  const int64_t id = v->as_int(f.path() + ": " + key);
  if (id < 0) return -1;
  if (static_cast<uint64_t>(id) >= n) {
    fail(ErrorKind::format, "{}: {} = {} is outside the vocabulary of {} tokens", f.path(), key, id, n);
  }
  return static_cast<int32_t>(id);
}

}  // namespace

Vocab vocab_from_gguf(const gguf::File& f) {
  Vocab v;
  v.model = f.get("tokenizer.ggml.model").as_string(f.path() + ": tokenizer.ggml.model");
  if (v.model != "gpt2" && v.model != "llama") {
    fail(ErrorKind::unsupported, "{}: tokenizer.ggml.model = '{}' is not supported (expected 'gpt2' or 'llama')",
         f.path(), v.model);
  }
  v.pre = f.get_string("tokenizer.ggml.pre", "default");
  v.tokens = string_array(f, "tokenizer.ggml.tokens");
  const size_t n = v.tokens.size();
  if (n == 0) fail(ErrorKind::format, "{}: tokenizer.ggml.tokens is empty", f.path());
  if (f.find("tokenizer.ggml.scores") != nullptr) {
    const auto& arr = get_array(f, "tokenizer.ggml.scores");
    v.scores.reserve(arr.items.size());
    for (const auto& it : arr.items) v.scores.push_back(static_cast<float>(it.as_float(f.path() + ": tokenizer.ggml.scores")));
  }
  if (f.find("tokenizer.ggml.token_type") != nullptr) {
    const auto& arr = get_array(f, "tokenizer.ggml.token_type");
    v.types.reserve(arr.items.size());
    for (const auto& it : arr.items) v.types.push_back(static_cast<int32_t>(it.as_int(f.path() + ": tokenizer.ggml.token_type")));
  }
  if (v.scores.size() != 0 && v.scores.size() != n) {
    fail(ErrorKind::format, "{}: tokenizer.ggml.scores has {} entries, expected {} (one per token)", f.path(), v.scores.size(), n);
  }
  if (v.types.size() != 0 && v.types.size() != n) {
    fail(ErrorKind::format, "{}: tokenizer.ggml.token_type has {} entries, expected {} (one per token)", f.path(),
         v.types.size(), n);
  }
  const bool spm = v.model == "llama";
  if (!spm) {
    v.merges = string_array(f, "tokenizer.ggml.merges");
    pre_split_regexes(v.pre);   // rejects an unsupported pre-tokenizer now, naming it
  }
  v.bos = token_id(f, "tokenizer.ggml.bos_token_id", spm ? 1 : -1, n);
  v.eos = token_id(f, "tokenizer.ggml.eos_token_id", spm ? 2 : -1, n);
  v.unk = token_id(f, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, n);
  v.pad = token_id(f, "tokenizer.ggml.padding_token_id", -1, n);
  v.eot = token_id(f, "tokenizer.ggml.eot_token_id", -1, n);
  // Defaults when the keys are absent follow llama.cpp: SentencePiece and Llama 3 add BOS.
  v.add_bos = f.get_bool("tokenizer.ggml.add_bos_token", spm || pre_split_ignores_merges(v.pre));
  v.add_eos = f.get_bool("tokenizer.ggml.add_eos_token", false);
  v.add_space_prefix = f.get_bool("tokenizer.ggml.add_space_prefix", spm);
  v.chat_template = f.get_string("tokenizer.chat_template", "");
  return v;
}

}  // namespace ys::tok
