// Chat template renderings, expected strings written by hand from each family's template.
#include "engine/tokenizer/tokenizer.h"

#include <catch2/catch.hpp>

using namespace ys::tok;

namespace {
Vocab with_template(std::string t) {
  Vocab v;
  v.chat_template = std::move(t);
  return v;
}
}  // namespace

TEST_CASE("ChatML as SmolLM2's template, with its default system message") {
  const Vocab v = with_template(
      "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
      "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
      "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}");
  CHECK(apply_chat_template(v, {{"user", "Hi"}}, true) ==
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  CHECK(apply_chat_template(v, {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}}, false) ==
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello<|im_end|>\n");
  CHECK(apply_chat_template(v, {}, true) == "<|im_start|>assistant\n");
}

TEST_CASE("ChatML with an escaped default system message (Qwen style) and without one") {
  const Vocab qwen = with_template(
      "{%- if messages[0]['role'] == 'system' %}...{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by "
      "Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}<|im_start|>");
  CHECK(apply_chat_template(qwen, {{"user", "Hi"}}, true) ==
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  const Vocab plain = with_template("{{'<|im_start|>' + message['role'] + '\\n' + message['content']}}");
  CHECK(apply_chat_template(plain, {{"user", "Hi"}}, false) == "<|im_start|>user\nHi<|im_end|>\n");
}

TEST_CASE("Llama 3 template") {
  const Vocab v = with_template(
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
      "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
      "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
      "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}");
  CHECK(apply_chat_template(v, {{"system", "Be brief."}, {"user", "  Hi \n"}}, true) ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(apply_chat_template(v, {{"user", "Hi"}}, false) ==
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
}

TEST_CASE("Llama 2 and Mistral [INST] templates") {
  const Vocab l2 = with_template(
      "{% if messages[0]['role'] == 'system' %}...'<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n'..."
      "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}");
  CHECK(apply_chat_template(l2, {{"system", "S"}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}}, true) ==
        "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Bye [/INST]");
  CHECK(apply_chat_template(l2, {{"user", " Hi "}}, false) == "<s>[INST] Hi [/INST]");
  const Vocab mistral = with_template("{{ bos_token }}{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}");
  CHECK(apply_chat_template(mistral, {{"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}}, true) ==
        "<s>[INST] Hi [/INST]Hello</s>[INST] Bye [/INST]");
}
