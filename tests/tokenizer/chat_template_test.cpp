// apply_chat_template through a vocabulary: the template and special tokens come from the
// GGUF metadata (Vocab), expected strings written by hand from each template's source
// (the renderer itself is checked against jinja2 in jinja_test.cpp).
#include "engine/tokenizer/tokenizer.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace ys::tok;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(YS_SOURCE_DIR) + "/tests/fixtures/chat_templates/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A vocabulary whose special tokens are `specials` (ids 0..n-1), with the given template.
Vocab vocab(std::string tpl, const std::vector<std::string>& specials, int32_t bos, int32_t eos) {
  Vocab v;
  v.tokens = specials;
  v.bos = bos;
  v.eos = eos;
  v.chat_template = std::move(tpl);
  return v;
}

}  // namespace

TEST_CASE("SmolLM2's template from the vocabulary, with its default system message") {
  const Vocab v = vocab(fixture("smollm2-instruct.jinja"), {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}, 1, 2);
  CHECK(apply_chat_template(v, {{"user", "Hi"}}, true) ==
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  CHECK(apply_chat_template(v, {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}}, false) ==
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello<|im_end|>\n");
  CHECK(apply_chat_template(v, {}, true) == "<|im_start|>assistant\n");
}

TEST_CASE("Llama 3's template takes bos_token from the vocabulary and trims contents") {
  const Vocab v = vocab(fixture("llama-3-instruct.jinja"), {"<|begin_of_text|>", "<|eot_id|>"}, 0, 1);
  CHECK(apply_chat_template(v, {{"system", "Be brief."}, {"user", "  Hi \n"}}, true) ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST_CASE("Gemma 2's template raises for a system message (jinja::TemplateError)") {
  const Vocab v = vocab(fixture("gemma-2-it.jinja"), {"<bos>", "<eos>"}, 0, 1);
  CHECK_THROWS_AS(apply_chat_template(v, {{"system", "S"}, {"user", "Hi"}}, true), ys::jinja::TemplateError);
  CHECK(apply_chat_template(v, {{"user", "Hi"}}, true) == "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
}

TEST_CASE("A model without a template, and a template outside the subset, are refused") {
  const Vocab none = vocab("", {"<s>"}, 0, 0);
  try {
    apply_chat_template(none, {{"user", "Hi"}}, true);
    FAIL("rendered");
  } catch (const ys::Error& e) {
    CHECK(e.kind() == ys::ErrorKind::unsupported);
    CHECK(std::string(e.what()).find("tokenizer.chat_template") != std::string::npos);
  }
  const Vocab inc = vocab("{% for m in messages %}{% include 'turn.jinja' %}{% endfor %}", {"<s>"}, 0, 0);
  try {
    apply_chat_template(inc, {{"user", "Hi"}}, true);
    FAIL("rendered");
  } catch (const ys::Error& e) {
    CHECK(e.kind() == ys::ErrorKind::unsupported);
    CHECK(std::string(e.what()) .find("chat template: line 1: unsupported construct '{% include %}'") == 0);
  }
}
