// WMT line-aligned text loading (see wmt.h).
#include "datasets/wmt.h"

#include "common/error.h"
#include "datasets/csv.h"
#include "datasets/manifest.h"

namespace ys::datasets {

const std::vector<WmtPair>& wmt_pairs() {
  static const std::vector<WmtPair> pairs = {
      {"wmt14-full", "en", "de"}, {"wmt14-full", "de", "en"}, {"wmt14-full", "en", "fr"},
      {"wmt14-full", "fr", "en"}, {"wmt16", "ro", "en"},      {"wmt16", "en", "ro"},
      {"wmt22", "en", "de"},      {"wmt22", "de", "en"},      {"wmt22", "zh", "en"},
      {"wmt22", "en", "zh"},
  };
  return pairs;
}

std::string wmt_src_path(const WmtPair& p) {
  return "wmt/" + p.testset + "/" + p.src_lang + "-" + p.tgt_lang + "/src." + p.src_lang;
}

std::string wmt_ref_path(const WmtPair& p) {
  return "wmt/" + p.testset + "/" + p.src_lang + "-" + p.tgt_lang + "/ref." + p.tgt_lang;
}

std::vector<std::string> split_text_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      lines.emplace_back(text.substr(pos));
      break;
    }
    lines.emplace_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

namespace {

std::vector<std::string> read_checked(const std::filesystem::path& data_dir, const std::string& rel,
                                      std::string& sha256) {
  sha256 = require_file(data_dir, rel);
  std::vector<std::string> lines = split_text_lines(read_text_file(data_dir / rel));
  const ManifestEntry* entry = find_entry(rel);
  if (entry != nullptr && static_cast<int64_t>(lines.size()) != entry->rows)
    fail(ErrorKind::format, "{}: {} lines, expected {} (manifest)", (data_dir / rel).string(), lines.size(),
         entry->rows);
  return lines;
}

}  // namespace

WmtSet load_wmt(const std::filesystem::path& data_dir, const WmtPair& pair) {
  bool known = false;
  std::string all;
  for (const WmtPair& p : wmt_pairs()) {
    known = known || (p.testset == pair.testset && p.src_lang == pair.src_lang && p.tgt_lang == pair.tgt_lang);
    all += (all.empty() ? "" : ", ") + p.testset + "/" + p.src_lang + "-" + p.tgt_lang;
  }
  if (!known)
    fail(ErrorKind::invalid_input, "unknown WMT test set {}/{}-{} (expected one of: {})", pair.testset, pair.src_lang,
         pair.tgt_lang, all);
  WmtSet set;
  set.pair = pair;
  set.src_path = wmt_src_path(pair);
  set.ref_path = wmt_ref_path(pair);
  set.src = read_checked(data_dir, set.src_path, set.src_sha256);
  set.ref = read_checked(data_dir, set.ref_path, set.ref_sha256);
  if (set.src.size() != set.ref.size())
    fail(ErrorKind::format, "{}: {} lines but {} has {} (they must be aligned line by line)",
         (data_dir / set.src_path).string(), set.src.size(), set.ref_path, set.ref.size());
  return set;
}

}  // namespace ys::datasets
