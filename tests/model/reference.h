// A naive float64 forward pass of the Llama family, written independently of the engine
// (straight loops; shares only gguf reading and quant::dequantize_row with it). The oracle
// for the exactness tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace ys::test {

// Teacher-forced logits [n_tokens][n_vocab] of `tokens` at positions 0..n-1.
std::vector<std::vector<double>> reference_logits(const std::filesystem::path& gguf_path,
                                                  const std::vector<int32_t>& tokens);

}  // namespace ys::test
