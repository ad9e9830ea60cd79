// `yardstick metric bleu|chrf --hyp FILE --ref FILE [--ref FILE2 ...] [--json] [--width N]`:
// corpus BLEU or chrF of a hypothesis file against one or more reference files, with
// sacrebleu 2.6.0's defaults, score line and signature (what `sacrebleu REF... -i HYP
// -m bleu|chrf -f text|json` prints; --width defaults to 1 as in sacrebleu's CLI).
// Files are read like sacrebleu's CLI: UTF-8 lines split on "\n", each line rstrip()ped.
#include "common/error.h"
#include "datasets/csv.h"
#include "runner/cli.h"
#include "suites/metrics/bleu.h"
#include "suites/metrics/chrf.h"
#include "suites/metrics/pystr.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

struct MetricFlags {
  std::string metric;
  std::string hyp;
  std::vector<std::string> refs;
  bool json = false;
  int width = 1;
};

std::vector<std::string> read_lines(const std::string& path) {
  const std::string text = ys::datasets::read_text_file(path);
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.emplace_back(ys::metrics::py_rstrip(std::string_view(text).substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return lines;
}

// sacrebleu Score.format(..., is_json=True): name, score rounded to `width`, signature,
// verbose part (BLEU only), then every signature key.
std::string to_json(const std::string& name, const std::string& score_text, const std::string& signature,
                    const std::string& verbose) {
  nlohmann::ordered_json j;
  j["name"] = name;
  j["score"] = std::stod(score_text);
  j["signature"] = signature;
  if (!verbose.empty()) j["verbose_score"] = verbose;
  size_t pos = 0;
  while (pos <= signature.size()) {
    size_t bar = signature.find('|', pos);
    if (bar == std::string::npos) bar = signature.size();
    const std::string kv = signature.substr(pos, bar - pos);
    const size_t colon = kv.find(':');
    j[kv.substr(0, colon)] = kv.substr(colon + 1);
    pos = bar + 1;
  }
  return j.dump(1, ' ', false);
}

int run_metric(const MetricFlags& f) {
  const std::vector<std::string> hyps = read_lines(f.hyp);
  std::vector<std::vector<std::string>> refs;
  for (const std::string& r : f.refs) {
    refs.push_back(read_lines(r));
    if (refs.back().size() != hyps.size())
      ys::fail(ys::ErrorKind::format, "--ref {}: {} lines, but --hyp {} has {} (files must be line-aligned)", r,
               refs.back().size(), f.hyp, hyps.size());
  }
  const int nrefs = static_cast<int>(refs.size());
  if (f.metric == "bleu") {
    const ys::metrics::BleuScore s = ys::metrics::corpus_bleu(hyps, refs);
    const std::string line = ys::metrics::bleu_score_line(s, nrefs, f.width);
    if (!f.json) {
      fmt::print("{}\n", line);
      return ys::cli::kExitOk;
    }
    const std::string score_text = fmt::format("{:.{}f}", s.score, f.width);
    const size_t verbose_at = line.find(' ', line.find(" = ") + 3);
    fmt::print("{}\n", to_json("BLEU", score_text, ys::metrics::bleu_signature(nrefs), line.substr(verbose_at + 1)));
    return ys::cli::kExitOk;
  }
  const double score = ys::metrics::corpus_chrf(hyps, refs);
  if (!f.json) {
    fmt::print("{}\n", ys::metrics::chrf_score_line(score, nrefs, f.width));
  } else {
    const std::string score_text = fmt::format("{:.{}f}", score, f.width);
    fmt::print("{}\n", to_json("chrF2", score_text, ys::metrics::chrf_signature(nrefs), ""));
  }
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg(
    "metric", "Corpus BLEU or chrF of a hypothesis file against reference files (sacrebleu 2.6.0 compatible)",
    [](CLI::App& sub) -> ys::cli::RunFn {
      auto f = std::make_shared<MetricFlags>();
      sub.add_option("metric", f->metric, "bleu or chrf")->required()->check(CLI::IsMember({"bleu", "chrf"}));
      sub.add_option("--hyp", f->hyp, "hypothesis file, one segment per line")->required();
      sub.add_option("--ref", f->refs, "reference file, line-aligned with --hyp (repeat for several references)")
          ->required();
      sub.add_flag("--json", f->json, "print sacrebleu's JSON record instead of the score line");
      sub.add_option("--width", f->width, "decimals of the score (default 1, as sacrebleu's CLI)")
          ->check(CLI::Range(0, 10));
      return [f] { return run_metric(*f); };
    });

}  // namespace
