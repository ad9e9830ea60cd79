#!/usr/bin/env python3
"""pp/tg tokens/s of llama.cpp (through llama-cpp-python's low-level API), measured like
llama-bench: pp = n_prompt token ids in one llama_decode, tg = n_gen single-token decodes
from an empty cache; median and min/max over repetitions after one warm-up.
A dev tool (tools/bench-vs-llama.sh uses it when no llama-bench binary is given)."""
import argparse
import ctypes
import json
import random
import statistics
import sys
import time

import llama_cpp as L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    L.llama_backend_init()
    mp = L.llama_model_default_params()
    model = L.llama_model_load_from_file(a.model.encode(), mp)
    if not model:
        sys.exit(f"llama_cpp_bench: cannot load {a.model}")
    cp = L.llama_context_default_params()
    cp.n_ctx = max(a.p, a.n + 1) + 16
    cp.n_batch = max(a.p, 1)
    cp.n_ubatch = max(a.p, 1)
    cp.n_threads = a.threads
    cp.n_threads_batch = a.threads
    ctx = L.llama_init_from_model(model, cp)
    mem = L.llama_get_memory(ctx)
    n_vocab = L.llama_vocab_n_tokens(L.llama_model_get_vocab(model))
    rng = random.Random(1)

    def decode(toks):
        arr = (L.llama_token * len(toks))(*toks)
        if L.llama_decode(ctx, L.llama_batch_get_one(arr, len(toks))) != 0:
            sys.exit("llama_decode failed")

    def pp():
        L.llama_memory_clear(mem, True)
        toks = [rng.randrange(1, n_vocab) for _ in range(a.p)]
        t0 = time.perf_counter()
        decode(toks)
        return a.p / (time.perf_counter() - t0)

    def tg():
        L.llama_memory_clear(mem, True)
        decode([rng.randrange(1, n_vocab)])
        t0 = time.perf_counter()
        for _ in range(a.n):
            decode([rng.randrange(1, n_vocab)])
        return a.n / (time.perf_counter() - t0)

    out = {}
    for name, fn, n in (("pp", pp, a.p), ("tg", tg, a.n)):
        if n <= 0:
            continue
        fn()  # warm-up
        v = [fn() for _ in range(a.repetitions)]
        out[f"{name}{n}"] = {"median": statistics.median(v), "min": min(v), "max": max(v), "values": v}
    if a.json:
        print(json.dumps(out))
    else:
        for k, s in out.items():
            print(f"llama.cpp {k}: {s['median']:.2f} t/s (min {s['min']:.2f}, max {s['max']:.2f})")
    L.llama_free(ctx)
    L.llama_model_free(model)


if __name__ == "__main__":
    main()
