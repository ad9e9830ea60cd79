#include "common/error.h"
#include "common/hash.h"
#include "datasets/mmlu.h"
#include "datasets/wmt.h"
#include "suites/quant/quant_suite.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace ys::suites {
namespace {

constexpr size_t kWmtLines = 96;       // first lines of newstest2014 English source
constexpr size_t kLinesPerDoc = 6;     // sentences per document
constexpr size_t kMmluPerSubject = 1;  // first test question of each subject

}  // namespace

std::vector<CorpusDoc> default_quant_corpus(const std::filesystem::path& data_dir,
                                            std::map<std::string, std::string>& hashes) {
  std::vector<CorpusDoc> docs;
  datasets::WmtSet wmt = datasets::load_wmt(data_dir, datasets::WmtPair{"wmt14-full", "en", "de"});
  hashes[wmt.src_path] = wmt.src_sha256;
  hashes[wmt.ref_path] = wmt.ref_sha256;
  size_t n = std::min(kWmtLines, wmt.src.size());
  for (size_t at = 0; at < n; at += kLinesPerDoc) {
    std::string text;
    for (size_t i = at; i < std::min(n, at + kLinesPerDoc); ++i) text += (text.empty() ? "" : " ") + wmt.src[i];
    docs.push_back({fmt::format("wmt14-en/{}", at / kLinesPerDoc), text});
  }
  // MMLU questions, grouped by category order of the subject list, a few per document.
  std::string text;
  size_t group = 0;
  const auto& subjects = datasets::mmlu_subjects();
  for (size_t s = 0; s < subjects.size(); ++s) {
    datasets::MmluSplit split = datasets::load_mmlu_split(data_dir, subjects[s], "test");
    hashes[split.rel_path] = split.sha256;
    for (size_t r = 0; r < std::min(kMmluPerSubject, split.rows.size()); ++r) {
      text += (text.empty() ? "" : "\n\n") + split.rows[r].question;
    }
    if ((s + 1) % kLinesPerDoc == 0 || s + 1 == subjects.size()) {
      docs.push_back({fmt::format("mmlu/{}", group++), text});
      text.clear();
    }
  }
  return docs;
}

std::vector<CorpusDoc> file_quant_corpus(const std::filesystem::path& path, std::map<std::string, std::string>& hashes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::io, "{}: cannot open the --text-file", path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  hashes[path.string()] = sha256_hex(all);
  std::vector<CorpusDoc> docs;
  std::string para;
  std::stringstream lines(all);
  auto flush = [&] {
    if (!para.empty()) docs.push_back({fmt::format("text/{}", docs.size()), para});
    para.clear();
  };
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      flush();
    } else {
      para += (para.empty() ? "" : "\n") + line;
    }
  }
  flush();
  if (docs.empty()) fail(ErrorKind::invalid_input, "{}: --text-file has no text", path.string());
  return docs;
}

}  // namespace ys::suites
