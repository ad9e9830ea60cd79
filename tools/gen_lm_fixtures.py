#!/usr/bin/env python3
"""Dev script: writes the reference fixtures for tests/pyrandom, tests/mmlu and tests/gsm8k
into tests/fixtures/lm/*.json, using CPython itself as the oracle.

  /opt/ysdev/bin/python tools/gen_lm_fixtures.py [--data ../shared/datasets]

- pyrandom.json: random.Random streams (getrandbits, random() as integer multiples of
  2**-53, _randbelow, sample, choices) for several seeds, incl. multi-word seeds.
- extraction.json: Python re.findall / re.sub results and lm-eval's GSM8K filters and
  exact_match normalisation, reimplemented here from PROTOCOLS.md §3 with Python `re`.
- mmlu_prompts.json / gsm8k_prompts.json: contexts and requests for fixed documents,
  built independently of the C++ code (lm-eval's fewshot_context string building:
  description + fewshot_delimiter-joined "text + target_delimiter + target" examples
  + fewshot_delimiter + text). Files are read the way the HF dataset scripts read them
  (MMLU: the CSV lines read as bytes and parsed by csv.reader, as the cais/mmlu builder
  did, so "\r\n" inside quoted fields stays (docs/protocols.md); GSM8K: json.loads per line).
Runs on CPython 3.11; never at test time.
"""
import argparse
import csv
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "tests", "fixtures", "lm")


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", path)


# ---------------------------------------------------------------- random
def pyrandom_fixture():
    seeds = [0, 1, 42, 1234, 2**32 - 1, 2**32, 2**32 + 5, 123456789012345, 2**64 - 1]
    streams = []
    for s in seeds:
        r = random.Random(s)
        bits32 = [r.getrandbits(32) for _ in range(8)]
        r = random.Random(s)
        rnd53 = [int(r.random() * 2**53) for _ in range(8)]
        r = random.Random(s)
        ks = [1, 7, 31, 32, 33, 53, 64, 0, 5]
        bits = [[k, r.getrandbits(k)] for k in ks]
        r = random.Random(s)
        ns = [1, 2, 3, 7, 100, 7473, 2**32 + 1, 2**63 + 5, 2**64 - 1]
        below = [[n, r._randbelow(n)] for n in ns]
        streams.append({"seed": s, "getrandbits32": bits32, "random_x2p53": rnd53,
                        "getrandbits": bits, "randbelow": below})
    samples = []
    for seed, n, k, reps in [(1234, 7473, 5, 3), (0, 10, 3, 2), (1, 21, 21, 1), (42, 22, 5, 2),
                             (7, 100, 6, 2), (7, 80, 6, 2), (3, 1000, 50, 1), (5, 50, 50, 1),
                             (1234, 7473, 8, 2), (99, 85, 6, 1), (99, 86, 6, 1), (11, 5, 0, 1)]:
        r = random.Random(seed)
        draws = [r.sample(range(n), k) for _ in range(reps)]
        samples.append({"seed": seed, "n": n, "k": k, "draws": draws})
    choices = []
    for seed, n, k in [(0, 50, 50), (1, 50, 50), (2, 7, 20), (1234, 1319, 10)]:
        r = random.Random(seed)
        choices.append({"seed": seed, "n": n, "k": k, "indices": r.choices(range(n), k=k)})
    dump("pyrandom.json", {"python": sys.version.split()[0], "streams": streams,
                           "samples": samples, "choices": choices})


# ---------------------------------------------------------------- extraction
STRICT = r"#### (\-?[0-9\.\,]+)"
COT_STRICT = r"The answer is (\-?[0-9\.\,]+)."
FLEX = r"(-?[$0-9.,]{2,})|(-?[0-9]+)"
IGNORE = [",", r"\$", "(?s).*#### ", r"\.$"]


def regex_filter(pattern, text, group_select, fallback="[invalid]"):
    # lm-eval RegexFilter.apply for one response (PROTOCOLS.md §3)
    found = re.compile(pattern).findall(text)
    if not found:
        return fallback
    m = found[group_select]
    if isinstance(m, tuple):
        nonempty = [g for g in m if g]
        if not nonempty:
            return fallback
        m = nonempty[0]
    return m.strip()


def normalize(s):
    for p in IGNORE:
        s = re.sub(p, "", s)
    return s.lower()


