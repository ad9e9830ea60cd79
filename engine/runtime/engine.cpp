#include "engine/runtime/engine.h"

#include "common/error.h"
#include "common/hash.h"
#include "engine/model/requant.h"
#include "engine/runtime/engine_seq.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/jinja/errors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace ys::runtime {

namespace {
constexpr int64_t kBlockTokens = 16;  // positions per KV block
}

Engine::Engine(const std::filesystem::path& path, const engine::LoadOptions& options,
               const BackendFactory& make_backend)
    : file_(gguf::File::open(path)), h_(engine::read_hparams(file_)), opt_(options), index_(kBlockTokens) {
  std::optional<quant::Type> rq;
  if (options.quant) rq = engine::parse_requant_type(*options.quant, "--quant");
  const engine::KvType kv_type = engine::parse_kv_type(options.kv_type, "--kv-type");
  validate(options, path);
  be_ = make_backend();
  arch_ = engine::make_architecture({file_, h_, rq, *be_});
  tok_ = std::make_unique<tok::Tokenizer>(tok::vocab_from_gguf(file_));
  tok_->set_parse_special(options.parse_special);
  if (tok_->n_vocab() > h_.n_vocab)
    fail(ErrorKind::format, "{}: tokenizer has {} tokens but token_embd.weight only {} rows", path.string(),
         tok_->n_vocab(), h_.n_vocab);
  if (options.bos == "on" && tok_->bos() < 0)
    fail(ErrorKind::invalid_input, "--bos on: {} has no BOS token (tokenizer.ggml.bos_token_id)", path.string());
  n_ctx_ = options.max_context > 0 ? options.max_context : h_.n_ctx_train;
  engine::KvLayout kv = arch_->kv_layout();
  kv.block_tokens = kBlockTokens;
  kv.type = kv_type;
  kv.max_blocks_per_seq = (n_ctx_ + kBlockTokens - 1) / kBlockTokens;
  be_->kv_init(kv);
  pool_ = KvPool(be_.get(), kBlockTokens, options.kv_memory_bytes / be_->kv_block_bytes());
  info_.name = file_.get_string("general.name", path.stem().string());
  info_.architecture = h_.arch;
  info_.path = path.string();
  info_.sha256 = sha256_file(path);
  info_.weight_type = arch_->weight_type();
  info_.n_layers = h_.n_layer;
  info_.n_heads = h_.n_head;
  info_.n_kv_heads = h_.n_kv_head;
  info_.n_embd = h_.n_embd;
  info_.n_ff = h_.n_ff;
  info_.n_vocab = h_.n_vocab;
  info_.n_ctx = int(n_ctx_);
  info_.threads = be_->threads();
  info_.isa = be_->isa();
  info_.activations = be_->activations();
  info_.kv_type = engine::kv_type_name(kv_type);
  info_.device = be_->device();
}

// YS_RUNTIME_STATS=1: the scheduler's counts on stderr when the model goes (tools/gpu-check.sh
// compares them between devices).
Engine::~Engine() {
  const char* env = std::getenv("YS_RUNTIME_STATS");
  if (!env || std::string(env) != "1") return;
  const CacheStats s = cache_stats();
  fmt::print(stderr,
             "yardstick runtime [{}]: scoring {} positions computed, {} reused; {} steps, {} rows, {} output rows; "
             "generation {} prompt positions computed, {} reused, {} tokens; KV blocks of {} positions: {} allocated, "
             "{} copied on write, peak {} in use; prefix index {} saved, {} restored, {} evicted\n",
             info_.device, s.tokens_evaluated, s.tokens_reused, s.steps, s.rows, s.out_rows, gen_stats_.prompt_tokens,
             gen_stats_.reused_tokens, gen_stats_.generated_tokens, s.kv_block_tokens, s.kv.allocs, s.kv.cow_copies,
             s.kv.peak_in_use, s.store.saved_blocks, s.store.restored_blocks, s.store.evicted_blocks);
}

