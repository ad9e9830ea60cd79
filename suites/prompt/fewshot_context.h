// lm-eval's prompt assembly, one mechanism for every suite (lm_eval/api/task.py
// fewshot_context and build_qa_turn, lm_eval/api/utils.py Message, maybe_delimit and
// multiturn_to_singleturn, lm_eval/models/huggingface.py apply_chat_template; lm-eval
// 0.4.13, PROTOCOLS.md §1.1):
//
//   messages = [system: maybe_delimit(system_instruction, description, fewshot_delimiter)]
//              (only when that is not empty)
//            + per shot [user: question (delimiter target_delimiter),
//                        assistant: answer (delimiter fewshot_delimiter)]
//            + [user: question (no delimiter)]
//   plain text (the default):  the concatenation of content + delimiter of every message,
//              i.e. description + Σ(q + " " + a + "\n\n") + q;
//   --chat-template:           the messages rendered with the model's chat template and
//              add_generation_prompt; the shots are first collapsed into ONE user message
//              (the plain-text concatenation of everything after the system message) unless
//              --fewshot-as-multiturn keeps them as user/assistant turns. When the template
//              raises (e.g. Gemma's "System role not supported"), it is rendered again without
//              the system message, as lm-eval's HF backend does.
//   multiple choice:           the continuation delimiter is target_delimiter in plain text
//              and "" under a chat template (construct_requests; no gen_prefix here).
#pragma once

#include "engine/model/model.h"
#include "suites/suite.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ys::suites {

// lm-eval's --apply_chat_template, --fewshot_as_multiturn and --system_instruction.
struct ChatProtocol {
  bool apply = false;
  bool fewshot_as_multiturn = false;
  std::optional<std::string> system_instruction;
  ChatRenderFn render;                 // the model's template (required when apply)
  std::string template_sha256;         // recorded in protocol()
  int64_t now = -1;                    // strftime_now() clock used (recorded)

  // Throws ys::Error(invalid_input) for fewshot_as_multiturn without apply, and
  // ys::Error(internal) for apply without a render function. `suite` names the suite.
  void validate(const std::string& suite) const;
  // The protocol fields for a suite's protocol(): chat_template, fewshot_as_multiturn,
  // system_instruction, template sha256 and date.
  nlohmann::json describe() const;
  // A suffix for protocol_version(): "" for plain text, "+chat" or "+chat-multiturn" (plus
  // "+sys" with a system instruction), so compare/gate never pair the protocols silently.
  std::string version_suffix() const;
};

// The chat protocol a suite's options ask for, validated (see ChatProtocol::validate).
ChatProtocol chat_protocol(const TaskOptions& options, const std::string& suite);

struct Shot {
  std::string question, answer;
};

struct ContextParts {
  std::string description;
  std::vector<Shot> shots;
  std::string question;
  std::string target_delimiter = " ";
  std::string fewshot_delimiter = "\n\n";
};

// The context lm-eval builds for one document.
std::string fewshot_context(const ContextParts& parts, const ChatProtocol& chat);
// The messages before rendering (after the single-turn collapse when not multiturn).
std::vector<engine::ChatMessage> chat_messages(const ContextParts& parts, const ChatProtocol& chat);
// The delimiter between a multiple-choice context and each choice.
std::string choice_delimiter(const ContextParts& parts, const ChatProtocol& chat);

// Python's maybe_delimit(prefix, suffix, delimiter).
std::string maybe_delimit(const std::optional<std::string>& prefix, const std::string& suffix,
                          const std::string& delimiter);

}  // namespace ys::suites
