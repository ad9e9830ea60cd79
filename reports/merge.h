// Folding result stores into one (`yardstick merge A.db B.db -o all.db`), and folding the
// shards of a sharded run (`yardstick run --shard I/N`, one run id per shard) into one run.
//
// merge_store(out, in), one IMMEDIATE transaction per input (all or nothing):
//   hardware        by id (INSERT OR IGNORE)
//   runs            by id; an id present in both must have identical provenance (kind,
//                   suite, model sha256, quant, settings, datasets, protocol, protocol
//                   version, code version, seed, hardware) or the merge fails naming the
//                   field; a run "done" in the input replaces the status, timings and
//                   metrics of one that is not done in the output
//   samples         by (run_id, doc_id)
//   metrics         by (run_id, name)
//   perf / kernel   by content (every column but the row id)
// Merging the same inputs again adds nothing (idempotent).
#pragma once

#include "runner/store/records.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ys::reports {

struct MergeCounts {
  int64_t hardware = 0, runs = 0, runs_updated = 0, samples = 0, metrics = 0, perf = 0, kernels = 0;
};

MergeCounts merge_store(const std::string& out_path, const std::string& in_path);

// A complete set of done shard runs 1/N..N/N that differ only in the shard setting (and
// the hardware they ran on).
struct ShardGroup {
  std::vector<store::RunRecord> shards;  // by shard index
  std::string combined_id;               // deterministic: derived from the shard ids
  bool exists = false;                   // the combined run is already in the store
};

std::vector<ShardGroup> find_shard_groups(const std::string& db_path);

// Recomputes the metrics of the combined run from its samples (the runner supplies it:
// the suite's own aggregate over the samples in document order).
using AggregateFn =
    std::function<std::vector<store::MetricRecord>(const store::RunRecord& combined, const std::vector<store::SampleRecord>&)>;

// Writes the combined run (settings with shard "", samples = union, metrics = aggregate,
// wall_s/tokens = sums, status done) in one transaction; returns its id.
std::string combine_shards(const std::string& db_path, const ShardGroup& group, const AggregateFn& aggregate);

}  // namespace ys::reports
