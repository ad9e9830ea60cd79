#include "runner/pipeline.h"

#include "common/error.h"
#include "common/hash.h"
#include "common/version.h"
#include "runner/hardware.h"
#include "runner/model_loader.h"
#include "runner/progress.h"
#include "suites/suite.h"

#include <fmt/core.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <csignal>
#include <map>
#include <set>
#include <sstream>

namespace ys::runner {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int) { g_interrupted.store(true); }

struct SignalGuard {
  using Handler = void (*)(int);
  Handler old_int, old_term;
  SignalGuard() : old_int(std::signal(SIGINT, on_signal)), old_term(std::signal(SIGTERM, on_signal)) {}
  ~SignalGuard() {
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
  }
};

// The documents of a suite this run evaluates: the first `limit`, then shard I/N by index.
std::vector<size_t> select_docs(size_t size, const RunSettings& s) {
  size_t n = s.limit > 0 ? std::min(size, static_cast<size_t>(s.limit)) : size;
  size_t shard_i = 0, shard_n = 1;
  if (!s.shard.empty()) {
    char slash = 0;
    std::stringstream ss(s.shard);
    ss >> shard_i >> slash >> shard_n;
    shard_i -= 1;
  }
  std::vector<size_t> docs;
  for (size_t i = 0; i < n; ++i) {
    if (i % shard_n == shard_i) docs.push_back(i);
  }
  return docs;
}

}  // namespace

suites::TaskOptions task_options_for(const RunSettings& s, const std::string& suite) {
  suites::TaskOptions o;
  o.data_dir = s.data_dir;
  o.num_fewshot = s.num_fewshot;
  o.chat_template = s.chat_template;
  o.fewshot_as_multiturn = s.fewshot_as_multiturn;
  if (!s.system_instruction.empty()) o.system_instruction = s.system_instruction;
  o.gen_samples = s.samples;
  o.sampler.temperature = s.temperature;
  o.sampler.top_p = s.top_p;
  o.sampler.seed = s.seed;
  // Suite-specific options go only to the suite that understands them.
  if (suite == "mmlu" && s.limit_per_subject > 0) o.extra["limit_per_subject"] = std::to_string(s.limit_per_subject);
  if (suite == "mmlu" && !s.subjects.empty()) o.extra["subjects"] = s.subjects;
  if (suite == "humaneval" && s.unsafe_no_sandbox) o.extra["sandbox"] = "unsafe";
  if (suite == "quant" && !s.text_file.empty()) o.extra["text_file"] = s.text_file;
  return o;
}

