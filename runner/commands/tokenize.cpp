// `yardstick tokenize --text T [--model M] [--no-special] [--bos] [--chat] [--json]`:
// the token ids of a text under a GGUF model's tokenizer (no weights are read).
//
// Plain output: one line per token, "index<TAB>id<TAB>"piece"" where piece is the bytes the
// token decodes to, quoted with C escapes (\n, \t, \", \\, \xNN for other control or invalid
// bytes). --json prints {"model", "tokenizer", "pre", "n_tokens", "tokens": [{"index", "id",
// "piece", "text"}]} (text = the raw vocabulary string; invalid UTF-8 in a piece shows as U+FFFD).
// --no-special: control tokens written in the text are tokenized as plain text.
// --bos: prepend the model's BOS token (whatever tokenizer.ggml.add_bos_token says).
// --chat: wrap the text as one user message in the model's chat template, with the
// assistant header appended, before tokenizing.
#include "common/error.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"
#include "runner/cli.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>

namespace {

struct Options {
  std::string model = ys::cli::default_model_path();
  std::string text;
  bool no_special = false;
  bool bos = false;
  bool chat = false;
  bool json = false;
};

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\x{:02x}", c);
        } else if (c >= 0x80) {
          // Copy a complete, valid multi-byte character; escape stray bytes.
          size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
          bool ok = n > 0 && i + n <= s.size();
          for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
          if (ok) {
            out.append(s, i, n);
            i += n - 1;
          } else {
            out += fmt::format("\\x{:02x}", c);
          }
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

int run(const Options& o) {
  if (!std::filesystem::exists(o.model)) {
    ys::fail(ys::ErrorKind::io, "--model {}: file not found (expected a GGUF model file)", o.model);
  }
  const auto file = ys::gguf::File::open(o.model);
  const ys::tok::Tokenizer tok(ys::tok::vocab_from_gguf(file));
  std::string text = o.text;
  if (o.chat) text = ys::tok::apply_chat_template(tok.vocab(), {{"user", text}}, true);
  std::vector<int32_t> ids;
  if (o.bos) {
    if (tok.bos() < 0) ys::fail(ys::ErrorKind::invalid_input, "--bos: {} has no BOS token", o.model);
    ids.push_back(tok.bos());
  }
  const auto body = tok.encode(text, false, !o.no_special);
  ids.insert(ids.end(), body.begin(), body.end());
  if (o.json) {
    nlohmann::json j;
    j["model"] = o.model;
    j["tokenizer"] = tok.vocab().model;
    j["pre"] = tok.vocab().pre;
    j["n_tokens"] = ids.size();
    j["tokens"] = nlohmann::json::array();
    for (size_t i = 0; i < ids.size(); ++i) {
      j["tokens"].push_back({{"index", i}, {"id", ids[i]}, {"piece", tok.piece(ids[i])}, {"text", tok.token_text(ids[i])}});
    }
    fmt::print("{}\n", j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
    return ys::cli::kExitOk;
  }
  for (size_t i = 0; i < ids.size(); ++i) fmt::print("{}\t{}\t{}\n", i, ids[i], quote(tok.piece(ids[i])));
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("tokenize", "Print the token ids and pieces of a text under a model's tokenizer",
                       [](CLI::App& sub) -> ys::cli::RunFn {
                         auto o = std::make_shared<Options>();
                         sub.add_option("--model,-m", o->model, "GGUF model file (env YARDSTICK_MODEL)")
                             ->capture_default_str();
                         sub.add_option("--text,-t", o->text, "Text to tokenize")->required();
                         sub.add_flag("--no-special", o->no_special,
                                      "Tokenize control tokens written in the text as plain text");
                         sub.add_flag("--bos", o->bos, "Prepend the BOS token");
                         sub.add_flag("--chat", o->chat, "Wrap the text as a user message in the chat template");
                         sub.add_flag("--json", o->json, "Print JSON instead of lines");
                         return [o] { return run(*o); };
                       });

}  // namespace
