#!/usr/bin/env python3
"""Writes tests/fixtures/sacrebleu/*.json: reference values for Yardstick's BLEU, chrF,
13a tokenizer, lm-eval bootstrap stderr, stats helpers and pass@k.

Run with the dev venv (sacrebleu 2.6.0): /opt/ysdev/bin/python tools/gen_sacrebleu_fixtures.py
Dev script only; tests read the JSON it wrote, never this script.
"""
import json
import math
import os
import random
import sys

import numpy as np
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

assert sacrebleu.__version__ == "2.6.0", sacrebleu.__version__

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "sacrebleu")
SHARED = os.environ.get("YARDSTICK_SHARED_DATA", os.path.join(ROOT, "..", "shared", "datasets"))

WS = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
# Sanity: this is exactly what Python's str.split() treats as whitespace.
assert all(("a" + c + "b").split() == ["a", "b"] for c in WS)
assert sum(1 for cp in range(0x110000) if chr(cp).isspace()) == len(WS)

# Small corpora: (name, hyps, [ref stream, ...]).
CASES = [
    ("basic", ["The cat sat on the mat.", "It is raining today!"],
     [["The cat is on the mat.", "It rains today."]]),
    ("punct_classes", ["a{b}c|d~e[f\\g]h^i_j`k l!m\"n#o$p%q&r(s)t*u+v:w;x<y=z>?@/", "x'y don't co-op e-mail"],
     [["a { b } c|d ~ e[f\\g]h^i_j`k l!m\"n#o$p%q&r(s)t*u+v:w;x<y=z>?@/", "x'y do n't co-op e-mail"]]),
    ("digits_periods", ["3.14 and 1,000 cost $5.00.", "end.Start ,x x, .5 5. a.b 1.a a.1"],
     [["3.14 and 1,000 cost $ 5.00 .", "end. Start, x x ,.5 5 . a.b 1.a a.1"]]),
    ("hyphens", ["1-2 2014-2015 a-b -3 3- x9-y", "well-known 10-year-old -- ---"],
     [["1 - 2 2014 - 2015 a-b -3 3 -", "well known 10-year old -- ---"]]),
    ("entities", ["He said &quot;hi&quot; &amp; left &lt;b&gt; &amp;quot;", "no entity & here &lt"],
     [["He said \"hi\" & left <b> &quot;", "no entity & here <"]]),
    ("skipped_newlines", ["a <skipped> b", "line-\nbreak and\nnew line", "x<skipped>y-\n"],
     [["a b", "linebreak and new line", "xy"]]),
    ("unicode_ws", ["a\u00a0b\u3000c\u2009d\u200ae", "x\x1cy\x1dz\x1e\x1fw \x85 v\u2028u\u2029t\u202fs\u205fr\u1680q",
                    "tab\there\vand\fthere\r", "  lead and trail \u3000\u00a0 "],
     [["a b c d e", "x y z w v u t s r q", "tab here and there", "lead and trail"]]),
    ("ws_not_split", ["a\u200bb c\ufeffd e\u180ef", "x\u2060y"],
     [["a\u200bb c\ufeffd e f", "x y"]]),
    ("cjk_emoji", ["我们今天去北京。", "猫🐱在这里 😀!", "日本語のテキスト、です。"],
     [["我们明天去北京。", "猫在这里 😀 !", "日本語のテキストです。"]]),
    ("non_ascii_punct", ["café, naïve. Ça va?", "l'été—déjà vu… «quoi»"],
     [["café , naïve . Ça va ?", "l' été — déjà vu … « quoi »"]]),
    ("empty_hyps", ["", "Something here", ""],
     [["A reference", "Something here too", "Another one"]]),
    ("all_empty_hyps", ["", ""], [["a b c", "d e"]]),
    ("zero_matches", ["completely different words", "nothing"],
     [["the reference text here", "is unrelated"]]),
    ("zero_order3", ["a b x c d y e", "p q"], [["a b z c d w e", "p q"]]),
    ("short_hyp", ["a"], [["a b c d e f g"]]),
    ("long_hyp", ["a b c d e f g h i j k l m n o p"], [["a b c"]]),
    ("two_tokens", ["hello world", "hi"], [["hello world", "hi there"]]),
    ("multi_ref", ["The quick brown fox jumps over the lazy dog.", "A B C D"],
     [["A quick brown fox jumped over the lazy dog.", "A B C"],
      ["The fast brown fox jumps over a lazy dog.", "A B C D E F"]]),
    ("multi_ref_tie", ["a b c d e"], [["a b c d"], ["a b c d e f"], ["x y z w q r s"]]),
    ("multi_ref_three", ["one two three four", "five six seven"],
     [["one two three", "five six"], ["one two three four five", "five six seven eight"],
      ["two three four", "seven six five"]]),
    ("repeats", ["the the the the the the the", "a a a b b b"], [["the cat is on the mat", "a b a b"]]),
    ("ends_space_dot", ["Hello world .", "Goodbye ."], [["Hello world.", "Goodbye."]]),
    ("trailing_ws_hyp", ["word \u3000", "x\u00a0"], [["word", "x"]]),
]


