#!/usr/bin/env python3
"""Real lm-evaluation-harness output for the lm-eval import/export tests (tests/lmeval/).

Runs lm-eval twice with `--log_samples`, on the Hugging Face transformers model loaded from
the default GGUF (models/SmolLM2-135M-Instruct.Q4_1.gguf through transformers' `gguf_file=`,
dequantized to float32, CPU, batch size 1, one torch thread):
  mmlu   lm-eval's own `mmlu_abstract_algebra`, `mmlu_anatomy`, `mmlu_astronomy`, 5-shot, the
         first 4 test questions of each  -> tests/fixtures/lmeval/smollm2-q4_1/mmlu/
  gsm8k  lm-eval's own `gsm8k`, 5-shot, the first 4 test questions
                                         -> tests/fixtures/lmeval/smollm2-q4_1/gsm8k/
(two runs so that each can be regenerated alone: `--only mmlu` or `--only gsm8k`).

No hub access: HF_HUB_OFFLINE / HF_DATASETS_OFFLINE are set, and `datasets.load_dataset`
is replaced, for the two datasets these tasks name (cais/mmlu, openai/gsm8k), by a loader of
the local files in ../shared/datasets (MMLU CSVs read with Python's csv module, GSM8K JSONL),
returning the same splits and columns as the hub copies (mmlu: question, subject, choices,
answer as 0..3; gsm8k: question, answer). The tasks themselves, their prompts, few-shot
rules, filters and metrics, are lm-eval's unchanged; only the bytes come from local files.
The three subjects hold no carriage return in their dev/test fields, so the csv module and
the hub's copy give the same text.

Trimming (so the fixture stays small): the results JSON loses "pretty_env_info" (the
machine's package list); each sample line loses "doc" (the dataset row; the prompt is in
"arguments"). Everything else is lm-eval's output byte for byte.

Run (minutes on an idle 2-core machine; MMLU took 5 and GSM8K about 10 on a loaded one):
    python3 -m venv /opt/venv-claims
    /opt/venv-claims/bin/pip install lm-eval torch transformers accelerate gguf sentencepiece
    /opt/venv-claims/bin/python tools/gen_lmeval_fixtures.py [--model M.gguf] [--data DIR] [--out DIR]
Versions used for the committed fixture are in its results JSON ("lm_eval_version",
"transformers_version") and in tests/fixtures/lmeval/README.md.
"""
import argparse
import csv
import glob
import json
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBJECTS = ["abstract_algebra", "anatomy", "astronomy"]
TASK_SETS = {"mmlu": ["mmlu_" + s for s in SUBJECTS], "gsm8k": ["gsm8k"]}
LIMIT = 4


def mmlu_split(data, subject, split):
    rows = []
    with open(os.path.join(data, "mmlu", split, f"{subject}_{split}.csv"), newline="", encoding="utf-8") as f:
        for r in csv.reader(f):
            if len(r) != 6 or r[5] not in "ABCD":
                raise SystemExit(f"{subject}_{split}.csv: unexpected row {r!r}")
            rows.append({"question": r[0], "subject": subject, "choices": r[1:5], "answer": "ABCD".index(r[5])})
    return rows


def local_load_dataset(data):
    import datasets

    def load(path=None, name=None, **kwargs):
        if path == "cais/mmlu" or path == "hails/mmlu_no_train":
            features = datasets.Features({
                "question": datasets.Value("string"), "subject": datasets.Value("string"),
                "choices": datasets.Sequence(datasets.Value("string")),
                "answer": datasets.ClassLabel(names=["A", "B", "C", "D"])})
            splits = {"test": "test", "validation": "val", "dev": "dev"}
            return datasets.DatasetDict({k: datasets.Dataset.from_list(mmlu_split(data, name, v), features=features)
                                         for k, v in splits.items()})
        if path in ("openai/gsm8k", "gsm8k") and name == "main":
            out = {}
            for split in ("train", "test"):
                with open(os.path.join(data, "gsm8k", f"{split}.jsonl"), encoding="utf-8") as f:
                    out[split] = datasets.Dataset.from_list([json.loads(line) for line in f if line.strip()])
            return datasets.DatasetDict(out)
        raise SystemExit(f"gen_lmeval_fixtures: no local copy of dataset {path!r} / {name!r}")

    return load


def trim(src, dst):
    os.makedirs(dst, exist_ok=True)
    for p in glob.glob(os.path.join(src, "**", "results_*.json"), recursive=True):
        with open(p, encoding="utf-8") as f:
            res = json.load(f)
        res.pop("pretty_env_info", None)
        with open(os.path.join(dst, os.path.basename(p)), "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2, ensure_ascii=False)
            f.write("\n")
    for p in glob.glob(os.path.join(src, "**", "samples_*.jsonl"), recursive=True):
        with open(p, encoding="utf-8") as f, open(os.path.join(dst, os.path.basename(p)), "w", encoding="utf-8") as o:
            for line in f:
                if not line.strip():
                    continue
                s = json.loads(line)
                s.pop("doc", None)
                o.write(json.dumps(s, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "datasets"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "lmeval", "smollm2-q4_1"))
    ap.add_argument("--only", choices=sorted(TASK_SETS), help="regenerate one of the two runs")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    a = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    torch.set_num_threads(a.threads)
    import datasets
    datasets.load_dataset = local_load_dataset(os.path.abspath(a.data))
    import lm_eval.api.task  # noqa: F401  (binds datasets.load_dataset at call time)
    from lm_eval.__main__ import cli_evaluate

    model = os.path.abspath(a.model)
    for name, tasks in TASK_SETS.items():
        if a.only and a.only != name:
            continue
        out = os.path.join(a.out, name)
        tmp = tempfile.mkdtemp(prefix="lmeval-fixture-")
        try:
            sys.argv = ["lm_eval", "--model", "hf",
                        "--model_args", f"pretrained={os.path.dirname(model)},gguf_file={os.path.basename(model)},dtype=float32",
                        "--tasks", ",".join(tasks), "--num_fewshot", "5", "--limit", str(LIMIT), "--device", "cpu",
                        "--batch_size", "1", "--output_path", tmp, "--log_samples", "--seed", "0,1234,1234,1234"]
            cli_evaluate()
            if os.path.isdir(out):
                shutil.rmtree(out)
            trim(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for p in sorted(os.listdir(out)):
            print(f"{os.path.getsize(os.path.join(out, p)):>8}  {name}/{p}")


if __name__ == "__main__":
    main()