def extraction_fixture():
    outputs = [
        "Janet sells 16 - 3 - 4 = 9 eggs.\n#### 18",
        "The total is 1,234 dollars.\n#### 1,234",
        "She pays $1,200.50 in total.",
        "So the answer is 42.",
        "#### -7\nQuestion: next",
        "The temperature dropped to -15 degrees.",
        "I don't know.",
        "",
        "#### 3\n#### 4",
        "#### 5. Then #### 6",
        "There are 3 cats and 12 dogs, so 15 animals",
        "The answer is 8.",
        "The answer is $8.",
        "The answer is 1,000.\nQ: ignore 99",
        "Costs $5 and then 7.5 more... total 12.5.",
        "value: -.5 or 3.",
        "..., ,, $$",
        "answer #### 72\n",
        "1.\n2.\n3.",
        "x = -3, y = -0, z=10\n",
        "The answer is 2.5. The answer is 3.",
        "#### 1 000",
        "Total: 1,000,000.00.",
        "He has 5 apples.\n\nQuestion: How many?",
        "$ 5",
        "number 7\n",
    ]
    references = [
        "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n#### 18",
        "#### 1234",
        "42",
        "-15",
        "1,000",
        "8",
    ]
    rows = []
    for text in outputs:
        rows.append({
            "text": text,
            "strict": regex_filter(STRICT, text, 0),
            "cot_strict": regex_filter(COT_STRICT, text, 0),
            "flexible": regex_filter(FLEX, text, -1),
            "normalized": normalize(text),
        })
    pairs = []
    for pred in ["18", "1,234", "$1234", "42.", "-15", "1000", "1,000", "8", "[invalid]", "8.0", "$8.", "Eight"]:
        for ref in references:
            pairs.append({"prediction": pred, "reference": ref,
                          "exact_match": 1.0 if normalize(pred) == normalize(ref) else 0.0})
    generic = []
    for pattern, text in [("a*", "baaac"), ("x*", "abxd"), (r"\d+", "a1b22c333"), ("(a)|(b)", "abcab"),
                          ("(a)(b)?", "aab ab"), ("", "abc"), (r"\.$", "3.5.\n"), (r"\.$", "3.5.\n\n"),
                          ("(?s).*#### ", "a\n#### b #### c"), (".*#### ", "a\n#### b"), ("b*|c", "abbcd"),
                          (r"[$0-9.,]{2,}", "$1,000 and 2"), ("(?:x)", "xax")]:
        rx = re.compile(pattern)
        found = rx.findall(text)
        as_lists = [list(m) if isinstance(m, tuple) else [m] for m in found]
        generic.append({"pattern": pattern, "text": text, "findall": as_lists,
                        "sub_empty": rx.sub("", text), "sub_dash": rx.sub("-", text)})
    strip_cases = [" a b ", "\t\n x\r\n", "\u00a0y\u3000", "\u2003z\u2029", "\x85q\x1c", "none", "", "  ",
                   "\u00e9 ", " \u200b"]
    strips = [{"text": s, "strip": s.strip()} for s in strip_cases]
    finals = [{"answer": a, "final": a.split("####")[-1].strip()}
              for a in ["so\n#### 72", "no marker", "#### 1\n#### 2 ", "#####5", "a #### b ####"]]
    dump("extraction.json", {"outputs": rows, "exact_match": pairs, "generic": generic,
                             "strip": strips, "final_answer": finals})


# ---------------------------------------------------------------- prompts
def read_mmlu(data, subject, split):
    # the cais/mmlu builder's way: lines of the file as bytes, decoded, then csv.reader
    with open(os.path.join(data, "mmlu", split, f"{subject}_{split}.csv"), "rb") as f:
        lines = (line.decode("utf-8") for line in f)
        return [{"question": r[0], "choices": r[1:5], "answer": "ABCD".index(r[5])} for r in csv.reader(lines)]


def mmlu_text(doc):
    c = doc["choices"]
    return "{}\nA. {}\nB. {}\nC. {}\nD. {}\nAnswer:".format(doc["question"].strip(), c[0], c[1], c[2], c[3])


def fewshot_context(description, shots, doc_text, target_delim=" ", fewshot_delim="\n\n"):
    labeled = ""
    if shots:
        labeled = fewshot_delim.join(t + target_delim + y for t, y in shots) + fewshot_delim
    return description + labeled + doc_text


def mmlu_fixture(data):
    docs = []
    for subject in ["college_mathematics", "formal_logic", "nutrition"]:
        dev = read_mmlu(data, subject, "dev")
        test = read_mmlu(data, subject, "test")
        desc = f"The following are multiple choice questions (with answers) about {' '.join(subject.split('_'))}.\n\n"
        for shots in [5, 0]:
            labeled = [(mmlu_text(d), "ABCD"[d["answer"]]) for d in dev[:shots]]
            for row in range(3):
                ctx = fewshot_context(desc, labeled, mmlu_text(test[row]))
                docs.append({"subject": subject, "row": row, "num_fewshot": shots, "context": ctx,
                             "target": "ABCD"[test[row]["answer"]]})
    dump("mmlu_prompts.json", {"docs": docs})


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


COT = [
    ("There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?",
     "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6."),
    ("If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
     "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5."),
    ("Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
     "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The answer is 39."),
    ("Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did Jason give to Denny?",
     "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. The answer is 8."),
    ("Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?",
     "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. The answer is 9."),
    ("There were nine computers in the server room. Five more computers were installed each day, from monday to thursday. How many computers are now in the server room?",
     "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The answer is 29."),
    ("Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf balls did he have at the end of wednesday?",
     "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The answer is 33."),
    ("Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
     "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The answer is 8."),
]


def gsm8k_fixture(data):
    train = read_jsonl(os.path.join(data, "gsm8k", "train.jsonl"))
    test = read_jsonl(os.path.join(data, "gsm8k", "test.jsonl"))
    rnd = random.Random(1234)  # one generator per task, consumed in test order
    docs = []
    for i in range(3):
        idx = rnd.sample(range(len(train)), 5)
        shots = [("Question: " + train[j]["question"] + "\nAnswer:", train[j]["answer"]) for j in idx]
        ctx = fewshot_context("", shots, "Question: " + test[i]["question"] + "\nAnswer:")
        cot = fewshot_context("", [("Q: " + q + "\nA:", a) for q, a in COT], "Q: " + test[i]["question"] + "\nA:")
        docs.append({"doc": i, "train_indices": idx, "context": ctx, "cot_context": cot,
                     "target": test[i]["answer"], "cot_target": test[i]["answer"].split("####")[-1].strip()})
    dump("gsm8k_prompts.json", {"docs": docs})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "datasets"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    pyrandom_fixture()
    extraction_fixture()
    mmlu_fixture(args.data)
    gsm8k_fixture(args.data)


if __name__ == "__main__":
    main()