def tok13a(line):
    return Tokenizer13a()(line.rstrip())


def bleu_record(hyps, refs):
    m = BLEU()
    s = m.corpus_score(hyps, refs)
    stats = [sum(col) for col in zip(*m._extract_corpus_statistics(hyps, refs))]
    return {
        "score": s.score, "counts": list(s.counts), "totals": list(s.totals),
        "precisions": list(s.precisions), "bp": s.bp, "sys_len": s.sys_len, "ref_len": s.ref_len,
        "stats": [int(x) for x in stats],
        "signature": str(m.get_signature()),
        "line": s.format(signature=str(m.get_signature())),
        "line_w1": s.format(width=1, signature=str(m.get_signature())),
    }


def chrf_record(hyps, refs):
    m = CHRF()
    s = m.corpus_score(hyps, refs)
    stats = [sum(col) for col in zip(*m._extract_corpus_statistics(hyps, refs))]
    return {"score": s.score, "stats": [int(x) for x in stats], "signature": str(m.get_signature()),
            "line": s.format(signature=str(m.get_signature()))}


def case_record(name, hyps, refs):
    return {
        "name": name, "hyps": hyps, "refs": refs,
        "tok_hyps": [tok13a(h) for h in hyps],
        "tok_refs": [[tok13a(r) for r in stream] for stream in refs],
        "bleu": bleu_record(hyps, refs), "chrf": chrf_record(hyps, refs),
    }


# --- lm-eval's bootstrap (lm_eval/api/metrics.py), reimplemented with Python's random ---
def sample_stddev(arr):
    mu = sum(arr) / len(arr)
    return math.sqrt(sum([(x - mu) ** 2 for x in arr]) / (len(arr) - 1))


