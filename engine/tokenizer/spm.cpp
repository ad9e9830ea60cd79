#include "engine/tokenizer/spm.h"

#include "common/error.h"
#include "engine/tokenizer/utf8.h"

#include <fmt/format.h>

#include <algorithm>

namespace ys::tok {

SpmEncoder::SpmEncoder(const std::vector<std::string>& tokens, const std::vector<float>& scores,
                       const TokenIndex& index, int32_t unk)
    : scores_(scores), index_(index), unk_(unk) {
  (void)tokens;
  for (int b = 0; b < 256; ++b) {
    int32_t id = index_.find(fmt::format("<0x{:02X}>", b));
    if (id < 0) id = index_.find(std::string(1, static_cast<char>(b)));
    byte_token_[b] = id;
  }
}

namespace {

struct Sym {
  uint32_t start, len;
  int32_t prev, next;
};

struct Cand {
  float score;
  int32_t left, right;
  uint32_t len;
  // max-heap on score, then the smaller left index first
  bool operator<(const Cand& o) const { return score != o.score ? score < o.score : left > o.left; }
};

// Length of the symbol that starts with byte c, by its high nibble, as llama.cpp's SPM
// tokenizer splits text (the reference for GGUF SPM vocabularies): an invalid lead byte
// 0xF8-0xFF opens a 4-byte symbol, a stray continuation byte a 1-byte one. Valid UTF-8 splits
// into characters either way; the difference shows only on invalid bytes (tests/tokenizer,
// Gemma 3 against llama.cpp).
size_t symbol_len(unsigned char c) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[c >> 4];
}

}  // namespace

void SpmEncoder::encode(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  thread_local std::vector<Sym> syms;
  thread_local std::vector<Cand> heap;
  syms.clear();
  heap.clear();
  for (size_t off = 0; off < text.size();) {
    const auto n = static_cast<uint32_t>(std::min(text.size() - off, symbol_len(static_cast<unsigned char>(text[off]))));
    const auto i = static_cast<int32_t>(syms.size());
    syms.push_back({static_cast<uint32_t>(off), n, i - 1, off + n < text.size() ? i + 1 : -1});
    off += n;
  }
  auto push_pair = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const uint32_t len = syms[l].len + syms[r].len;
    const int32_t id = index_.find(text.substr(syms[l].start, len));
    if (id < 0 || static_cast<size_t>(id) >= scores_.size()) return;
    heap.push_back({scores_[id], l, r, len});
    std::push_heap(heap.begin(), heap.end());
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(syms.size()); ++i) push_pair(i, i + 1);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const Cand c = heap.back();
    heap.pop_back();
    Sym& L = syms[c.left];
    Sym& R = syms[c.right];
    if (L.len == 0 || R.len == 0 || L.next != c.right || L.len + R.len != c.len) continue;   // stale
    L.len += R.len;
    R.len = 0;
    L.next = R.next;
    if (R.next >= 0) syms[R.next].prev = c.left;
    push_pair(L.prev, c.left);
    push_pair(c.left, L.next);
  }
  for (int32_t i = 0; i >= 0; i = syms[i].next) {
    const std::string_view piece = text.substr(syms[i].start, syms[i].len);
    const int32_t id = index_.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (unsigned char b : piece) {
      const int32_t bt = byte_token_[b] >= 0 ? byte_token_[b] : unk_;
      if (bt < 0) fail(ErrorKind::unsupported, "tokenizer: byte 0x{:02X} has no <0x{:02X}> token and there is no unknown token", b, b);
      out.push_back(bt);
    }
  }
}

}  // namespace ys::tok