namespace {

// Model output may hold invalid UTF-8 (a token split mid-character): stored as U+FFFD.
std::string dump_lenient(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

store::SampleRecord to_record(const suites::Sample& s) {
  store::SampleRecord r;
  r.doc_id = s.doc_id;
  r.prompt_hash = s.prompt_hash;
  r.request_json = dump_lenient(s.request);
  r.output_json = dump_lenient(s.output);
  r.target = s.target;
  r.scores_json = dump_lenient(nlohmann::json(s.scores));
  r.extra_json = dump_lenient(s.extra);
  return r;
}

}  // namespace

suites::Sample sample_from_record(const store::SampleRecord& r) {
  suites::Sample s;
  s.doc_id = r.doc_id;
  s.prompt_hash = r.prompt_hash;
  s.request = nlohmann::json::parse(r.request_json);
  s.output = nlohmann::json::parse(r.output_json);
  s.target = r.target;
  s.scores = nlohmann::json::parse(r.scores_json).get<std::map<std::string, double>>();
  s.extra = nlohmann::json::parse(r.extra_json);
  return s;
}

namespace {

// Executes one batch of documents through the engine and scores them.
// Documents whose requests came back with an error (a remote server's message after the
// retries) are not scored: they go to `failed` and a resumed run retries them.
std::vector<suites::Sample> run_batch(const suites::Task& task, engine::Model& model, engine::Model* baseline,
                                      const std::vector<size_t>& batch, int64_t& tokens,
                                      std::vector<store::SampleFailure>& failed, bool count_contexts) {
  if (task.compares_models()) {
    std::vector<suites::Sample> out;
    for (size_t i : batch) {
      out.push_back(task.evaluate_pair(i, model, *baseline));
      tokens += 2 * out.back().request.value("n_tokens", int64_t{0});
    }
    return out;
  }
  std::vector<suites::DocRequests> reqs;
  std::vector<engine::LoglikelihoodRequest> ll;
  std::vector<engine::GenerateRequest> gen;
  for (size_t i : batch) {
    reqs.push_back(task.requests(i));
    ll.insert(ll.end(), reqs.back().loglikelihood.begin(), reqs.back().loglikelihood.end());
    gen.insert(gen.end(), reqs.back().generate.begin(), reqs.back().generate.end());
  }
  std::vector<engine::LoglikelihoodResult> ll_res = ll.empty() ? decltype(ll_res){} : model.loglikelihood(ll);
  std::vector<engine::GenerateResult> gen_res = gen.empty() ? decltype(gen_res){} : model.generate(gen);
  if (ll_res.size() != ll.size() || gen_res.size() != gen.size()) {
    fail(ErrorKind::internal, "engine returned {} + {} results for {} + {} requests", ll_res.size(), gen_res.size(),
         ll.size(), gen.size());
  }
  std::vector<suites::DocResults> results(batch.size());
  std::vector<size_t> ok_docs;
  std::vector<suites::DocRequests> ok_reqs;
  std::vector<suites::DocResults> ok_results;
  size_t ll_at = 0, gen_at = 0;
  for (size_t b = 0; b < batch.size(); ++b) {
    suites::DocResults& res = results[b];
    std::string error;
    std::set<std::string> contexts;  // tokens/s counts each distinct context once, as a prompt
    for (size_t k = 0; k < reqs[b].loglikelihood.size(); ++k) {
      res.loglikelihood.push_back(ll_res[ll_at++]);
      if (error.empty()) error = res.loglikelihood.back().error;
      tokens += res.loglikelihood.back().n_tokens;
      const std::string& ctx = reqs[b].loglikelihood[k].context;
      if (count_contexts && contexts.insert(ctx).second) tokens += static_cast<int64_t>(model.tokenize(ctx, false).size());
    }
    for (size_t k = 0; k < reqs[b].generate.size(); ++k) {
      res.generate.push_back(gen_res[gen_at++]);
      if (error.empty()) error = res.generate.back().error;
      tokens += res.generate.back().n_tokens + res.generate.back().n_prompt_tokens;
    }
    if (!error.empty()) {
      failed.push_back({task.doc_id(batch[b]), error, ""});
      continue;
    }
    ok_docs.push_back(batch[b]);
    ok_reqs.push_back(std::move(reqs[b]));
    ok_results.push_back(std::move(res));
  }
  if (ok_docs.empty()) return {};
  return task.score_batch(ok_docs, ok_reqs, ok_results);
}

// True when every pending document asks only for generations (gsm8k, humaneval, WMT):
// such a run streams through the engine in one call (Pipeline::run_suite).
bool generation_only(const suites::Task& task, const std::vector<size_t>& pending) {
  if (pending.empty() || task.compares_models()) return false;
  const suites::DocRequests first = task.requests(pending.front());
  return !first.generate.empty() && first.loglikelihood.empty();
}

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

// The strftime_now() clock a chat-template run recorded ("chat_template_now" in its
// protocol JSON), so a resumed run renders the same prompts; -1 when absent.
int64_t stored_chat_now(const std::string& protocol_json) {
  const nlohmann::json j = nlohmann::json::parse(protocol_json, nullptr, false);
  if (!j.is_object() || !j.contains("chat_template_now") || !j["chat_template_now"].is_string()) return -1;
  std::tm tm{};
  const std::string s = j["chat_template_now"].get<std::string>();
  if (s.empty() || strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Pipeline::Pipeline(RunSettings settings, store::Store& store) : settings_(std::move(settings)), store_(store) {
  normalize_remote(settings_);
}

engine::Model& Pipeline::model() {
  if (!model_ && is_remote(settings_)) {
    RemoteSetup r = open_remote_model(settings_, store_.path());
    remote_cache_ = std::move(r.cache);
    remote_ = r.model.get();
    model_ = std::move(r.model);
    model_sha256_ = model_->info().sha256;
  }
  if (!model_) {
    engine::LoadOptions lo;
    if (!settings_.quant.empty()) lo.quant = settings_.quant;
    lo.activations = settings_.activations;
    lo.threads = settings_.threads;
    lo.batch_size = settings_.batch_size;
    lo.kv_memory_bytes = parse_memory_size(settings_.kv_memory);
    lo.prefix_cache = !settings_.no_prefix_cache;
    lo.bos = settings_.bos;
    lo.parse_special = settings_.parse_special != "off";
    lo.deterministic = settings_.deterministic;
    lo.kv_type = settings_.kv_type;
    lo.cpu_gemm = settings_.cpu_gemm;
    model_ = open_model(settings_.model, lo, settings_.device);
    model_sha256_ = model_->info().sha256;
  }
  return *model_;
}

engine::Model& Pipeline::baseline_model() {
  if (!baseline_) {
    engine::LoadOptions lo;
    lo.quant = settings_.baseline_quant.empty() ? std::string("f32") : settings_.baseline_quant;
    lo.activations = "f32";
    lo.threads = settings_.threads;
    lo.kv_memory_bytes = parse_memory_size(settings_.kv_memory);
    lo.bos = settings_.bos;
    lo.parse_special = settings_.parse_special != "off";
    lo.deterministic = settings_.deterministic;
    lo.kv_type = settings_.kv_type;
    baseline_ = open_model(settings_.model, lo, settings_.device);
  }
  return *baseline_;
}

std::vector<SuiteOutcome> Pipeline::run() {
  std::vector<SuiteOutcome> outcomes;
  if (!settings_.resume.empty()) {
    std::string id = store_.resolve_run_id(settings_.resume);
    std::optional<store::RunRecord> rec = store_.get_run(id);
    if (rec->status == "done") fail(ErrorKind::invalid_input, "--resume {}: that run already finished", id);
    const nlohmann::json stored_json = nlohmann::json::parse(rec->settings_json);
    RunSettings stored = settings_from_json(stored_json, "run " + id);
    // Runs stored before --activations existed computed with 8-bit activations.
    if (stored_json.is_object() && !stored_json.contains("activations")) stored.activations = "int8";
    stored.threads = settings_.threads;        // do not change results
    stored.batch_size = settings_.batch_size;  // do not change results
    stored.data_dir = settings_.data_dir;
    // Remote: how requests are sent, never what is asked.
    stored.concurrency = settings_.concurrency, stored.request_timeout = settings_.request_timeout;
    stored.retries = settings_.retries, stored.no_cache = settings_.no_cache;
    settings_ = stored;
    chat_now_ = stored_chat_now(rec->protocol_json);
    outcomes.push_back(run_suite(rec->suite, id));
    return outcomes;
  }
  if (!settings_.subjects.empty() && std::find(settings_.suites.begin(), settings_.suites.end(), "mmlu") == settings_.suites.end())
    fail(ErrorKind::invalid_input, "--subjects applies to the mmlu suite, which is not among --suite");
  chat_now_ = static_cast<int64_t>(std::time(nullptr));
  for (const std::string& suite : settings_.suites) outcomes.push_back(run_suite(suite, ""));
  return outcomes;
}

SuiteOutcome Pipeline::run_suite(const std::string& suite, const std::string& resume_id) {
  auto t0 = std::chrono::steady_clock::now();
  suites::TaskOptions options = task_options_for(settings_, suite);
  if (settings_.chat_template) {  // the suites render through the model's own template
    const engine::Model& cm = model();
    options.chat_template_source = cm.chat_template();
    options.chat_now = chat_now_;
    const int64_t now = chat_now_;
    options.chat_render = [&cm, now](const std::vector<engine::ChatMessage>& msgs, bool add_generation_prompt) {
      engine::ChatOptions co;
      co.add_generation_prompt = add_generation_prompt;
      co.now = now;
      return cm.apply_chat_template(msgs, co);
    };
  }
  std::unique_ptr<suites::Task> task = suites::make_task(suite, options);
  std::vector<size_t> docs = select_docs(task->size(), settings_);
  if (hardware_id_.empty())
    hardware_id_ = store_.upsert_hardware(is_remote(settings_) ? remote_hardware(engine::remote::parse_model_spec(settings_.model))
                                                               : to_record(detect_hardware()));
  engine::Model& m = model();
  if (remote_ != nullptr) remote_->set_cache_scope(suite + "@" + task->protocol_version());
  const engine::remote::RemoteUsage usage0 = remote_ != nullptr ? remote_->usage() : engine::remote::RemoteUsage{};

  RunSettings for_record = settings_;
  for_record.suites = {suite};
  if (m.info().threads > 0) for_record.threads = m.info().threads;  // the count used, not 0 = all cores
  store::RunRecord rec;
  rec.kind = task->compares_models() ? "quant" : "eval";
  rec.suite = suite;
  rec.model_path = settings_.model;
  rec.model_sha256 = model_sha256_;
  rec.quant = settings_.quant.empty() ? m.info().weight_type : settings_.quant;
  if (m.info().activations == "int8") rec.quant += " act=int8";  // compare --by quant keeps them apart
  if (settings_.cpu_gemm != "engine") rec.quant += " gemm=" + settings_.cpu_gemm;
  rec.settings_json = for_record.to_json().dump();
  rec.dataset_json = nlohmann::json(task->dataset_hashes()).dump();
  rec.protocol_json = task->protocol().dump();
  rec.protocol_version = task->protocol_version();
  rec.code_version = git_commit();
  rec.seed = static_cast<int64_t>(settings_.seed);
  rec.hardware_id = hardware_id_;
  rec.tag = settings_.tag;

  std::string run_id = resume_id;
  double previous_wall = 0;
  int64_t tokens = 0;
  if (run_id.empty()) {
    run_id = store_.create_run(rec);
  } else {
    store::RunRecord old = *store_.get_run(run_id);
    if (old.model_sha256 != rec.model_sha256) fail(ErrorKind::invalid_input, "--resume {}: the model file changed (sha256 {} != {})", run_id, rec.model_sha256, old.model_sha256);
    if (old.dataset_json != rec.dataset_json) fail(ErrorKind::invalid_input, "--resume {}: the dataset files changed", run_id);
    if (old.protocol_version != rec.protocol_version) fail(ErrorKind::invalid_input, "--resume {}: protocol version {} != {}", run_id, rec.protocol_version, old.protocol_version);
    previous_wall = old.wall_s.value_or(0);
    tokens = old.tokens.value_or(0);
  }
  std::set<std::string> finished = store_.finished_doc_ids(run_id);
  std::vector<size_t> pending;
  for (size_t i : docs) {
    if (!finished.count(task->doc_id(i))) pending.push_back(i);
  }

  SignalGuard guard;
  try {
    Progress progress(suite, static_cast<int64_t>(docs.size()), static_cast<int64_t>(docs.size() - pending.size()));
    const size_t bs = static_cast<size_t>(settings_.batch_size);
    const engine::GenerateStats gen0 = m.generate_stats();
    auto store_samples = [&](const std::vector<suites::Sample>& samples, int64_t batch_tokens) {
      std::vector<store::SampleRecord> records;
      for (const auto& s : samples) records.push_back(to_record(s));
      store_.append_samples(run_id, records);
      tokens += batch_tokens;
      progress.advance(static_cast<int64_t>(samples.size()), batch_tokens);
    };
    auto check_interrupt = [&] {
      if (g_interrupted.load()) fail(ErrorKind::io, "interrupted; continue with `yardstick run --resume {}`", run_id);
    };
    if (generation_only(*task, pending)) {
      // Every pending document's requests go to the engine in ONE call, so continuous
      // batching never drains between groups of documents; documents are scored and stored
      // in groups of --batch-size as their requests finish.
      std::vector<suites::DocRequests> reqs(pending.size());
      std::vector<suites::DocResults> results(pending.size());
      std::vector<size_t> left(pending.size());
      std::vector<engine::GenerateRequest> gen;
      std::vector<std::pair<size_t, size_t>> owner;  // request -> (pending slot, index in its document)
      std::vector<size_t> done;                      // finished slots not yet stored
      std::vector<std::string> error(pending.size());  // a request's error marks its document failed
      std::vector<store::SampleFailure> failed;
      for (size_t d = 0; d < pending.size(); ++d) {
        reqs[d] = task->requests(pending[d]);
        if (!reqs[d].loglikelihood.empty())
          fail(ErrorKind::internal, "{}: document {} mixes loglikelihood and generation requests", suite, task->doc_id(pending[d]));
        left[d] = reqs[d].generate.size();
        results[d].generate.resize(left[d]);
        for (size_t k = 0; k < left[d]; ++k) gen.push_back(reqs[d].generate[k]), owner.emplace_back(d, k);
        if (left[d] == 0) done.push_back(d);
      }
      auto flush = [&] {
        store_.record_failures(run_id, failed);
        failed.clear();
        if (done.empty()) return;
        std::vector<size_t> ids;
        std::vector<suites::DocRequests> rq;
        std::vector<suites::DocResults> rs;
        int64_t batch_tokens = 0;
        for (size_t d : done) {
          ids.push_back(pending[d]);
          rq.push_back(std::move(reqs[d]));
          rs.push_back(std::move(results[d]));
          for (const auto& g : rs.back().generate) batch_tokens += g.n_tokens + g.n_prompt_tokens;
        }
        done.clear();
        store_samples(task->score_batch(ids, rq, rs), batch_tokens);
      };
      const std::vector<engine::GenerateResult> all =
          m.generate_streamed(gen, [&](size_t i, const engine::GenerateResult& r) {
            if (i >= owner.size()) fail(ErrorKind::internal, "engine reported request {} of {}", i, owner.size());
            const auto [d, k] = owner[i];
            results[d].generate[k] = r;
            if (error[d].empty()) error[d] = r.error;
            if (--left[d] == 0) {
              if (error[d].empty()) done.push_back(d);
              else failed.push_back({task->doc_id(pending[d]), error[d], ""});
            }
            if (done.size() >= bs) flush();
            if (g_interrupted.load()) flush(), check_interrupt();
          });
      if (all.size() != gen.size())
        fail(ErrorKind::internal, "engine returned {} results for {} requests", all.size(), gen.size());
      for (size_t d = 0; d < pending.size(); ++d)
        if (left[d] != 0) fail(ErrorKind::internal, "document {}: {} requests never reported done", task->doc_id(pending[d]), left[d]);
      flush();
    } else {
      for (size_t at = 0; at < pending.size(); at += bs) {
        std::vector<size_t> batch(pending.begin() + static_cast<std::ptrdiff_t>(at),
                                  pending.begin() + static_cast<std::ptrdiff_t>(std::min(pending.size(), at + bs)));
        int64_t batch_tokens = 0;
        std::vector<store::SampleFailure> failed;
        std::vector<suites::Sample> samples = run_batch(*task, m, task->compares_models() ? &baseline_model() : nullptr,
                                                        batch, batch_tokens, failed, remote_ == nullptr);
        store_.record_failures(run_id, failed);
        store_samples(samples, batch_tokens);
        check_interrupt();
      }
    }
    progress.finish();
    if (remote_ != nullptr)
      record_remote_usage(store_, run_id, remote_->usage() - usage0, remote_prices(settings_, remote_->info().name),
                          int64_t(docs.size()));
    if (const std::vector<store::SampleFailure> failures = store_.get_failures(run_id); !failures.empty())
      fail(ErrorKind::io, "{} of {} documents failed after their retries (first, {}: {}); `yardstick run --resume {}` "
           "retries only those", failures.size(), docs.size(), failures[0].doc_id, failures[0].error, run_id);

    // Aggregate from the store, in document order, so a resumed run equals an uninterrupted one.
    std::map<std::string, suites::Sample> by_id;
    for (const store::SampleRecord& r : store_.get_samples(run_id)) by_id.emplace(r.doc_id, sample_from_record(r));
    std::vector<suites::Sample> ordered;
    for (size_t i : docs) {
      auto it = by_id.find(task->doc_id(i));
      if (it == by_id.end()) fail(ErrorKind::internal, "run {}: sample {} missing after the run", run_id, task->doc_id(i));
      ordered.push_back(std::move(it->second));
    }
    std::vector<store::MetricRecord> metrics;
    for (const suites::Metric& mt : task->aggregate(ordered)) {
      store::MetricRecord r;
      r.name = mt.name;
      r.value = mt.value;
      if (mt.stderr_ == mt.stderr_) r.std_err = mt.stderr_;
      r.n = mt.n;
      r.headline = mt.headline;
      metrics.push_back(r);
    }
    store_.set_metrics(run_id, metrics);
    const engine::GenerateStats gen = m.generate_stats() - gen0;
    if (gen.decode_steps > 0) {  // generation throughput, kept with the run (yardstick show)
      const std::pair<const char*, double> rows[] = {
          {"generation_tokens_per_s", ratio(double(gen.decode_rows), gen.decode_seconds)},
          {"generation_mean_batch", ratio(double(gen.decode_rows), double(gen.decode_steps))},
          {"prompt_tokens_per_s", ratio(double(gen.prompt_tokens), gen.prefill_seconds)}};
      const char* units[] = {"tok/s", "sequences", "tok/s"};
      for (size_t i = 0; i < 3; ++i) {
        store::PerfRecord p;
        p.run_id = run_id;
        p.name = rows[i].first;
        p.value = rows[i].second;
        p.unit = units[i];
        p.extra_json = nlohmann::json{{"decode_steps", gen.decode_steps}, {"decode_rows", gen.decode_rows},
                                      {"decode_seconds", gen.decode_seconds}, {"prefill_steps", gen.prefill_steps},
                                      {"prompt_tokens", gen.prompt_tokens}, {"prefill_seconds", gen.prefill_seconds},
                                      {"reused_tokens", gen.reused_tokens}, {"generated_tokens", gen.generated_tokens},
                                      {"batch_size", settings_.batch_size}}.dump();
        store_.add_perf_result(p);
      }
    }
    double wall = previous_wall + seconds_since(t0);
    store_.finish_run(run_id, "done", wall, tokens, "");
    return SuiteOutcome{run_id, suite, store_.get_metrics(run_id), static_cast<int64_t>(docs.size()), wall, tokens, gen};
  } catch (const std::exception& e) {
    store_.finish_run(run_id, "failed", previous_wall + seconds_since(t0), tokens, e.what());
    throw;
  }
}

void print_summary(const std::vector<SuiteOutcome>& outcomes) {
  for (const SuiteOutcome& o : outcomes) {
    fmt::print("\n{}  (run {}, {} docs, {:.1f} s, {:.1f} tokens/s)\n", o.suite, o.run_id, o.docs, o.wall_s,
               o.wall_s > 0 ? static_cast<double>(o.tokens) / o.wall_s : 0.0);
    if (o.gen.decode_steps > 0) {
      fmt::print("  generation {:.1f} tok/s ({} tokens in {:.1f} s of decode steps, mean batch {:.1f}); "
                 "prompts {:.1f} tok/s ({} tokens in {:.1f} s, {} reused from the prefix cache)\n",
                 ratio(double(o.gen.decode_rows), o.gen.decode_seconds), o.gen.decode_rows,
                 o.gen.decode_seconds, ratio(double(o.gen.decode_rows), double(o.gen.decode_steps)),
                 ratio(double(o.gen.prompt_tokens), o.gen.prefill_seconds), o.gen.prompt_tokens,
                 o.gen.prefill_seconds, o.gen.reused_tokens);
    }
    fmt::print("  {:<40} {:>10} {:>10} {:>7}\n", "metric", "value", "± stderr", "n");
    int shown = 0;
    for (const store::MetricRecord& m : o.metrics) {
      if (!m.headline && shown >= 12) continue;
      std::string se = m.std_err ? fmt::format("{:.4f}", *m.std_err) : "-";
      fmt::print("  {:<40} {:>10.4f} {:>10} {:>7}\n", m.name, m.value, se, m.n);
      ++shown;
    }
    if (o.metrics.size() > static_cast<size_t>(shown)) {
      fmt::print("  ... {} more metrics: yardstick show {}\n", o.metrics.size() - static_cast<size_t>(shown), o.run_id);
    }
  }
}

}  // namespace ys::runner