void Engine::validate(const engine::LoadOptions& o, const std::filesystem::path& path) const {
  (void)path;
  if (o.threads < 0) fail(ErrorKind::invalid_input, "--threads: expected >= 0, got {}", o.threads);
  if (o.max_context < 0) fail(ErrorKind::invalid_input, "max_context: expected >= 0, got {}", o.max_context);
  if (o.batch_size < 1) fail(ErrorKind::invalid_input, "batch_size: expected >= 1 sequences, got {}", o.batch_size);
  if (o.kv_memory_bytes <= 0)
    fail(ErrorKind::invalid_input, "--kv-memory: expected a positive byte count, got {}", o.kv_memory_bytes);
  if (o.bos != "auto" && o.bos != "on" && o.bos != "off")
    fail(ErrorKind::invalid_input, "--bos: expected auto, on or off, got '{}'", o.bos);
}

void Engine::check_kv_budget(int64_t n, const std::string& what) const {
  const int64_t need = pool_.blocks_for(n) * be_->kv_block_bytes();
  if (need > opt_.kv_memory_bytes)
    fail(ErrorKind::invalid_input,
         "{}: a sequence of {} tokens needs {} bytes ({:.1f} MiB) of key/value cache, more than the --kv-memory "
         "budget of {} bytes ({:.1f} MiB)",
         what, n, need, double(need) / 1048576.0, opt_.kv_memory_bytes, double(opt_.kv_memory_bytes) / 1048576.0);
}

std::vector<int32_t> Engine::encode_input(const std::string& text) const {
  return tok::encode_prompt(*tok_, text, opt_.bos);
}

std::string Engine::chat_template() const { return tok_->vocab().chat_template; }

std::string Engine::apply_chat_template(const std::vector<engine::ChatMessage>& messages,
                                        const engine::ChatOptions& options) const {
  std::vector<tok::ChatMessage> msgs;
  for (const engine::ChatMessage& m : messages) msgs.push_back({m.role, m.content});
  tok::ChatRenderOptions o;
  o.add_generation_prompt = options.add_generation_prompt;
  o.now = options.now;
  try {
    return tok::ChatTemplate::from_vocab(tok_->vocab()).render(msgs, o);
  } catch (const jinja::TemplateError& e) {
    throw engine::ChatTemplateError(e.what());
  }
}

std::vector<int32_t> Engine::tokenize(const std::string& text, bool add_bos) const {
  std::vector<int32_t> ids = tok_->encode(text, false);
  if (add_bos && tok_->bos() >= 0) ids.insert(ids.begin(), tok_->bos());
  return ids;
}

std::string Engine::detokenize(const std::vector<int32_t>& ids) const { return tok_->decode(ids); }

bool Engine::make_room(int64_t n) {
  while (pool_.in_use() + reserved_ + n > pool_.max_blocks()) {
    if (index_.evict_one(pool_)) continue;
    if (last_) {
      pool_.release_all(last_->blocks);
      last_.reset();
      continue;
    }
    return false;
  }
  return true;
}

bool Engine::admit(Seq& s, int64_t total, int64_t limit, const Seq* prev) {
  const int64_t B = pool_.block_tokens();
  limit = std::min<int64_t>(limit, int64_t(s.tokens.size()));
  int64_t shared = 0;
  if (opt_.prefix_cache && limit > 0) {
    int64_t lcp = 0;
    if (prev) {
      const int64_t m = std::min<int64_t>(limit, int64_t(prev->tokens.size()));
      while (lcp < m && prev->tokens[size_t(lcp)] == s.tokens[size_t(lcp)]) ++lcp;
    }
    std::vector<int32_t> hit;
    if (s.index_limit > 0) hit = index_.lookup(s.tokens.data(), limit);
    if (int64_t(hit.size()) * B >= lcp) {
      s.blocks = hit;
      for (int32_t b : s.blocks) pool_.retain(b);
      shared = int64_t(hit.size()) * B;
      index_.count_restored(int64_t(hit.size()));
    } else if (lcp > prev->n_done) {
      return false;  // the previous sequence is still computing this prefix: wait for it
    } else {
      pool_.share(prev->blocks, lcp, s.blocks);
      shared = lcp;
    }
  }
  const int64_t need = pool_.blocks_for(total) - shared / B;
  bool room = make_room(need);
  if (!room && shared % B != 0) {
    // A partly shared block is copied before the first write (one block more for a moment,
    // and its holders keep it): when memory is that short, share whole blocks only and
    // recompute the rest of that block. The need is the same; the block we let go may go.
    shared = shared / B * B;
    pool_.truncate(s.blocks, shared);
    room = make_room(need);
  }
  if (!room) {
    pool_.release_all(s.blocks);
    return false;
  }
  s.n_done = shared;
  s.reserved = need;
  s.indexed = 0;
  reserved_ += need;
  return true;
}

