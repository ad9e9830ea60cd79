// The Jinja renderer against Python's jinja2: every real chat template in
// tests/fixtures/chat_templates/ on a set of conversations (as transformers renders them),
// and one-construct snippets in three environments (transformers', jinja2's defaults,
// lm-eval's), all from tools/gen_chat_fixtures.py. Outputs must be byte-identical; where
// jinja2 raises, the renderer must raise the same class of error.
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/jinja/jinja.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace ys;
using nlohmann::ordered_json;

namespace {

constexpr int64_t kPinnedNow = 1741944413;  // 2025-03-14T09:26:53Z, the fixture's pinned strftime_now clock

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixture_dir() { return std::string(YS_SOURCE_DIR) + "/tests/fixtures/chat_templates/"; }

const ordered_json& cases() {
  static const ordered_json j = ordered_json::parse(read_file(fixture_dir() + "render_cases.json"));
  return j;
}

struct Outcome {
  bool ok = false;
  std::string output;
  std::string error;  // TemplateError | syntax (format/unsupported) | other
  std::string message;
};

template <typename Fn>
Outcome run(Fn fn) {
  Outcome o;
  try {
    o.output = fn();
    o.ok = true;
  } catch (const jinja::TemplateError& e) {
    o.error = "TemplateError";
    o.message = e.what();
  } catch (const Error& e) {
    o.error = (e.kind() == ErrorKind::format || e.kind() == ErrorKind::unsupported) ? "syntax" : "other";
    o.message = e.what();
  }
  return o;
}

void check(const ordered_json& expected, const Outcome& got) {
  if (expected.contains("output")) {
    INFO("error: " << got.message);
    REQUIRE(got.ok);
    CHECK(got.output == expected["output"].get<std::string>());
    return;
  }
  const std::string cls = expected["error"].get<std::string>();
  INFO("jinja2 raised " << cls << ": " << expected["message"].get<std::string>() << "; got " << got.error << " "
                        << got.message << got.output);
  REQUIRE_FALSE(got.ok);
  if (cls == "TemplateError") CHECK(got.error == "TemplateError");
  else if (cls == "TemplateSyntaxError") CHECK(got.error == "syntax");
  else CHECK(got.error == "other");
}

jinja::Context to_context(const ordered_json& obj) {
  jinja::Context c;
  for (auto it = obj.begin(); it != obj.end(); ++it) c[it.key()] = jinja::from_json(it.value());
  return c;
}

jinja::Options env_options(const std::string& env) {
  if (env == "hf") return tok::chat_jinja_options();
  jinja::Options o;
  o.html_safe_tojson = true;  // jinja2's own tojson in both non-transformers environments
  if (env == "lmeval") {
    o.strict_undefined = true;
    o.keep_trailing_newline = true;
    o.loop_controls = false;
  }
  return o;
}

}  // namespace

TEST_CASE("jinja: real chat templates render as transformers renders them") {
  const auto& fx = cases();
  size_t checked = 0, raised = 0;
  for (const auto& c : fx["templates"]) {
    const std::string name = c["template"].get<std::string>();
    const auto& conv = fx["conversations"][c["conversation"].get<size_t>()];
    INFO(name << " conversation " << c["conversation"] << " add_generation_prompt " << c["add_generation_prompt"]
              << " context " << c["context"].dump());
    const Outcome got = run([&] {
      jinja::Context special = to_context(c["context"]);
      const tok::ChatTemplate tpl(read_file(fixture_dir() + name + ".jinja"), special);
      std::vector<tok::ChatMessage> msgs;
      for (const auto& m : conv) msgs.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
      tok::ChatRenderOptions o;
      o.add_generation_prompt = c["add_generation_prompt"].get<bool>();
      o.now = kPinnedNow;
      return tpl.render(msgs, o);
    });
    check(c, got);
    ++checked;
    raised += c.contains("error");
  }
  CHECK(checked == 180);
  CHECK(raised == 28);
}

