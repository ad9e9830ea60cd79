// lm-eval's prompt assembly (suites/prompt/fewshot_context.h) on hand-written parts, with
// the expected strings worked out by hand from lm_eval/api/task.py and api/utils.py.
#include "suites/prompt/fewshot_context.h"

#include "common/error.h"

#include <catch2/catch.hpp>

using namespace ys::suites;
using ys::engine::ChatMessage;

namespace {

// Renders messages as "[role]content|" plus "GEN" for the generation prompt.
std::string fake_render(const std::vector<ChatMessage>& msgs, bool gen) {
  std::string out;
  for (const auto& m : msgs) out += "[" + m.role + "]" + m.content + "|";
  return out + (gen ? "GEN" : "");
}

ContextParts two_shots() {
  ContextParts p;
  p.description = "Desc.\n\n";
  p.shots = {{"Q1\nAnswer:", "A"}, {"Q2\nAnswer:", "B"}};
  p.question = "Q3\nAnswer:";
  return p;
}

}  // namespace

TEST_CASE("prompt: maybe_delimit as lm-eval's api/utils.py") {
  CHECK(maybe_delimit(std::nullopt, "d", "\n\n") == "d");
  CHECK(maybe_delimit(std::string(""), "d", "\n\n") == "d");
  CHECK(maybe_delimit(std::string("sys"), "", "\n\n") == "sys");
  CHECK(maybe_delimit(std::string("sys"), "d", "\n\n") == "sys\n\nd");
  CHECK(maybe_delimit(std::string("sys "), "d", "\n\n") == "sys d");
  CHECK(maybe_delimit(std::string("sys"), "\nd", "\n\n") == "sys\nd");
  CHECK(maybe_delimit(std::string("sys\xC2\xA0"), "d", "\n\n") == "sys\xC2\xA0" "d");  // NBSP is whitespace in Python
}

TEST_CASE("prompt: plain text is the concatenation, with or without a system instruction") {
  ChatProtocol plain;
  CHECK(fewshot_context(two_shots(), plain) == "Desc.\n\nQ1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:");
  plain.system_instruction = "Be careful.";
  CHECK(fewshot_context(two_shots(), plain) == "Be careful.\n\nDesc.\n\nQ1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:");
  CHECK(choice_delimiter(two_shots(), plain) == " ");
  CHECK(plain.version_suffix() == "+sys");
}

TEST_CASE("prompt: chat template, single turn and multiturn") {
  ChatProtocol chat;
  chat.apply = true;
  chat.render = fake_render;
  CHECK(fewshot_context(two_shots(), chat) == "[system]Desc.\n\n|[user]Q1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:|GEN");
  CHECK(choice_delimiter(two_shots(), chat) == "");
  CHECK(chat.version_suffix() == "+chat");
  chat.fewshot_as_multiturn = true;
  CHECK(fewshot_context(two_shots(), chat) ==
        "[system]Desc.\n\n|[user]Q1\nAnswer:|[assistant]A|[user]Q2\nAnswer:|[assistant]B|[user]Q3\nAnswer:|GEN");
  CHECK(chat.version_suffix() == "+chat-multiturn");
  ContextParts no_desc = two_shots();
  no_desc.description.clear();
  const auto msgs = chat_messages(no_desc, chat);
  REQUIRE(msgs.size() == 5);
  CHECK(msgs.front().role == "user");
  chat.fewshot_as_multiturn = false;
  CHECK(fewshot_context(no_desc, chat) == "[user]Q1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:|GEN");
}

TEST_CASE("prompt: a template that raises is rendered again without the system message") {
  ChatProtocol chat;
  chat.apply = true;
  int calls = 0;
  chat.render = [&](const std::vector<ChatMessage>& msgs, bool gen) {
    ++calls;
    for (const auto& m : msgs)
      if (m.role == "system") throw ys::engine::ChatTemplateError("System role not supported");
    return fake_render(msgs, gen);
  };
  CHECK(fewshot_context(two_shots(), chat) == "[user]Q1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:|GEN");
  CHECK(calls == 2);
  chat.render = [](const std::vector<ChatMessage>&, bool) -> std::string { throw ys::engine::ChatTemplateError("always"); };
  CHECK_THROWS_WITH(fewshot_context(two_shots(), chat), Catch::Contains("with and without the system message"));
}

TEST_CASE("prompt: options are validated and described") {
  ys::suites::TaskOptions o;
  o.fewshot_as_multiturn = true;
  CHECK_THROWS_WITH(chat_protocol(o, "x"), Catch::Contains("--fewshot-as-multiturn needs --chat-template"));
  o.chat_template = true;
  CHECK_THROWS_AS(chat_protocol(o, "x"), ys::Error);  // no renderer
  o.chat_render = fake_render;
  o.chat_template_source = "{{ x }}";
  o.chat_now = 1741944413;
  const ChatProtocol c = chat_protocol(o, "x");
  const auto j = c.describe();
  CHECK(j["chat_template"] == true);
  CHECK(j["fewshot_as_multiturn"] == true);
  CHECK(j["system_instruction"].is_null());
  CHECK(j["chat_template_sha256"].get<std::string>().size() == 64);
  CHECK(j["chat_template_now"] == "2025-03-14T09:26:53Z");
}
