#!/usr/bin/env python3
"""Teacher-forced logprob fixtures for tests/model from an independent engine (llama.cpp
through llama-cpp-python), on the real SmolLM2-135M-Instruct Q4_1 model.

Run: /opt/ysdev/bin/python tools/gen_logprob_fixtures.py [model.gguf] [out.json]

For each paragraph the tokens are evaluated twice, as one batch (prefill) and one token
at a time; MEASURED.md documents llama.cpp builds whose AMX Q4_0/Q4_1 batch path is wrong,
so the script reports how far the two disagree and stores the token-by-token values
(the path that does not go through batched GEMM)."""
import json
import sys

import numpy as np
import llama_cpp

MODEL = sys.argv[1] if len(sys.argv) > 1 else "models/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/model/smollm2_logprobs.json"

PARAGRAPHS = {
    "prose": "The history of the city begins in the early middle ages, when a small settlement grew up "
             "around the river crossing. Merchants came from far away to trade wool, salt and wine, and "
             "by the thirteenth century the town had its own market charter and a stone bridge.",
    "code": "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    a, b = 0, 1\n"
            "    for _ in range(n):\n        a, b = b, a + b\n    return a\n\nprint([fibonacci(i) for i in range(10)])\n",
    "numbers": "Quarterly revenue rose 12.5% to $4,381 million, compared with $3,894 million a year earlier; "
               "operating margin was 23.1%, and the company expects 2025 sales between 17,200 and 17,650 units.",
    "chat": "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
            "The capital of France is Paris.<|im_end|>\n",
}


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def run(llm, tokens, one_by_one):
    llm.reset()
    if one_by_one:
        for t in tokens:
            llm.eval([t])
    else:
        llm.eval(tokens)
    return np.array(llm.scores[: len(tokens)], dtype=np.float64)


def main():
    llm = llama_cpp.Llama(model_path=MODEL, logits_all=True, n_ctx=1024, n_batch=512, n_threads=2,
                          verbose=False)
    out = {"generator": f"llama-cpp-python {llama_cpp.__version__} (token-by-token eval, logits_all=True)",
           "model": MODEL.split("/")[-1], "paragraphs": []}
    for name, text in PARAGRAPHS.items():
        tokens = llm.tokenize(text.encode(), add_bos=True, special=True)
        seq = log_softmax(run(llm, tokens, True))
        bat = log_softmax(run(llm, tokens, False))
        lp_seq = [0.0] + [float(seq[i - 1, tokens[i]]) for i in range(1, len(tokens))]
        lp_bat = [0.0] + [float(bat[i - 1, tokens[i]]) for i in range(1, len(tokens))]
        diff = np.abs(np.array(lp_seq) - np.array(lp_bat))
        argmax = [int(tokens[0])] + [int(seq[i - 1].argmax()) for i in range(1, len(tokens))]
        print(f"{name}: {len(tokens)} tokens, prefill vs token-by-token logprob diff max {diff.max():.3g} "
              f"mean {diff.mean():.3g}")
        out["paragraphs"].append({"name": name, "text": text, "ids": [int(t) for t in tokens],
                                  "logprobs": lp_seq, "argmax": argmax,
                                  "prefill_vs_sequential_max_abs_diff": float(diff.max())})
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