TEST_CASE("jinja: snippets render as jinja2 renders them, in three environments") {
  const auto& fx = cases();
  size_t checked = 0;
  for (const auto& c : fx["snippets"]) {
    for (const std::string env : {"hf", "plain", "lmeval"}) {
      const std::string src = c["source"].get<std::string>();
      INFO(env << " environment, template: " << src);
      const Outcome got = run([&] {
        jinja::Context ctx = to_context(fx["snippet_context"]);
        if (env != "lmeval") {
          for (auto& [k, v] : tok::chat_globals(kPinnedNow)) ctx[k] = v;
        }
        return jinja::Template(src, env_options(env)).render(ctx);
      });
      check(c[env], got);
      ++checked;
    }
  }
  CHECK(checked == 3 * fx["snippets"].size());
}

TEST_CASE("jinja: constructs outside the subset are refused when parsed, naming the construct and line") {
  const std::pair<const char*, const char*> refused[] = {
      {"{% include 'other.jinja' %}", "'{% include %}'"},
      {"a\n{% import 'm' as m %}", "line 2"},
      {"{% extends 'base' %}", "'{% extends %}'"},
      {"{% block body %}x{% endblock %}", "'{% block %}'"},
      {"{% filter upper %}x{% endfilter %}", "'{% filter %}'"},
      {"{% call m() %}x{% endcall %}", "'{% call %}'"},
      {"{{ 'x' | wordwrap(3) }}", "filter '|wordwrap'"},
      {"{% if x is escaped %}{% endif %}", "test 'is escaped'"},
      {"{% for x in xs recursive %}{% endfor %}", "recursive"},
      {"{{ cycler('a', 'b') }}", "global 'cycler'"},
      {"{{ f(*args) }}", "'*args'"},
      {"{% set x | upper %}a{% endset %}", "filter %}' block"},
  };
  for (const auto& [src, needle] : refused) {
    INFO(src);
    try {
      jinja::Template t(src, tok::chat_jinja_options(), "chat template");
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::unsupported);
      CHECK(std::string(e.what()).find(needle) != std::string::npos);
      CHECK(std::string(e.what()).find("chat template: line") == 0);
    }
  }
  // Syntax errors are format errors with the line.
  try {
    jinja::Template t("ok\n{{ 1 + }}", {}, "t");
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::format);
    CHECK(std::string(e.what()).find("t: line 2") == 0);
  }
  CHECK_THROWS_AS(jinja::Template("{% if x %}unclosed", {}), Error);
  CHECK_THROWS_AS(jinja::Template("{{ 'unterminated }}", {}), Error);
  CHECK_THROWS_AS(jinja::Template("{{ (1 }}", {}), Error);
}

TEST_CASE("jinja: Python values print and serialise as Python does") {
  CHECK(jinja::repr(jinja::Value(0.1 + 0.2)) == "0.30000000000000004");
  CHECK(jinja::repr(jinja::Value(1e16)) == "1e+16");
  CHECK(jinja::repr(jinja::Value(1234567890123456.0)) == "1234567890123456.0");
  CHECK(jinja::repr(jinja::Value(0.0001)) == "0.0001");
  CHECK(jinja::repr(jinja::Value(0.00001)) == "1e-05");
  CHECK(jinja::repr(jinja::Value(-2.5e-7)) == "-2.5e-07");
  CHECK(jinja::repr(jinja::Value("it's")) == "\"it's\"");
  CHECK(jinja::repr(jinja::Value("a\nb'\"")) == "'a\\nb\\'\"'");
  jinja::JsonStyle s;
  CHECK(jinja::to_json(jinja::from_json(ordered_json::parse(R"({"b":[1,2.0,null],"a":"\u00e9"})")), s) ==
        "{\"b\": [1, 2.0, null], \"a\": \"\u00e9\"}");
  s.ensure_ascii = true;
  s.sort_keys = true;
  s.html_safe = true;
  CHECK(jinja::to_json(jinja::from_json(ordered_json::parse(R"({"b":"<&>'","a":"\u00e9\ud83d\ude00"})")), s) ==
        "{\"a\": \"\\u00e9\\ud83d\\ude00\", \"b\": \"\\u003c\\u0026\\u003e\\u0027\"}");
}
