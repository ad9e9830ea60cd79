// Request encoding, shared by every backend: the BOS rule of model input (LoadOptions::bos,
// PROTOCOLS.md §1.3.5) and PROTOCOLS.md §1.3 steps 1-3 for one loglikelihood request:
// move the context's trailing whitespace to the continuation, tokenize context+continuation
// jointly and split at len(enc(context)) (empty context -> [BOS or EOS]), left-truncate to
// n_ctx + 1 tokens.
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

// Tokens of model input with the BOS policy `bos` (auto: the tokenizer's add_bos metadata;
// on: prepend BOS; off: none).
std::vector<int32_t> encode_input(const tok::Tokenizer& tok, const std::string& text, const std::string& bos);

// `encode_input` tokenizes a non-empty context the way the model feeds input (BOS policy).
using EncodeInputFn = std::function<std::vector<int32_t>(const std::string&)>;
EncodedPair encode_pair(const tok::Tokenizer& tok, const EncodeInputFn& encode_input,
                        const engine::LoglikelihoodRequest& r, int64_t n_ctx);

}  // namespace ys::runtime
