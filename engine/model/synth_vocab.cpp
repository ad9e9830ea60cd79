// A tiny byte-level BPE vocabulary for synthetic models: 256 byte tokens (GPT-2 byte to
// unicode mapping), merges learned greedily from a built-in text, reserved fillers, and
// three control tokens at the end.
#include "common/error.h"
#include "engine/model/synth.h"

#include <map>
#include <set>
#include <sstream>

namespace ys::engine {

namespace {

const char* kCorpus =
    "The quick brown fox jumps over the lazy dog. The capital of France is Paris. "
    "def main():\n    return 0\n\nfor i in range(10):\n    print(i)\n"
    "Question: what is 12 plus 30? Answer: 42. The answer is 42.\n"
    "In the beginning there was the word, and the word was with the model. "
    "She said that they would be there at the station in the morning, and then they went home. "
    "A B C D Answer: A\n1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 1000\n";

std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) s += char(cp);
  else if (cp < 0x800) { s += char(0xC0 | (cp >> 6)); s += char(0x80 | (cp & 0x3F)); }
  else { s += char(0xE0 | (cp >> 12)); s += char(0x80 | ((cp >> 6) & 0x3F)); s += char(0x80 | (cp & 0x3F)); }
  return s;
}

// GPT-2 bytes_to_unicode: printable bytes map to themselves, the rest to 256 + n.
std::vector<std::string> byte_tokens() {
  std::vector<std::string> t(256);
  uint32_t n = 0;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
    t[b] = utf8(printable ? b : 256 + n++);
  }
  return t;
}

// Greedy BPE training on the corpus split into space-prefixed words.
std::vector<std::pair<std::string, std::string>> learn_merges(const std::vector<std::string>& bt, size_t max_merges) {
  std::vector<std::vector<std::string>> words;
  std::string text = kCorpus, cur;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || ((text[i] == ' ' || text[i] == '\n') && !cur.empty())) {
      std::vector<std::string> w;
      for (unsigned char c : cur) w.push_back(bt[c]);
      if (!w.empty()) words.push_back(w);
      cur.clear();
    }
    if (i < text.size()) cur += text[i];
  }
  std::vector<std::pair<std::string, std::string>> merges;
  std::set<std::string> known(bt.begin(), bt.end());
  while (merges.size() < max_merges) {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& w : words)
      for (size_t i = 0; i + 1 < w.size(); ++i) ++counts[{w[i], w[i + 1]}];
    std::pair<std::string, std::string> best;
    int best_n = 1;
    for (const auto& [p, c] : counts)
      if (c > best_n && !known.count(p.first + p.second)) best = p, best_n = c;
    if (best_n < 2) break;
    merges.push_back(best);
    known.insert(best.first + best.second);
    for (auto& w : words) {
      std::vector<std::string> out;
      for (size_t i = 0; i < w.size(); ++i) {
        if (i + 1 < w.size() && w[i] == best.first && w[i + 1] == best.second) {
          out.push_back(w[i] + w[i + 1]);
          ++i;
        } else {
          out.push_back(w[i]);
        }
      }
      w = std::move(out);
    }
  }
  return merges;
}

}  // namespace

void add_synth_vocab(gguf::Writer& w, int n_vocab, bool add_bos) {
  const int n_special = 3;
  if (n_vocab < 256 + n_special)
    fail(ErrorKind::invalid_input, "--vocab: expected at least {} (256 bytes + 3 specials), got {}", 256 + n_special,
         n_vocab);
  const std::vector<std::string> bt = byte_tokens();
  const auto merges = learn_merges(bt, size_t(n_vocab - 256 - n_special));
  std::vector<gguf::Value> tokens, types, merge_vals;
  for (const auto& t : bt) tokens.push_back(gguf::Value::make_string(t)), types.push_back(gguf::Value::make_i32(1));
  for (const auto& [a, b] : merges) {
    tokens.push_back(gguf::Value::make_string(a + b));
    types.push_back(gguf::Value::make_i32(1));
    merge_vals.push_back(gguf::Value::make_string(a + " " + b));
  }
  for (int i = 0; int(tokens.size()) < n_vocab - n_special; ++i) {
    tokens.push_back(gguf::Value::make_string(fmt::format("<|reserved_{}|>", i)));
    types.push_back(gguf::Value::make_i32(3));
  }
  const int32_t eot = int32_t(tokens.size());
  for (const char* s : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) {
    tokens.push_back(gguf::Value::make_string(s));
    types.push_back(gguf::Value::make_i32(3));
  }
  w.set("tokenizer.ggml.model", gguf::Value::make_string("gpt2"));
  w.set("tokenizer.ggml.pre", gguf::Value::make_string("gpt2"));
  w.set("tokenizer.ggml.tokens", gguf::Value::make_array(gguf::ValueType::string, std::move(tokens)));
  w.set("tokenizer.ggml.token_type", gguf::Value::make_array(gguf::ValueType::i32, std::move(types)));
  w.set("tokenizer.ggml.merges", gguf::Value::make_array(gguf::ValueType::string, std::move(merge_vals)));
  w.set("tokenizer.ggml.bos_token_id", gguf::Value::make_u32(uint32_t(eot)));
  w.set("tokenizer.ggml.eos_token_id", gguf::Value::make_u32(uint32_t(eot + 2)));
  w.set("tokenizer.ggml.add_bos_token", gguf::Value::make_bool(add_bos));
  w.set("tokenizer.chat_template",
        gguf::Value::make_string("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                                 "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt "
                                 "%}{{ '<|im_start|>assistant\\n' }}{% endif %}"));
}

}  // namespace ys::engine
