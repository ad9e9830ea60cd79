#include "engine/model/cpu_model.h"

#include "common/error.h"
#include "common/hash.h"
#include "engine/model/requant.h"
#include "engine/runtime/sampler.h"

#include <algorithm>
#include <cmath>

namespace ys::engine {

namespace {
constexpr int64_t kChunk = 256;       // tokens per forward call (prefill)
constexpr int64_t kPrefixBlock = 64;  // tokens per prefix-cache block
}

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::stop_string: return "stop_string";
    case StopReason::eos: return "eos";
    case StopReason::max_tokens: return "max_tokens";
    case StopReason::context_full: return "context_full";
  }
  return "?";
}

RowStats row_stats(const float* logits, int64_t n, int32_t target) {
  RowStats s;
  s.argmax = runtime::argmax(logits, n);
  const double mx = logits[s.argmax];
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(double(logits[i]) - mx);
  s.logprob = double(logits[target]) - mx - std::log(sum);
  return s;
}

CpuModel::CpuModel(const std::filesystem::path& path, const LoadOptions& options)
    : file_(gguf::File::open(path)), h_(read_hparams(file_)) {
  std::optional<quant::Type> rq;
  if (options.quant) rq = parse_requant_type(*options.quant, "--quant");
  const cpu::ActPrecision act = cpu::parse_act_precision(options.activations, "--activations");
  w_ = load_weights(file_, h_, rq);
  set_activation_precision(*w_, act);
  const cpu::CpuGemm gemm = cpu::parse_cpu_gemm(options.cpu_gemm, "--cpu-gemm");
  tok_ = std::make_unique<tok::Tokenizer>(tok::vocab_from_gguf(file_));
  tok_->set_parse_special(options.parse_special);
  if (tok_->n_vocab() > h_.n_vocab)
    fail(ErrorKind::format, "{}: tokenizer has {} tokens but token_embd.weight only {} rows", path.string(),
         tok_->n_vocab(), h_.n_vocab);
  if (options.threads < 0) fail(ErrorKind::invalid_input, "--threads: expected >= 0, got {}", options.threads);
  if (options.max_context < 0)
    fail(ErrorKind::invalid_input, "max_context: expected >= 0, got {}", options.max_context);
  if (options.batch_size < 1)
    fail(ErrorKind::invalid_input, "batch_size: expected >= 1 sequences, got {}", options.batch_size);
  if (options.kv_memory_bytes <= 0)
    fail(ErrorKind::invalid_input, "--kv-memory: expected a positive byte count, got {}", options.kv_memory_bytes);
  if (options.bos != "auto" && options.bos != "on" && options.bos != "off")
    fail(ErrorKind::invalid_input, "--bos: expected auto, on or off, got '{}'", options.bos);
  if (options.bos == "on" && tok_->bos() < 0)
    fail(ErrorKind::invalid_input, "--bos on: {} has no BOS token (tokenizer.ggml.bos_token_id)", path.string());
  opt_ = options;
  pool_ = std::make_unique<cpu::ThreadPool>(options.threads);
  if (gemm.onednn) {
    std::vector<const cpu::WeightView*> dense = {&w_->output};  // MoE experts stay on the engine
    for (const LayerWeights& L : w_->layers)
      for (const cpu::WeightView* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) dense.push_back(v);
    onednn_ = std::make_unique<cpu::OnednnGemm>(dense, gemm.type, pool_.get());
  }
  fwd_ = std::make_unique<LlamaForward>(h_, *w_, *pool_);
  const int n_ctx = options.max_context > 0 ? options.max_context : h_.n_ctx_train;
  kv_ = runtime::KvCache(h_.n_layer, int64_t(h_.n_kv_head) * h_.head_dim, n_ctx);
  store_ = runtime::PrefixCache(h_.n_layer, int64_t(h_.n_kv_head) * h_.head_dim, kPrefixBlock);
  info_.name = file_.get_string("general.name", path.stem().string());
  info_.architecture = h_.arch;
  info_.path = path.string();
  info_.sha256 = sha256_file(path);
  info_.weight_type = w_->weight_type;
  info_.n_layers = h_.n_layer;
  info_.n_heads = h_.n_head;
  info_.n_kv_heads = h_.n_kv_head;
  info_.n_embd = h_.n_embd;
  info_.n_ff = h_.n_ff;
  info_.n_vocab = h_.n_vocab;
  info_.n_ctx = n_ctx;
  info_.threads = pool_->size();
  info_.isa = cpu::isa_name();
  info_.activations = cpu::act_precision_name(act);
}

void CpuModel::check_kv_budget(int64_t n, const std::string& what) const {
  const int64_t need = n * kv_.bytes_per_pos();
  if (need > opt_.kv_memory_bytes)
    fail(ErrorKind::invalid_input,
         "{}: a sequence of {} tokens needs {} bytes ({:.1f} MiB) of key/value cache, more than the --kv-memory "
         "budget of {} bytes ({:.1f} MiB)",
         what, n, need, double(need) / 1048576.0, opt_.kv_memory_bytes, double(opt_.kv_memory_bytes) / 1048576.0);
}

