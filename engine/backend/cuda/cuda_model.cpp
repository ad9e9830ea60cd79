#include "engine/backend/cuda/cuda_model.h"

#include "common/error.h"
#include "common/hash.h"
#include "engine/backend/cuda/cuda_model_impl.h"
#include "engine/model/requant.h"

#include <algorithm>

namespace ys::cuda {

namespace {
constexpr int64_t kChunk = 512;  // tokens per forward call (prefill)
}

CudaModel::CudaModel(const std::filesystem::path& path, const engine::LoadOptions& options, int device_index)
    : file_(gguf::File::open(path)), h_(engine::read_hparams(file_)) {
  std::string why;
  if (!engine::cuda_available(&why)) fail(ErrorKind::invalid_input, "--device cuda:{}: {}", device_index, why);
  if (options.activations != "f32")
    fail(ErrorKind::unsupported, "--activations {}: the CUDA backend computes with f32 activations only",
         options.activations);
  init_device(device_index);
  std::optional<quant::Type> rq;
  if (options.quant) rq = engine::parse_requant_type(*options.quant, "--quant");
  w_ = engine::load_weights(file_, h_, rq);
  tok_ = std::make_unique<tok::Tokenizer>(tok::vocab_from_gguf(file_));
  if (tok_->n_vocab() > h_.n_vocab)
    fail(ErrorKind::format, "{}: tokenizer has {} tokens but token_embd.weight only {} rows", path.string(),
         tok_->n_vocab(), h_.n_vocab);
  if (options.max_context < 0)
    fail(ErrorKind::invalid_input, "max_context: expected >= 0, got {}", options.max_context);
  dw_ = upload_weights(*w_, h_);
  const int n_ctx = options.max_context > 0 ? options.max_context : h_.n_ctx_train;
  fwd_ = std::make_unique<CudaForward>(h_, *dw_, n_ctx, kChunk, options.deterministic);
  targets_.reserve(kChunk * sizeof(int32_t));
  logprob_.reserve(kChunk * sizeof(double));
  argmax_.reserve(kChunk * sizeof(int32_t));
  const std::vector<engine::CudaDeviceInfo> devs = engine::cuda_devices();
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
  info_.threads = 1;
  info_.activations = "f32";
  info_.isa = fmt::format("cuda:{} {}{}", device_index,
                          size_t(device_index) < devs.size() ? devs[size_t(device_index)].name : std::string("?"),
                          options.deterministic ? " deterministic" : "");
}

void CudaModel::eval(const std::vector<int32_t>& tokens, int64_t first_out, const std::vector<int32_t>& targets,
                     bool want_logits, const RowFn& fn) {
  const int64_t n = int64_t(tokens.size());
  if (n > fwd_->n_ctx())
    fail(ErrorKind::invalid_input, "{} tokens do not fit the context window of {}", n, fwd_->n_ctx());
  if (!targets.empty() && int64_t(targets.size()) != n - first_out)
    fail(ErrorKind::internal, "CudaModel::eval: {} targets for {} output positions", targets.size(), n - first_out);
  int64_t keep = 0;
  const int64_t limit = std::min({int64_t(cached_.size()), n, first_out});
  while (keep < limit && cached_[size_t(keep)] == tokens[size_t(keep)]) ++keep;
  cached_.resize(size_t(keep));
  fwd_->truncate(keep);
  std::vector<double> lp;
  std::vector<int32_t> am;
  std::vector<float> host_logits;
  for (int64_t p0 = keep; p0 < n; p0 += kChunk) {
    const int64_t m = std::min(kChunk, n - p0);
    const int64_t ob = std::clamp<int64_t>(first_out - p0, 0, m), n_out = m - ob;
    fwd_->forward(&tokens[size_t(p0)], m, ob, n_out);
    cached_.insert(cached_.end(), tokens.begin() + p0, tokens.begin() + p0 + m);
    if (n_out == 0) continue;
    const int32_t* tg = nullptr;
    if (!targets.empty()) {
      to_device(targets_.data(), &targets[size_t(p0 + ob - first_out)], size_t(n_out) * sizeof(int32_t));
      tg = targets_.as<int32_t>();
    }
    row_stats(fwd_->logits(), n_out, h_.n_vocab, tg, logprob_.as<double>(), argmax_.as<int32_t>());
    lp = download<double>(logprob_.data(), size_t(n_out));
    am = download<int32_t>(argmax_.data(), size_t(n_out));
    if (want_logits) host_logits = download<float>(fwd_->logits(), size_t(n_out * h_.n_vocab));
    for (int64_t i = 0; i < n_out; ++i)
      fn(p0 + ob + i, lp[size_t(i)], am[size_t(i)], want_logits ? &host_logits[size_t(i * h_.n_vocab)] : nullptr);
  }
}

void CudaModel::forward_raw(const std::vector<int32_t>& tokens, int64_t n_out) {
  const int64_t m = int64_t(tokens.size());
  n_out = std::clamp<int64_t>(n_out, 0, m);
  fwd_->forward(tokens.data(), m, m - n_out, n_out);
  cached_.insert(cached_.end(), tokens.begin(), tokens.end());
  if (n_out > 0) row_stats(fwd_->logits(), n_out, h_.n_vocab, nullptr, logprob_.as<double>(), argmax_.as<int32_t>());
  synchronize();
}

std::vector<engine::TokenLogprob> CudaModel::token_logprobs(const std::string& text) {
  const std::vector<int32_t> ids = tok_->encode(text, true);
  std::vector<engine::TokenLogprob> out(ids.size());
  if (ids.empty()) return out;
  out[0] = {ids[0], 0.0, ids[0]};
  const std::vector<int32_t> input(ids.begin(), ids.end() - 1);
  const std::vector<int32_t> targets(ids.begin() + 1, ids.end());
  eval(input, 0, targets, false, [&](int64_t pos, double lp, int32_t am, const float*) {
    out[size_t(pos + 1)] = {ids[size_t(pos + 1)], lp, am};
  });
  return out;
}

std::vector<int32_t> CudaModel::tokenize(const std::string& text, bool add_bos) const {
  std::vector<int32_t> ids = tok_->encode(text, false);
  if (add_bos && tok_->bos() >= 0) ids.insert(ids.begin(), tok_->bos());
  return ids;
}

std::string CudaModel::detokenize(const std::vector<int32_t>& ids) const { return tok_->decode(ids); }

}  // namespace ys::cuda

namespace ys::engine {

std::unique_ptr<Model> load_cuda_model(const std::filesystem::path& path, const LoadOptions& options,
                                       int device_index) {
  return std::make_unique<cuda::CudaModel>(path, options, device_index);
}

}  // namespace ys::engine
