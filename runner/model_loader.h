// Opens a model on the device a user asked for: "cpu" (the default) or "cuda[:N]".
// The one place above the engine that knows which backends were compiled in.
#pragma once

#include "engine/model/model.h"
#include "engine/remote/remote_model.h"
#include "runner/settings.h"
#include "runner/store/store.h"

#include <memory>
#include <string>

namespace ys::runner {

// Throws ys::Error(invalid_input) for an unknown device string and ys::Error(unsupported)
// for cuda when this binary was built without it or no GPU is visible.
std::unique_ptr<engine::Model> open_model(const std::string& path, const engine::LoadOptions& options,
                                          const std::string& device);

// A remote model (--model openai:URL#MODEL) for these settings, with its response cache
// kept in the result database at db_path (its own connection: the client calls it from
// its request threads). The API key is read from the environment variable the settings
// name, here and nowhere else. Throws ys::Error.
struct RemoteSetup {
  std::unique_ptr<engine::remote::ResponseCache> cache;
  std::unique_ptr<engine::remote::RemoteModel> model;
};
RemoteSetup open_remote_model(const RunSettings& s, const std::string& db_path);

// The hardware record of a remote run: "remote" with the endpoint's host and the served
// model name (compare --by hardware puts it next to a local run).
store::HardwareRecord remote_hardware(const engine::remote::Endpoint& e);

// $ per 1M prompt and completion tokens for the served model: --price-in/--price-out, else
// the --price-file entry for the model (or "*"); negative when unknown. Throws ys::Error
// naming the file for a malformed price file.
std::pair<double, double> remote_prices(const RunSettings& s, const std::string& served_model);

// Adds this attempt's remote usage to the run's perf rows (replaced, so a resumed run keeps
// one cumulative row each): requests, cached, failed, retries, prompt/completion tokens as
// the server reported them (all, and those sent now), and with known prices cost_usd,
// cost_usd_per_1000_questions and spent_usd (the tokens sent now).
void record_remote_usage(store::Store& st, const std::string& run_id, const engine::remote::RemoteUsage& delta,
                         std::pair<double, double> prices, int64_t questions);

}  // namespace ys::runner
