#!/usr/bin/env python3
"""Dev script: lm-eval's own prompt contexts, plain and under --apply_chat_template /
--fewshot_as_multiturn / --system_instruction, for the fixtures of tests/prompt.

  /opt/venv-protocols/bin/pip install lm-eval transformers jinja2
  HF_DATASETS_OFFLINE=1 /opt/venv-protocols/bin/python tools/gen_lm_chat_fixtures.py [--data ../shared/datasets]

lm-eval (PyPI lm_eval 0.4.13) builds every context itself: each task is lm-eval's own YAML
config (lm_eval/tasks/{mmlu/default,gsm8k,translation,humaneval}/) loaded with lm-eval's
YAML loader and instantiated as ConfigurableTask, with only the dataset swapped for local
JSONL files (dataset_path "json") written from ../shared/datasets the way the Hugging Face
datasets hold them (MMLU: the CSV lines read as bytes and parsed by csv.reader, as the
cais/mmlu builder did, so quoted "\\r\\n" stays; GSM8K: the JSONL as is; WMT16: the
translation dicts; HumanEval: the problems). Contexts come from task.fewshot_context(...)
and continuations from task.construct_requests(...), exactly what lm-eval's evaluator
calls; the few-shot seed is set with task.set_fewshot_seed(1234) as the evaluator does.

The chat template function is lm-eval's HFLM.apply_chat_template (reproduced here line by
line because HFLM needs torch): transformers' render_jinja_template with the model's
template and special tokens, add_generation_prompt, continue_final_message = not
add_generation_prompt, and on jinja2's TemplateError a second try without system
messages. Templates: the default model's (SmolLM2, from its GGUF) and Gemma 2's (which
raises on a system message, to exercise that fallback), from tests/fixtures/chat_templates.

Writes tests/fixtures/lm/chat_prompts.json. Never run at test time.
"""
import argparse
import csv
import gzip
import json
import os
import sys
import tempfile

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import jinja2
import lm_eval
import transformers.utils.chat_template_utils as ctu
from lm_eval.api.task import ConfigurableTask
from lm_eval.tasks._yaml_loader import load_yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TASKS = os.path.join(os.path.dirname(lm_eval.__file__), "tasks")
TEMPLATES = os.path.join(REPO, "tests", "fixtures", "chat_templates")

SPECIAL = {
    "smollm2-instruct": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>",
                         "pad_token": "<|im_end|>"},
    "gemma-2-it": {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
}


def hflm_apply_chat_template(template_name):
    source = open(os.path.join(TEMPLATES, template_name + ".jinja"), encoding="utf-8").read()
    special = SPECIAL[template_name]

    def render(chat_history, add_generation_prompt):
        return ctu.render_jinja_template(conversations=[chat_history], chat_template=source,
                                         add_generation_prompt=add_generation_prompt,
                                         continue_final_message=not add_generation_prompt, **special)[0][0]

    def apply_chat_template(chat_history, add_generation_prompt=True):  # lm_eval/models/huggingface.py
        try:
            return render(chat_history, add_generation_prompt)
        except jinja2.exceptions.TemplateError:
            chat_history = [msg for msg in chat_history if msg["role"] != "system"]
            return render(chat_history, add_generation_prompt)

    return apply_chat_template


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def mmlu_rows(data, subject, split):
    rows = []
    with open(os.path.join(data, "mmlu", split, f"{subject}_{split}.csv"), "rb") as f:
        for d in csv.reader(line.decode("utf-8") for line in f):  # as the cais/mmlu builder read them
            rows.append({"question": d[0], "subject": subject, "choices": d[1:5], "answer": "ABCD".index(d[5])})
    return rows


def make_task(yaml_path, data_files, scoring=True):
    # scoring=False: HumanEval's metric and filter load HF `evaluate`'s code_eval from the
    # hub; they play no part in the contexts, so they are left out.
    cfg = load_yaml(yaml_path, resolve_func=scoring)
    cfg.pop("tag", None)
    if not scoring:
        cfg.pop("metric_list", None)
        cfg.pop("filter_list", None)
    cfg["dataset_path"] = "json"
    cfg["dataset_name"] = None
    cfg["dataset_kwargs"] = {"data_files": data_files}
    for split in ("training_split", "validation_split"):
        if cfg.get(split) not in data_files:
            cfg[split] = None
    if cfg.get("fewshot_split") not in data_files and "samples" not in (cfg.get("fewshot_config") or {}):
        cfg["fewshot_split"] = None
    return ConfigurableTask(config=cfg)