def bootstrap_stderr(f, xs, iters):
    res = []
    chunk_size = min(1000, iters)
    for i in range(iters // chunk_size):
        rnd = random.Random()
        rnd.seed(i)
        for _ in range(chunk_size):
            res.append(f(rnd.choices(xs, k=len(xs))))
    return sample_stddev(res)


def lm_bleu(items):
    refs = [[it[0] for it in items]]
    preds = [it[1] for it in items]
    return sacrebleu.corpus_bleu(preds, refs).score


def lm_chrf(items):
    refs = [[it[0] for it in items]]
    preds = [it[1] for it in items]
    return sacrebleu.corpus_chrf(preds, refs).score


def read_lines(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line.rstrip("\n") for line in f]


def wmt_slice():
    path = os.path.join(SHARED, "wmt", "wmt16", "ro-en", "ref.en")
    refs = read_lines(path)[:300]
    hyps = list(refs)
    random.Random(7).shuffle(hyps)
    # Keep ~1/3 aligned so the scores are not near zero.
    for i in range(0, len(hyps), 3):
        hyps[i] = refs[i]
    return hyps, refs


def stats_fixtures():
    rnd = random.Random(11)
    xs = [rnd.random() for _ in range(37)]
    groups = [(0.61, 0.021, 100), (0.42, 0.035, 57), (0.77, 0.012, 310), (0.5, 0.0, 2)]
    stderrs = [g[1] for g in groups]
    sizes = [g[2] for g in groups]
    pooled = float(np.sqrt(sum([(n - 1) * se ** 2 * n for n, se in zip(sizes, stderrs)]) /
                           (sum(sizes) - len(sizes)) / sum(sizes)))
    mean_boot = bootstrap_stderr(lambda a: sum(a) / len(a), xs, 100)
    return {"xs": xs, "mean": sum(xs) / len(xs), "stderr": sample_stddev(xs) / math.sqrt(len(xs)),
            "pooled": {"stderrs": stderrs, "sizes": sizes, "value": pooled},
            "bootstrap_mean_100": mean_boot,
            "bootstrap_mean_2500": bootstrap_stderr(lambda a: sum(a) / len(a), xs, 2500),
            "choices_seed0_k10_n37": [int(i) for i in _choice_idx(0, 37, 10)],
            "choices_seed3_k5_n1000": [int(i) for i in _choice_idx(3, 1000, 5)]}


def _choice_idx(seed, n, k):
    return random.Random(seed).choices(range(n), k=k)


def pass_at_k_fixtures():
    out = []
    for n, c, k in [(1, 0, 1), (1, 1, 1), (10, 3, 1), (10, 3, 5), (10, 0, 5), (10, 10, 10), (20, 5, 10),
                    (64, 7, 2), (64, 7, 8), (64, 7, 16), (64, 7, 32), (64, 7, 64), (100, 1, 100), (200, 17, 50)]:
        exact = 1.0 - math.comb(n - c, k) / math.comb(n, k)
        prod = 1.0 if n - c < k else 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))
        out.append({"n": n, "c": c, "k": k, "comb": exact, "human_eval": prod})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [case_record(*c) for c in CASES]
    # Sentence-level 13a tokenizations of every whitespace code point and rule, one line each.
    tok_lines = [c + "x" + c + "1" + c for c in WS] + [
        "a.b,c 1.2,3 1.a a.1 .x x. ,", "9-9 a-9 9-a --1", "&quot;&amp;&lt;&gt;&amp;amp;", "<skipped><skipped>x",
        "{|}~[\\]^_` !\"#$%&()*+:;<=>?@/", "'-'", "\u00e9.\u00e9 \u00e9,1 1,\u00e9 \u4e2d.\u4e2d", "   ", "",
        "end with dash-\nnext", "é-\n", "x\n\ny", "a&b", "&&quot;", "\u00a0.\u00a0"]
    tokenizations = [{"line": s, "tok": tok13a(s)} for s in tok_lines]
    with open(os.path.join(OUT, "corpora.json"), "w", encoding="utf-8") as f:
        json.dump({"sacrebleu": sacrebleu.__version__, "cases": cases, "tokenizations": tokenizations}, f,
                  ensure_ascii=False, indent=1)

    if os.path.isdir(SHARED):
        hyps, refs = wmt_slice()
        rec = case_record("wmt16_ro_en_ref_shuffled", hyps, [refs])
        items = list(zip([" " + r for r in refs], hyps))  # lm-eval: (gold " {tgt}", prediction)
        rec["bootstrap"] = {"bleu": bootstrap_stderr(lm_bleu, items, 100),
                            "chrf": bootstrap_stderr(lm_chrf, items, 100), "iters": 100,
                            "gold_has_leading_space": True}
        with open(os.path.join(OUT, "wmt16_slice.json"), "w", encoding="utf-8") as f:
            json.dump(rec, f, ensure_ascii=False, indent=1)
    else:
        print(f"warning: {SHARED} not found; wmt16_slice.json not written", file=sys.stderr)

    with open(os.path.join(OUT, "stats.json"), "w", encoding="utf-8") as f:
        json.dump({"stats": stats_fixtures(), "pass_at_k": pass_at_k_fixtures()}, f, indent=1)


if __name__ == "__main__":
    main()
