#!/usr/bin/env python3
"""Dev script: reference renderings for Yardstick's Jinja renderer and chat templates,
with Python's jinja2 as the oracle, configured exactly as transformers' apply_chat_template
configures it (transformers.utils.chat_template_utils: ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks and loopcontrols, its own tojson, raise_exception, strftime_now,
namespace), and as lm-eval's prompt templates do (lm_eval.utils.env: StrictUndefined,
keep_trailing_newline).

  python3 -m venv /opt/venv-protocols
  /opt/venv-protocols/bin/pip install jinja2 transformers lm-eval gguf
  /opt/venv-protocols/bin/python tools/gen_chat_fixtures.py

Writes tests/fixtures/chat_templates/render_cases.json:
  - "templates": every real template in tests/fixtures/chat_templates/*.jinja (see the
    README there for where each one comes from) rendered on a set of conversations, with
    add_generation_prompt on and off, through transformers' own render_jinja_template;
  - "snippets": small templates exercising one construct each, rendered with the three
    environments ("hf", "plain" = jinja2 defaults, "lmeval");
  - "errors": what jinja2 raises (TemplateError or another exception) where it raises.
strftime_now is pinned to 2025-03-14 (transformers calls datetime.now()); the C++ test
passes the same date. Never run at test time.
"""
import datetime as _dt
import glob
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

import transformers.utils.chat_template_utils as ctu

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FIX = os.path.join(REPO, "tests", "fixtures", "chat_templates")
PINNED = _dt.datetime(2025, 3, 14, 9, 26, 53)


class _PinnedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return PINNED


ctu.datetime = _PinnedDatetime  # strftime_now() in the compiled environment reads this global

SPECIAL = {
    "smollm2-instruct": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>",
                         "pad_token": "<|im_end|>"},
    "qwen2.5-instruct": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "qwen3": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "gemma-2-it": {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
    "gemma-3-it": {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
    "llama-3-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama-3.1-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama-3.2-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama-4-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot|>", "pad_token": "<|finetune_right_pad|>"},
}

MMLU_SYS = "The following are multiple choice questions (with answers) about college mathematics.\n\n"
MMLU_Q = "Let A be a real 2x2 matrix. Which of the following statements must be true?\r\nI. All\nA. I only\nB. II only\nC. III\nD. II and III only\nAnswer:"

CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}],
    [{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
     {"role": "user", "content": "Bye"}],
    [{"role": "system", "content": MMLU_SYS}, {"role": "user", "content": "Q1?\nA. a\nAnswer: A\n\n" + MMLU_Q}],
    [{"role": "system", "content": MMLU_SYS}, {"role": "user", "content": "Q1?\nAnswer:"},
     {"role": "assistant", "content": "A"}, {"role": "user", "content": "Q2?\nAnswer:"},
     {"role": "assistant", "content": "C"}, {"role": "user", "content": MMLU_Q}],
    [{"role": "user", "content": "  spaced \n\t"}, {"role": "assistant", "content": " ok "},
     {"role": "user", "content": "quotes ' \" back\\slash h\u00e9llo \u2013 \u65e5\u672c <s> </s> {{ x }} {% if %}"}],
    [{"role": "user", "content": "Question: q\nAnswer:"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nfinal"},
     {"role": "user", "content": "again"}],
    [],
    [{"role": "assistant", "content": "I start"}, {"role": "user", "content": "odd order"}],
]

EXTRA_KWARGS = [{}, {"enable_thinking": False}]


def outcome(fn):
    try:
        return {"output": fn()}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": "TemplateSyntaxError", "message": str(e)}
    except jinja2.exceptions.TemplateError as e:
        return {"error": "TemplateError", "message": str(e)}
    except Exception as e:  # TypeError, ValueError, ... (lm-eval does not catch these)
        return {"error": type(e).__name__, "message": str(e)}


def real_templates():
    out = []
    for path in sorted(glob.glob(os.path.join(FIX, "*.jinja"))):
        name = os.path.basename(path)[:-len(".jinja")]
        src = open(path, encoding="utf-8").read()
        special = SPECIAL[name]
        for ci, conv in enumerate(CONVERSATIONS):
            for gen in (True, False):
                for extra in EXTRA_KWARGS:
                    if extra and name != "qwen3":
                        continue
                    kwargs = dict(special)
                    kwargs.update(extra)
                    res = outcome(lambda: ctu.render_jinja_template(
                        conversations=[conv], chat_template=src, add_generation_prompt=gen, **kwargs)[0][0])
                    out.append({"template": name, "conversation": ci, "add_generation_prompt": gen,
                                "context": kwargs, **res})
    return out


def hf_env():
    # The environment transformers compiles (re-created here only to render snippets).
    return ctu._cached_compile_jinja_template("{{ 1 }}").environment


def plain_env():
    return jinja2.Environment(extensions=[jinja2.ext.loopcontrols])


def lmeval_env():
    return jinja2.Environment(loader=jinja2.BaseLoader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


SNIPPETS = [
    # whitespace control, trim/lstrip blocks, newlines
    "a\n{% if true %}\n  b\n{% endif %}\nc\n",
    "a\n  {% if true %}x{% endif %}  \n  {%+ if true %}y{% endif %}\n",
    "  {{- ' v ' -}}  \n w",
    "{# comment #}\nx{#- c2 -#}  y\n  {# c3 #}\nz",
    "line1\r\nline2\rline3\n\n",
    "{% for i in range(3) %}\n  {{ i }}\n{% endfor %}\n",
    "{%- for i in range(3) -%}\n  {{ i }},\n{%- endfor %}",
    "{% raw %}{{ not rendered }}{% endraw %} after",
    "a {%- raw -%}  {{x}}  {%- endraw -%} b",
    # literals, operators
    "{{ 1 + 2 * 3 - 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }}",
    "{{ 1.5 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.0e-5 }} {{ 3.0 }} {{ 10 / 4 }} {{ 1_000 }} {{ 0x1f }}",
    "{{ 'a' 'b' }}{{ \"c\\nd\\t\\\\\\'\" }}{{ 'x' ~ 1 ~ none ~ true }}{{ 'ab' * 3 }}",
    "{{ none }} {{ None }} {{ true }} {{ False }} {{ [1, 'a', none, [2]] }} {{ {'k': 'v', 'n': 1} }} {{ (1,) }} {{ (1, 2) }}",
    "{{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 >= 2 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }}",
    "{{ 'b' in 'abc' }} {{ 2 in [1,2] }} {{ 'k' in {'k':1} }} {{ 3 not in [1] }} {{ not true }} {{ true and 'x' }} {{ '' or 'y' }}",
    "{{ 'yes' if 1 else 'no' }}|{{ 'yes' if 0 }}|{{ 'a' if false else 'b' if true else 'c' }}",
    "{{ -1 | abs }} {{ - 3 }} {{ +4 }} {{ 1 + -2 }}",
    # strings and methods
    "{{ '  x y  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\nA\\n'.lstrip('\\n') }}|{{ ' a '.rstrip() }}",
    "{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a,b,c'.rsplit(',', 1) }}",
    "{{ 'abc'.startswith('a') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'Hello World'.upper() }} {{ 'ABC'.lower() }}",
    "{{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'abc'.find('c') }}",
    "{{ ', '.join(['a', 'b']) }} {{ 'a\\nb\\r\\nc'.splitlines() }} {{ 'abc'[1] }} {{ 'abc'[-1] }} {{ 'h\u00e9llo'[1:] }}",
    "{{ 'abcdef'[::-1] }} {{ 'abcdef'[1:5:2] }} {{ [1,2,3,4][1:] }} {{ [1,2,3,4][:-1] }} {{ [1,2,3][::-1] }} {{ [1,2,3][5:] }}",
    "{{ 'x<think>y</think>z'.split('</think>')[-1].lstrip('\\n') }}",
    # dict / list access
    "{% set d = {'a': 1, 'b': {'c': [10, 20]}} %}{{ d.a }} {{ d['b']['c'][1] }} {{ d.b.c.0 }} {{ d.get('z', 'def') }} {{ d.get('a') }}",
    "{% set d = {'a': 1, 'b': 2} %}{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.keys() | list }} {{ d.values() | list }}",
    "{% set l = [3, 1, 2] %}{{ l | length }} {{ l | first }} {{ l | last }} {{ l | sort }} {{ l | sort(reverse=true) }} {{ l | max }} {{ l | min }} {{ l | sum }}",
    "{{ [1,2,2,3] | unique | list }} {{ ['b', 'A', 'c'] | sort }} {{ 'abc' | list }} {{ [1,2] | reverse | list }} {{ 'abc' | reverse }}",
    # loops
    "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ x }};{% endfor %}",
    "{% for x in [1, 2, 3, 4] if x is odd %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}",
    "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in 'abc' %}{{ loop.cycle('odd', 'even') }}{{ loop.previtem is defined }}{{ loop.nextitem }}{% endfor %}",
    "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}{% for i in range(2, 10, 3) %}{{ i }}{% endfor %}{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}",
    "{% for row in [[1, 2], [3]] %}{% for c in row %}{{ loop.index }}{% endfor %}/{{ loop.index }}{% endfor %}",
    # scoping
    "{% set x = 0 %}{% for i in range(3) %}{{ x }}{% set x = i %}{{ x }};{% endfor %}{{ x }}",
    "{% for i in range(3) %}{% if i == 0 %}{% set y = 5 %}{% endif %}{{ y }};{% endfor %}",
    "{% if true %}{% set z = 3 %}{% endif %}{{ z }}",
    "{% set ns = namespace(n=0, found=false) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }} {{ ns.found }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (3, 4) %}{% set c, d = t %}{{ c + d }}",
    "{% set block %}inner {{ 1 + 1 }}{% endset %}[{{ block }}]",
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', punct='?') }} {{ greet(name='C') }}",
    # filters
    "{{ '  x  ' | trim }}|{{ 'xyx' | trim('x') }}|{{ 'a b' | upper }}|{{ 'A' | lower }}|{{ 'ab cd' | title }}|{{ 'aB' | capitalize }}",
    "{{ undefined_thing | default('dflt') }} {{ '' | default('e', true) }} {{ 0 | d('z') }} {{ none | default('n') }}",
    "{{ [1, 2] | join(', ') }} {{ [{'n': 'a'}, {'n': 'b'}] | map(attribute='n') | join }} {{ ['a', 'b'] | map('upper') | list }}",
    "{% set ms = [{'role': 'system', 'c': 1}, {'role': 'user', 'c': 2}, {'role': 'user', 'c': 3}] %}{{ ms | selectattr('role', 'equalto', 'user') | list | length }} {{ ms | rejectattr('role', 'eq', 'user') | map(attribute='c') | list }} {{ ms | selectattr('c') | list | length }}",
    "{{ [1, 2, 3, 4] | select('even') | list }} {{ [1, 2, 3] | reject('odd') | list }} {{ [0, 1, ''] | select | list }}",
    "{{ {'b': 1, 'a': [1, 2.5, none, true], 'c': 'h\u00e9\"'} | tojson }}",
    "{{ {'b': 1, 'a': {'x': []}} | tojson(indent=2) }}",
    "{{ '3' | int + 1 }} {{ '2.5' | float }} {{ 'x' | int }} {{ 3.7 | int }} {{ 2 | float }} {{ 2.567 | round(1) }} {{ 2.5 | round }}",
    "{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(width=3, blank=true) }}",
    "{{ 'a b  c' | wordcount }} {{ 'abc' | replace('b', 'X') }} {{ '<a href=\"x\">' | e }} {{ 5 | string }}{{ [1] | string }}",
    "{{ {'a': 1, 'b': 2} | items | list }} {{ 'x' | attr('upper') is callable }} {{ [1, 2, 3] | count }}",
    # tests
    "{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 1 is number }} {{ 1.5 is float }} {{ 1 is integer }} {{ true is integer }} {{ true is boolean }}",
    "{{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is sequence }} {{ 3 is divisibleby 3 }} {{ 4 is divisibleby(3) }}",
    "{{ 1 is eq 1 }} {{ 1 is ne 2 }} {{ 2 is gt 1 }} {{ 2 is lt 1 }} {{ 2 is ge 2 }} {{ 1 is le 0 }} {{ 1 is in [1] }} {{ false is false }} {{ true is true }} {{ none is sameas none }}",
    "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aBc' is lower }} {{ x is not defined }} {{ 1 is not string }}",
    # undefined behaviour
    "[{{ missing }}][{{ missing | length }}][{{ missing | trim }}][{% for m in missing %}x{% endfor %}][{{ missing == missing }}][{{ missing is none }}]",
    "{% set d = {'a': 1} %}[{{ d.b }}][{{ d['b'] is defined }}][{{ [1][3] is defined }}][{{ d.b is defined }}]",
    "{{ messages[0]['role'] }}",
    "{{ missing.attr }}",
    "{{ missing + 1 }}",
    "{{ raise_exception('boom') }}",
    "{{ 1 + 'a' }}",
    "{{ 'a' + 1 }}",
    "{{ 1 / 0 }}",
    "{{ none.strip() }}",
    "{% for x in 5 %}{% endfor %}",
    "{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d') }}",
    "{{ bos_token }}{{ messages | length }}{% for m in messages %}<{{ m.role }}>{{ m['content'] }}{% endfor %}",
    "{{ dict(a=1, b='x') | tojson }} {{ range(3) | list }} {{ namespace(a=1).a }}",
]

SNIPPET_CONTEXT = {"bos_token": "<s>", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}


def snippets():
    envs = {"hf": hf_env(), "plain": plain_env(), "lmeval": lmeval_env()}
    envs["plain"].globals["raise_exception"] = envs["hf"].globals["raise_exception"]
    out = []
    for src in SNIPPETS:
        case = {"source": src}
        for name, env in envs.items():
            def render():
                ctx = dict(SNIPPET_CONTEXT)
                if name == "hf":
                    ctx = ctu._plain_template_data(ctx)
                elif name == "plain":
                    ctx["strftime_now"] = envs["hf"].globals["strftime_now"]
                return env.from_string(src).render(**ctx)
            case[name] = outcome(render)
        out.append(case)
    return out


def main():
    data = {
        "python": sys.version.split()[0],
        "jinja2": jinja2.__version__,
        "transformers": __import__("transformers").__version__,
        "pinned_now": PINNED.isoformat(),
        "conversations": CONVERSATIONS,
        "templates": real_templates(),
        "snippets": snippets(),
        "snippet_context": SNIPPET_CONTEXT,
    }
    path = os.path.join(FIX, "render_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    n_err = sum(1 for c in data["templates"] if "error" in c)
    print(f"wrote {path}: {len(data['templates'])} template renderings ({n_err} raise), {len(data['snippets'])} snippets")


if __name__ == "__main__":
    main()