void CpuModel::eval(const std::vector<int32_t>& tokens, int64_t first_out, const EvalFn& on_logits,
                    bool use_store) {
  const int64_t n = int64_t(tokens.size());
  if (n > kv_.n_ctx())
    fail(ErrorKind::invalid_input, "{} tokens do not fit the context window of {}", n, kv_.n_ctx());
  check_kv_budget(n, "eval");
  // The working cache grows to the longest sequence (in chunk steps); the rest of the
  // budget is the prefix store's.
  kv_.set_growth_limit(std::min((n + kChunk - 1) / kChunk * kChunk, opt_.kv_memory_bytes / kv_.bytes_per_pos()));
  int64_t keep = 0;
  if (opt_.prefix_cache) {
    const int64_t limit = std::min({int64_t(cached_.size()), n, first_out});
    while (keep < limit && cached_[size_t(keep)] == tokens[size_t(keep)]) ++keep;
  }
  cached_.resize(size_t(keep));
  kv_.set_n_pos(std::min(keep, kv_.n_pos()));
  if (use_store && opt_.prefix_cache) {
    keep = store_.restore(tokens.data(), keep, std::min(n, first_out), kv_);
    cached_.assign(tokens.begin(), tokens.begin() + keep);
  }
  reused_ += keep;
  evaluated_ += n - keep;
  std::vector<int64_t> rows;
  for (int64_t p0 = keep; p0 < n; p0 += kChunk) {
    const int64_t m = std::min(kChunk, n - p0);
    rows.clear();
    for (int64_t i = std::max(p0, first_out); i < p0 + m; ++i) rows.push_back(i - p0);
    logits_.resize(size_t(std::max<int64_t>(1, int64_t(rows.size())) * h_.n_vocab));
    fwd_->forward(&tokens[size_t(p0)], m, p0, kv_, rows.data(), int64_t(rows.size()), logits_.data());
    cached_.insert(cached_.end(), tokens.begin() + p0, tokens.begin() + p0 + m);
    for (size_t i = 0; i < rows.size(); ++i) on_logits(p0 + rows[i], &logits_[i * size_t(h_.n_vocab)]);
  }
  if (use_store && opt_.prefix_cache)
    store_.save(tokens.data(), n, kv_, opt_.kv_memory_bytes - kv_.capacity() * kv_.bytes_per_pos());
}

CpuModel::CacheStats CpuModel::cache_stats() const {
  CacheStats s;
  s.tokens_evaluated = evaluated_;
  s.tokens_reused = reused_;
  s.store = store_.stats();
  return s;
}

std::vector<int32_t> CpuModel::encode_input(const std::string& text) const {
  return tok::encode_prompt(*tok_, text, opt_.bos);
}

std::string CpuModel::chat_template() const { return tok_->vocab().chat_template; }

std::string CpuModel::apply_chat_template(const std::vector<ChatMessage>& messages, const ChatOptions& options) const {
  std::vector<tok::ChatMessage> msgs;
  for (const ChatMessage& m : messages) msgs.push_back({m.role, m.content});
  tok::ChatRenderOptions o;
  o.add_generation_prompt = options.add_generation_prompt;
  o.now = options.now;
  try {
    return tok::ChatTemplate::from_vocab(tok_->vocab()).render(msgs, o);
  } catch (const jinja::TemplateError& e) {
    throw ChatTemplateError(e.what());
  }
}

void CpuModel::next_token_logits(const std::vector<int32_t>& ids, const Model::LogitsFn& fn) {
  if (ids.size() < 2) return;
  const std::vector<int32_t> input(ids.begin(), ids.end() - 1);
  eval(input, 0, [&](int64_t pos, const float* logits) { fn(pos, logits, h_.n_vocab); });
}

void CpuModel::next_token_logits_from(const std::vector<int32_t>& ids, int64_t first, const Model::LogitsFn& fn) {
  if (ids.size() < 2) return;
  const std::vector<int32_t> input(ids.begin(), ids.end() - 1);
  eval(input, std::max<int64_t>(0, first), [&](int64_t pos, const float* logits) { fn(pos, logits, h_.n_vocab); },
       /*use_store=*/true);
}

std::vector<TokenLogprob> CpuModel::token_logprobs(const std::string& text) {
  const std::vector<int32_t> ids = encode_input(text);
  std::vector<TokenLogprob> out(ids.size());
  if (ids.empty()) return out;
  out[0] = {ids[0], 0.0, ids[0]};
  const std::vector<int32_t> input(ids.begin(), ids.end() - 1);
  eval(input, 0, [&](int64_t pos, const float* logits) {
    const RowStats s = row_stats(logits, h_.n_vocab, ids[size_t(pos + 1)]);
    out[size_t(pos + 1)] = {ids[size_t(pos + 1)], s.logprob, s.argmax};
  });
  return out;
}

std::vector<int32_t> CpuModel::tokenize(const std::string& text, bool add_bos) const {
  std::vector<int32_t> ids = tok_->encode(text, false);
  if (add_bos && tok_->bos() >= 0) ids.insert(ids.begin(), tok_->bos());
  return ids;
}

std::string CpuModel::detokenize(const std::vector<int32_t>& ids) const { return tok_->decode(ids); }

std::unique_ptr<Model> load_model(const std::filesystem::path& path, const LoadOptions& options) {
  return std::make_unique<CpuModel>(path, options);
}

}  // namespace ys::engine
