// The Model interface: everything a suite may ask of a language model.
// Suites include this header and nothing else from engine/ (ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
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
  // Special-token text in prompts ("<|im_start|>", "</s>") becomes the control token (true,
  // as Hugging Face tokenizers and so lm-eval's HF backend do) or stays text (false, as
  // llama.cpp's tokenizer API does unless asked) (--parse-special, docs/protocols.md).
  bool parse_special = true;
  // CUDA: batch-invariant kernels (a token's logits do not depend on how many tokens share
  // the forward call), at a measured speed cost. The CPU engine is always batch-invariant.
  bool deterministic = false;
  // Precision of the key/value cache (--kv-type): "f32" (the default; exact) or "f16".
  std::string kv_type = "f32";
  // CPU matrix products (--cpu-gemm): "engine" (the engine's kernels) or "onednn" (oneDNN,
  // bf16 weights and activations, batch-invariant tiles: engine/backend/cpu/onednn_gemm.h).
  // "onednn" changes results (bf16 rounding) and holds a bf16 copy of the dense matrices.
  std::string cpu_gemm = "engine";
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
  // Non-empty when this request could not be answered (a remote server's message after the
  // retries): the result is not a score, and the caller marks its sample failed.
  std::string error;
};

enum class StopReason { stop_string, eos, max_tokens, context_full };
const char* to_string(StopReason r);

struct GenerateRequest {
  std::string prompt;
  int max_tokens = 256;
  std::vector<std::string> stop;   // generation ends at the earliest occurrence; text cut there
  SamplerParams sampler;
  // Optional: called with each piece of the final text as soon as it can no longer change
  // (text that could still become a stop string is held back); the pieces concatenate to
  // GenerateResult::text. Engines that do not stream leave it uncalled (callers then take
  // the whole text from the result). Never changes a result.
  std::function<void(const std::string& piece)> on_text;
};

struct GenerateResult {
  std::string text;          // generated text, cut before the earliest stop string
  int n_tokens = 0;          // tokens generated
  int n_prompt_tokens = 0;
  StopReason reason = StopReason::max_tokens;
  std::string error;         // non-empty: not generated (see LoglikelihoodResult::error)
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

// A chat turn, and how to render a list of them with the model's chat template.
struct ChatMessage {
  std::string role, content;
};
struct ChatOptions {
  bool add_generation_prompt = true;
  int64_t now = -1;  // strftime_now()'s clock (seconds since the epoch, UTC); -1 = the current time
};
// The chat template itself raised (its raise_exception, or an undefined value): jinja2's
// TemplateError, which lm-eval catches to render again without the system message.
class ChatTemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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
  // The same for positions >= first only (the caller already has the earlier rows); an
  // engine may reuse cached keys/values of the prefix. Same bits as next_token_logits.
  virtual void next_token_logits_from(const std::vector<int32_t>& ids, int64_t first, const LogitsFn& fn);
  // Throughput counters of generate() (zeros for an engine that does not keep them).
  virtual GenerateStats generate_stats() const { return {}; }
  // generate() that also hands over each request's result as soon as it is final (in
  // completion order), so that a caller can store finished work while later requests still
  // run. The default reports them all, in order, after generate() returns. An exception
  // thrown by on_done ends the call.
  using DoneFn = std::function<void(size_t index, const GenerateResult& result)>;
  virtual std::vector<GenerateResult> generate_streamed(const std::vector<GenerateRequest>& reqs, const DoneFn& on_done);
  // The model's chat template (GGUF tokenizer.chat_template); "" when it has none.
  virtual std::string chat_template() const { return {}; }
  // Renders messages with that template exactly as transformers' apply_chat_template
  // (tokenize=False) does. Throws ys::Error(unsupported) when the model has no template, the
  // template uses a construct the renderer does not implement, or the engine cannot render
  // templates (the default); ChatTemplateError when the template raises.
  virtual std::string apply_chat_template(const std::vector<ChatMessage>& messages, const ChatOptions& options) const;
};

// Loads a GGUF model into the embedded CPU engine. Throws ys::Error.
std::unique_ptr<Model> load_model(const std::filesystem::path& path, const LoadOptions& options);

}  // namespace ys::engine
