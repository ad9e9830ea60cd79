#include "engine/tokenizer/bpe.h"

#include "common/error.h"
#include "engine/tokenizer/utf8.h"

#include <algorithm>

namespace ys::tok {

BpeMerger::BpeMerger(const std::vector<std::string>& tokens, const std::vector<std::string>& merges,
                     const TokenIndex& index, bool ignore_merges)
    : index_(index), ignore_merges_(ignore_merges) {
  (void)tokens;
  const auto& b2c = byte_to_codepoint();
  for (int b = 0; b < 256; ++b) {
    std::string s;
    utf8_append(s, b2c[b]);
    byte_token_[b] = index_.find(s);
  }
  pairs_.reserve(merges.size() * 2);
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    // The separator is the first space after position 0 (a token text never contains
    // a raw space in a byte-level vocabulary; position 0 is skipped for robustness).
    const size_t sp = m.find(' ', 1);
    if (sp == std::string::npos || sp + 1 >= m.size()) {
      fail(ErrorKind::format, "tokenizer.ggml.merges[{}] = '{}': expected 'left right'", rank, m);
    }
    const std::string_view l(m.data(), sp);
    const std::string_view r(m.data() + sp + 1, m.size() - sp - 1);
    const int32_t lid = index_.find(l);
    const int32_t rid = index_.find(r);
    joined.assign(l);
    joined.append(r);
    const int32_t mid = index_.find(joined);
    if (lid < 0 || rid < 0 || mid < 0) continue;
    pairs_.emplace(key(lid, rid), Merge{static_cast<int32_t>(rank), mid});   // first (lowest) rank wins
  }
}

namespace {

struct Sym {
  int32_t id;
  int32_t prev, next;   // indices into the symbol array, -1 at the ends
};

struct Cand {
  int32_t rank, left, right, left_id, right_id;
  bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
};

}  // namespace

void BpeMerger::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (word.size() == 1 && byte_token_[static_cast<unsigned char>(word[0])] >= 0) {
    out.push_back(byte_token_[static_cast<unsigned char>(word[0])]);
    return;
  }
  if (word.size() > kMaxCachedWord) {
    merge_word(word, out);
    return;
  }
  const size_t h = SvHash{}(word);
  CacheShard& shard = (*cache_)[(h >> 7) % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    const auto it = shard.map.find(word);
    if (it != shard.map.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  merge_word(word, out);
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.map.size() >= kShardCapacity) shard.map.clear();
  shard.map.emplace(std::string(word), std::vector<int32_t>(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()));
}

void BpeMerger::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    const int32_t whole = index_.find(bytes_to_unicode(word));
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }
  thread_local std::vector<Sym> syms;
  thread_local std::vector<Cand> heap;
  syms.clear();
  heap.clear();
  const auto n = static_cast<int32_t>(word.size());
  for (int32_t i = 0; i < n; ++i) {
    syms.push_back({byte_token_[static_cast<unsigned char>(word[i])], i - 1, i + 1 < n ? i + 1 : -1});
  }
  const auto cmp = std::greater<Cand>{};
  auto push_pair = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0 || syms[l].id < 0 || syms[r].id < 0) return;
    if (const Merge* m = find(syms[l].id, syms[r].id)) {
      heap.push_back({m->rank, l, r, syms[l].id, syms[r].id});
      std::push_heap(heap.begin(), heap.end(), cmp);
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push_pair(i, i + 1);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    const Cand c = heap.back();
    heap.pop_back();
    Sym& L = syms[c.left];
    Sym& R = syms[c.right];
    if (L.next != c.right || L.id != c.left_id || R.id != c.right_id) continue;   // stale
    L.id = find(c.left_id, c.right_id)->id;
    L.next = R.next;
    if (R.next >= 0) syms[R.next].prev = c.left;
    R.id = -2;   // dead
    push_pair(L.prev, c.left);
    push_pair(c.left, L.next);
  }
  for (int32_t i = 0; i >= 0; i = syms[i].next) {
    if (syms[i].id >= 0) out.push_back(syms[i].id);   // a byte without a token is dropped
  }
}

}  // namespace ys::tok
