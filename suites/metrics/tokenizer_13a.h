// sacrebleu's default BLEU tokenizer "13a" (tokenizers/tokenizer_13a.py + tokenizer_re.py),
// re-implemented on UTF-8 bytes (PROTOCOLS.md §7).
//
// tokenize_13a(line) == sacrebleu's Tokenizer13a()(line); BLEU applies it to
// line.rstrip() (Python whitespace, see pystr.h). Steps, in order:
//   replace '<skipped>' -> '', '-\n' -> '', '\n' -> ' ';
//   if '&' occurs: '&quot;' -> '"', '&amp;' -> '&', '&lt;' -> '<', '&gt;' -> '>';
//   line = ' ' + line + ' ';
//   four regex substitutions, each left to right over non-overlapping matches:
//     ([\{-\~\[-\` -\&\(-\+\:-\@\/])  -> ' \1 '
//     ([^0-9])([\.,])                  -> '\1 \2 '
//     ([\.,])([^0-9])                  -> ' \1 \2'
//     ([0-9])(-)                       -> '\1 \2 '
//   ' '.join(line.split()).
// The classes are ASCII-only, so matching bytes instead of code points gives the same
// result (a multi-byte character's bytes are all >= 0x80: "not a digit", never punctuation).
#pragma once

#include <string>
#include <string_view>

namespace ys::metrics {

std::string tokenize_13a(std::string_view line);

}  // namespace ys::metrics
