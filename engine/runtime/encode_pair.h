// Request encoding, shared by every backend: PROTOCOLS.md §1.3 steps 1-3 for one
// loglikelihood request: move the context's trailing whitespace to the continuation,
// tokenize context+continuation jointly and split at len(enc(context)) (empty context ->
// [BOS or EOS]), left-truncate to n_ctx + 1 tokens. The BOS rule of model input
// (LoadOptions::bos, no second BOS, parse_special) is tok::encode_prompt.
#pragma once

#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ys::runtime {

struct EncodedPair {
  std::vector<int32_t> full;  // the (left-truncated) context + continuation tokens
  int64_t n_cont = 0;         // continuation tokens at the end of `full`
  bool truncated = false;
};

// Step 1 alone: trailing whitespace of `ctx` moves to the front of `cont` (also used by the
// remote client, which sends the two strings to a server that tokenizes them).
void move_trailing_space(std::string& ctx, std::string& cont);

// `encode_input` tokenizes a non-empty context the way the model feeds input (BOS policy).
using EncodeInputFn = std::function<std::vector<int32_t>(const std::string&)>;
EncodedPair encode_pair(const tok::Tokenizer& tok, const EncodeInputFn& encode_input,
                        const engine::LoglikelihoodRequest& r, int64_t n_ctx);

}  // namespace ys::runtime
