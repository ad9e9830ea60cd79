// WMT test sets as line-aligned plain text (sacrebleu's test sets, see
// ../shared/datasets/wmt/SOURCE.md):
//   <data_dir>/wmt/<testset>/<src>-<tgt>/src.<src>   one source segment per line, UTF-8
//   <data_dir>/wmt/<testset>/<src>-<tgt>/ref.<tgt>   the reference, same line count
// testsets and pairs: wmt14-full {en-de, de-en, en-fr, fr-en}, wmt16 {ro-en, en-ro},
// wmt22 {en-de, de-en, zh-en, en-zh}.
// Both files are verified through the manifest (require_file) before they are read, and
// their line counts must equal each other and the manifest's row count.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ys::datasets {

struct WmtPair {
  std::string testset;   // "wmt14-full", "wmt16", "wmt22"
  std::string src_lang;  // ISO 639-1, e.g. "de"
  std::string tgt_lang;
};

struct WmtSet {
  WmtPair pair;
  std::string src_path, ref_path;      // relative to the data dir
  std::string src_sha256, ref_sha256;  // verified against the manifest
  std::vector<std::string> src, ref;   // aligned, file order
};

// Every (testset, pair) the data layout provides.
const std::vector<WmtPair>& wmt_pairs();
// "wmt/<testset>/<src>-<tgt>/src.<src>" and ".../ref.<tgt>".
std::string wmt_src_path(const WmtPair& p);
std::string wmt_ref_path(const WmtPair& p);

// Throws ys::Error: invalid_input for an unknown testset/pair, io/format from the
// manifest check, format if the line counts differ.
WmtSet load_wmt(const std::filesystem::path& data_dir, const WmtPair& pair);

// Lines of a text file: split on '\n' (a final '\n' does not start a line; '\r' is kept,
// as Python's open(newline="\n") reads it).
std::vector<std::string> split_text_lines(std::string_view text);

}  // namespace ys::datasets
