// The Model interface: everything a suite may ask of a language model.
// Suites include this header and nothing else from engine/ (ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ys::engine {

struct LoadOptions {
  std::optional<std::string> quant;  // re-quantize weights at load: f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1
  // Activations against quantized weights (engine/backend/cpu/matmul.h): "f32" (exact: the
  // bits of weights dequantized to f32) or "int8" (8-bit blocks and integer dots, as llama.cpp).
  std::string activations = "f32";
  int threads = 0;                   // 0 = all cores
  int max_context = 0;               // 0 = the model's context length
  // Throughput (never changes a result bit):
  int batch_size = 16;               // generate: sequences decoded together (continuous batching)
  int64_t kv_memory_bytes = int64_t(2) << 30;  // budget for all key/value caches (--kv-memory)
  bool prefix_cache = true;          // loglikelihood: reuse cached prefixes (--no-prefix-cache: off)
  std::string bos = "auto";          // auto (tokenizer metadata add_bos) | on | off (PROTOCOLS.md §1.3.5)
  // CUDA: batch-invariant kernels (a token's logits do not depend on how many tokens share
  // the forward call), at a measured speed cost. The CPU engine is always batch-invariant.
  bool deterministic = false;
  // Precision of the key/value cache (--kv-type): "f32" (the default; exact) or "f16".
  std::string kv_type = "f32";
};

struct SamplerParams {
  double temperature = 0.0;  // 0 = greedy (argmax, ties to the lowest id)
  int top_k = 0;             // 0 = off
  double top_p = 1.0;        // 1 = off
  uint64_t seed = 0;
};

struct LoglikelihoodRequest {
  std::string context;
  std::string continuation;
};

struct LoglikelihoodResult {
  double logprob = 0.0;      // sum of log p(continuation tokens | prefix)
  bool is_greedy = false;    // every continuation token was the argmax
  int n_tokens = 0;          // continuation tokens scored
  bool truncated = false;    // the input was left-truncated to the context window
};

enum class StopReason { stop_string, eos, max_tokens, context_full };
const char* to_string(StopReason r);

struct GenerateRequest {
  std::string prompt;
  int max_tokens = 256;
  std::vector<std::string> stop;   // generation ends at the earliest occurrence; text cut there
  SamplerParams sampler;
};

struct GenerateResult {
  std::string text;          // generated text, cut before the earliest stop string
  int n_tokens = 0;          // tokens generated
  int n_prompt_tokens = 0;
  StopReason reason = StopReason::max_tokens;
};

struct TokenLogprob {
  int32_t id = 0;            // the token at this position
  double logprob = 0.0;      // log p(id | previous tokens); 0 for the first token
  int32_t argmax = 0;        // the most likely token given the previous tokens
};

struct ModelInfo {
  std::string name;          // general.name
  std::string architecture;  // general.architecture
  std::string path;
  std::string sha256;        // of the GGUF file
  std::string weight_type;   // after any re-quantization, e.g. "q4_1" (most common type) or "q4_k_m" (the file's mix)
  int n_layers = 0, n_heads = 0, n_kv_heads = 0, n_embd = 0, n_ff = 0, n_vocab = 0;
  int n_ctx = 0;             // context window used
  int threads = 0;
  std::string isa;           // the CPU kernel variant selected, e.g. "avx512-vnni"
  std::string activations;   // "f32" or "int8" (LoadOptions::activations)
  std::string kv_type;       // "f32" or "f16" (LoadOptions::kv_type)
  std::string device;        // "cpu", or e.g. "cuda:0 NVIDIA H200"
};

// Where generate() spent its time, summed over the calls since the model was loaded.
// Prompt steps and generation steps are separate forward passes (the scheduler never mixes
// them), so generated_tokens / decode_seconds is the generation throughput and, with
// batch_size 1, exactly batch-1 decode.
struct GenerateStats {
  int64_t prompt_tokens = 0;     // prompt positions run through the model
  int64_t reused_tokens = 0;     // prompt positions restored from the prefix cache instead
  int64_t generated_tokens = 0;  // tokens sampled (including one that ended a sequence)
  int64_t prefill_steps = 0, decode_steps = 0;
  int64_t decode_rows = 0;       // sequence-steps in decode steps (mean batch = decode_rows / decode_steps)
  double prefill_seconds = 0, decode_seconds = 0;  // forward passes and sampling
};
// The counts of the work between two readings of Model::generate_stats().
GenerateStats operator-(const GenerateStats& after, const GenerateStats& before);

// Streaming callback for generate: called with each new piece of decoded text.
using TextSink = void (*)(void* user, const std::string& piece);

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelInfo& info() const = 0;
  // PROTOCOLS.md §1.3: tokenize context+continuation jointly, split at len(enc(context)),
  // left-truncate to the window. Results are independent of how requests are batched.
  virtual std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs) = 0;
  virtual std::vector<GenerateResult> generate(const std::vector<GenerateRequest>& reqs,
                                               TextSink sink = nullptr, void* user = nullptr) = 0;
  // Teacher-forced per-token logprobs of `text` (BOS added as the model's metadata says).
  virtual std::vector<TokenLogprob> token_logprobs(const std::string& text) = 0;
  // Tokenizer access for suites that need token counts.
  virtual std::vector<int32_t> tokenize(const std::string& text, bool add_bos) const = 0;
  virtual std::string detokenize(const std::vector<int32_t>& ids) const = 0;
  // Teacher-forced next-token logits: fn(pos, logits, n_vocab) for pos in [0, ids.size()-1),
  // where `logits` predicts ids[pos + 1]. Used to compare quantization settings (KL divergence).
  using LogitsFn = std::function<void(int64_t pos, const float* logits, int64_t n_vocab)>;
  virtual void next_token_logits(const std::vector<int32_t>& ids, const LogitsFn& fn);
  // Throughput counters of generate() (zeros for an engine that does not keep them).
  virtual GenerateStats generate_stats() const { return {}; }
  // generate() that also hands over each request's result as soon as it is final (in
  // completion order), so that a caller can store finished work while later requests still
  // run. The default reports them all, in order, after generate() returns. An exception
  // thrown by on_done ends the call.
  using DoneFn = std::function<void(size_t index, const GenerateResult& result)>;
  virtual std::vector<GenerateResult> generate_streamed(const std::vector<GenerateRequest>& reqs, const DoneFn& on_done);
};

// Loads a GGUF model into the embedded CPU engine. Throws ys::Error.
std::unique_ptr<Model> load_model(const std::filesystem::path& path, const LoadOptions& options);

}  // namespace ys::engine