void Engine::run_step(const std::vector<Part>& parts, std::vector<OutRow>& outs) {
  step_tokens_.clear(), step_pos_.clear(), step_seqs_.clear(), step_out_.clear();
  outs.clear();
  int64_t row = 0;
  for (const Part& p : parts) {
    Seq& s = *p.seq;
    const int64_t a = pool_.prepare_write(s.blocks, s.n_done, s.n_done + p.take);
    const int64_t from_reserve = std::min(a, s.reserved);
    s.reserved -= from_reserve;
    reserved_ -= from_reserve;
    step_seqs_.push_back({row, p.take, s.n_done, s.blocks.data(), int64_t(s.blocks.size())});
    for (int64_t i = 0; i < p.take; ++i) {
      const int64_t pos = s.n_done + i;
      const int32_t id = s.tokens[size_t(pos)];
      if (id < 0 || id >= h_.n_vocab)
        fail(ErrorKind::invalid_input, "token id {} at batch row {} is outside the vocabulary [0, {})", id, row + i,
             h_.n_vocab);
      step_tokens_.push_back(id);
      step_pos_.push_back(int32_t(pos));
      if (pos >= s.first_out) {
        step_out_.push_back(row + i);
        outs.push_back({&s, pos});
      }
    }
    row += p.take;
  }
  engine::Step st;
  st.tokens = step_tokens_.data();
  st.pos = step_pos_.data();
  st.n_rows = row;
  st.seqs = step_seqs_.data();
  st.n_seq = int64_t(step_seqs_.size());
  st.out_rows = step_out_.data();
  st.n_out = int64_t(step_out_.size());
  be_->run(st, [&] { arch_->forward(*be_, st); });
  ++stats_.steps;
  stats_.rows += row;
  stats_.out_rows += st.n_out;
  const int64_t B = pool_.block_tokens();
  for (const Part& p : parts) {
    Seq& s = *p.seq;
    s.n_done += p.take;
    const int64_t full = std::min(s.n_done, s.index_limit) / B;
    if (full > s.indexed) {
      index_.insert(s.tokens.data(), full * B, s.blocks, pool_);
      s.indexed = full;
    }
  }
}

void Engine::finish(Seq& s) {
  reserved_ -= s.reserved;
  s.reserved = 0;
  if (!opt_.prefix_cache) {
    pool_.release_all(s.blocks);
    return;
  }
  if (last_) pool_.release_all(last_->blocks);
  last_ = std::make_unique<Seq>();
  last_->tokens.assign(s.tokens.begin(), s.tokens.begin() + s.n_done);
  last_->n_done = s.n_done;
  pool_.truncate(s.blocks, s.n_done);
  last_->blocks = std::move(s.blocks);
  s.blocks.clear();
}

Engine::CacheStats Engine::cache_stats() const {
  CacheStats s = stats_;
  s.store = index_.stats();
  s.kv = pool_.stats();
  s.kv_blocks_in_use = pool_.in_use();
  s.kv_block_tokens = pool_.block_tokens();
  s.kv_block_bytes = be_->kv_block_bytes();
  return s;
}

}  // namespace ys::runtime
