// The one path a run takes (ARCHITECTURE.md): settings -> store record -> task ->
// engine requests in batches -> sample records as they finish -> metrics.
#pragma once

#include "engine/model/model.h"
#include "engine/remote/remote_model.h"
#include "runner/settings.h"
#include "runner/store/store.h"
#include "suites/suite.h"

#include <memory>
#include <string>
#include <vector>

namespace ys::runner {

struct SuiteOutcome {
  std::string run_id;
  std::string suite;
  std::vector<store::MetricRecord> metrics;
  int64_t docs = 0;
  double wall_s = 0;
  int64_t tokens = 0;
  engine::GenerateStats gen;  // this run's share of the engine's generation counters
};

class Pipeline {
 public:
  Pipeline(RunSettings settings, store::Store& store);
  // Runs every suite of the settings (or continues settings.resume); returns one outcome
  // per suite. Throws ys::Error on bad input; a failure mid-run marks the run failed.
  std::vector<SuiteOutcome> run();

 private:
  SuiteOutcome run_suite(const std::string& suite, const std::string& resume_id);
  engine::Model& model();
  engine::Model& baseline_model();  // the quant suite's baseline weights (--baseline-quant, default f32)

  RunSettings settings_;
  store::Store& store_;
  std::unique_ptr<engine::Model> model_;
  std::unique_ptr<engine::Model> baseline_;
  std::string model_sha256_;
  std::string hardware_id_;
  std::unique_ptr<engine::remote::ResponseCache> remote_cache_;  // remote models only
  engine::remote::RemoteModel* remote_ = nullptr;                // model_, when it is remote
  int64_t chat_now_ = -1;  // strftime_now() clock of chat-template prompts, fixed for the run
};

// The suite's options for these settings; suite-specific keys go only to their suite.
suites::TaskOptions task_options_for(const RunSettings& s, const std::string& suite);
// A stored sample record back as the suite's Sample.
suites::Sample sample_from_record(const store::SampleRecord& r);

// Prints the summary table (metric, value ± stderr, n) of finished suites.
void print_summary(const std::vector<SuiteOutcome>& outcomes);

}  // namespace ys::runner
