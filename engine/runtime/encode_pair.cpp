#include "engine/runtime/encode_pair.h"

#include "common/error.h"

#include <algorithm>

namespace ys::runtime {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

void move_trailing_space(std::string& ctx, std::string& cont) {
  size_t end = ctx.size();
  while (end > 0 && is_space(ctx[end - 1])) --end;
  cont = ctx.substr(end) + cont;
  ctx.resize(end);
}

EncodedPair encode_pair(const tok::Tokenizer& tok, const EncodeInputFn& encode_input,
                        const engine::LoglikelihoodRequest& r, int64_t n_ctx) {
  std::string ctx = r.context, cont = r.continuation;
  // 1. Trailing whitespace of the context moves to the continuation.
  move_trailing_space(ctx, cont);
  // 2. Joint tokenization, split at len(enc(ctx)); empty context -> [BOS or EOS].
  EncodedPair e;
  if (ctx.empty()) {
    const int32_t prefix = tok.bos() >= 0 ? tok.bos() : tok.eos();
    if (prefix < 0) fail(ErrorKind::unsupported, "loglikelihood: empty context but the vocabulary has no BOS/EOS");
    e.full = tok.encode(cont, false);
    e.n_cont = int64_t(e.full.size());
    e.full.insert(e.full.begin(), prefix);
  } else {
    e.full = encode_input(ctx + cont);
    const int64_t n_ctx_tok = int64_t(encode_input(ctx).size());
    e.n_cont = std::max<int64_t>(0, int64_t(e.full.size()) - n_ctx_tok);
  }
  // 3. Left-truncate to n_ctx + 1 tokens (the model sees all but the last).
  if (int64_t(e.full.size()) > n_ctx + 1) {
    e.full.erase(e.full.begin(), e.full.end() - (n_ctx + 1));
    e.truncated = true;
  }
  e.n_cont = std::min(e.n_cont, int64_t(e.full.size()) - 1);
  return e;
}

}  // namespace ys::runtime