MODES = [
    {"chat_template": None, "fewshot_as_multiturn": False, "system_instruction": None},
    {"chat_template": "smollm2-instruct", "fewshot_as_multiturn": False, "system_instruction": None},
    {"chat_template": "smollm2-instruct", "fewshot_as_multiturn": True, "system_instruction": None},
    {"chat_template": "smollm2-instruct", "fewshot_as_multiturn": False, "system_instruction": "Answer carefully."},
    {"chat_template": "gemma-2-it", "fewshot_as_multiturn": True, "system_instruction": None},
]


def contexts(task, num_fewshot, n_docs, mode):
    task.set_fewshot_seed(1234)  # one generator per task, consumed in test order (evaluator.py)
    chat = hflm_apply_chat_template(mode["chat_template"]) if mode["chat_template"] else None
    out = []
    for i, doc in enumerate(list(task.eval_docs)[:n_docs]):
        ctx = task.fewshot_context(doc, num_fewshot, system_instruction=mode["system_instruction"],
                                   apply_chat_template=chat is not None,
                                   fewshot_as_multiturn=mode["fewshot_as_multiturn"], chat_template=chat,
                                   gen_prefix=task.doc_to_prefix(doc))
        reqs = task.construct_requests(doc, ctx, apply_chat_template=chat is not None, chat_template=chat,
                                       metadata=(task.config.task, i, 1))
        reqs = reqs if isinstance(reqs, list) else [reqs]
        args = [list(r.args) if task.OUTPUT_TYPE != "generate_until" else [r.args[0]] for r in reqs]
        out.append({"doc": i, "context": ctx, "arguments": args})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "datasets"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ys-lmchat-")
    suites = []

    for subject in ("college_mathematics", "nutrition"):
        files = {}
        for split in ("test", "dev"):
            files[split] = os.path.join(tmp, f"mmlu_{subject}_{split}.jsonl")
            write_jsonl(files[split], mmlu_rows(a.data, subject, split))
        task = make_task(os.path.join(TASKS, "mmlu", "default", f"mmlu_{subject}.yaml"), files)
        for shots in (5, 0):
            for mode in MODES:
                suites.append({"suite": "mmlu", "subject": subject, "num_fewshot": shots, **mode,
                               "docs": contexts(task, shots, 2, mode)})

    gsm = {}
    for split in ("test", "train"):
        gsm[split] = os.path.join(tmp, f"gsm8k_{split}.jsonl")
        with open(os.path.join(a.data, "gsm8k", f"{split}.jsonl"), encoding="utf-8") as f:
            write_jsonl(gsm[split], [json.loads(line) for line in f if line.strip()])
    for yaml_name, suite in (("gsm8k.yaml", "gsm8k"), ("gsm8k-cot.yaml", "gsm8k_cot")):
        files = gsm if suite == "gsm8k" else {"test": gsm["test"]}
        task = make_task(os.path.join(TASKS, "gsm8k", yaml_name), files)
        for mode in MODES:
            suites.append({"suite": suite, "num_fewshot": task.config.num_fewshot, **mode,
                           "docs": contexts(task, task.config.num_fewshot, 3, mode)})

    wmt = os.path.join(tmp, "wmt16_ro_en_test.jsonl")
    src = open(os.path.join(a.data, "wmt", "wmt16", "ro-en", "src.ro"), encoding="utf-8").read().split("\n")
    ref = open(os.path.join(a.data, "wmt", "wmt16", "ro-en", "ref.en"), encoding="utf-8").read().split("\n")
    write_jsonl(wmt, [{"translation": {"ro": s, "en": r}} for s, r in list(zip(src, ref))[:5]])
    task = make_task(os.path.join(TASKS, "translation", "wmt16_ro-en.yaml"), {"test": wmt})
    for mode in MODES:
        suites.append({"suite": "wmt16-ro-en", "num_fewshot": 0, **mode, "docs": contexts(task, 0, 2, mode)})

    he = os.path.join(tmp, "humaneval_test.jsonl")
    with gzip.open(os.path.join(a.data, "humaneval", "HumanEval.jsonl.gz"), "rt", encoding="utf-8") as f:
        write_jsonl(he, [json.loads(line) for line in f if line.strip()][:3])
    task = make_task(os.path.join(TASKS, "humaneval", "humaneval.yaml"), {"test": he}, scoring=False)
    for mode in MODES:
        suites.append({"suite": "humaneval", "num_fewshot": 0, **mode, "docs": contexts(task, 0, 2, mode)})

    out = os.path.join(REPO, "tests", "fixtures", "lm", "chat_prompts.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"lm_eval": lm_eval.__version__, "transformers": __import__("transformers").__version__,
                   "python": sys.version.split()[0], "suites": suites}, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {out}: {len(suites)} suite/mode combinations")


if __name__ == "__main__":
    main()
