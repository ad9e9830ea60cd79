#include "tests/model/helpers.h"

#include "tests/model/reference.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ys::test {

std::filesystem::path synth_file(const std::string& name, const engine::SynthSpec& spec) {
  static std::set<std::string> written;
  const auto dir = std::filesystem::path(YS_BINARY_DIR) / "test_tmp" / "model";
  std::filesystem::create_directories(dir);
  const auto path = dir / (name + ".gguf");
  if (!written.count(name)) {
    engine::write_synth_model(spec, path);
    written.insert(name);
  }
  return path;
}

std::string sample_text(int n_repeat) {
  std::string s;
  for (int i = 0; i < n_repeat; ++i)
    s += "The quick brown fox jumps over the lazy dog. Question: what is 12 plus 30? Answer: 42.\n"
         "for i in range(10):\n    print(i)\nZebras \xC3\xA9t\xC3\xA9 xyz!\n";
  return s;
}

std::vector<std::vector<float>> engine_logits(engine::CpuModel& m, const std::vector<int32_t>& ids) {
  std::vector<std::vector<float>> out(ids.size());
  const int64_t nv = m.hparams().n_vocab;
  m.eval(ids, 0, [&](int64_t pos, const float* l) { out[size_t(pos)].assign(l, l + nv); });
  return out;
}

LogitDiff compare_with_reference(const std::filesystem::path& model, const engine::LoadOptions& opt,
                                 const std::string& text) {
  engine::CpuModel m(model, opt);
  const std::vector<int32_t> ids = m.tokenize(text, false);
  const auto e = engine_logits(m, ids);
  const auto r = reference_logits(model, ids);
  LogitDiff d;
  double sum = 0;
  size_t count = 0, agree = 0;
  for (size_t t = 0; t < ids.size(); ++t) {
    double mx_ref = 0, mx_err = 0;
    size_t ae = 0, ar = 0;
    for (size_t i = 0; i < r[t].size(); ++i) {
      const double err = std::abs(double(e[t][i]) - r[t][i]);
      mx_ref = std::max(mx_ref, std::abs(r[t][i]));
      mx_err = std::max(mx_err, err);
      sum += err;
      ++count;
      if (e[t][i] > e[t][ae]) ae = i;
      if (r[t][i] > r[t][ar]) ar = i;
    }
    agree += ae == ar;
    d.max_rel = std::max(d.max_rel, mx_err / std::max(mx_ref, 1e-30));
  }
  d.mean_abs = sum / double(std::max<size_t>(count, 1));
  d.top1 = double(agree) / double(std::max<size_t>(ids.size(), 1));
  return d;
}

}  // namespace ys::test
