#!/usr/bin/env python3
"""Golden token ids of Gemma 3 270M (issue 19) for tests/tokenizer, from llama.cpp's tokenizer
(llama-cpp-python, vocab only): the strings of tests/fixtures/tokenizer/smollm2.json (the
project's tokenizer fixture texts, "text" or "bytes_hex"), tokenized without BOS, control
tokens parsed ("ids") and not parsed ("ids_no_special").

Run: /opt/venv-llamacpp/bin/python tools/gen_gemma3_tokenizer_fixture.py [--model M] [--out F]
"""
import argparse
import hashlib
import json

import llama_cpp


def case_text(c):
    return c["text"].encode() if "text" in c else bytes.fromhex(c["bytes_hex"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="models/gemma-3-270m-q4_k_m.gguf")
    ap.add_argument("--cases", default="tests/fixtures/tokenizer/smollm2.json")
    ap.add_argument("--out", default="tests/fixtures/tokenizer/gemma3.json")
    a = ap.parse_args()
    with open(a.model, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    llm = llama_cpp.Llama(model_path=a.model, vocab_only=True, verbose=False)
    with open(a.cases) as f:
        src = json.load(f)["cases"]
    cases = []
    for c in src:
        raw = case_text(c)
        ids = [int(t) for t in llm.tokenize(raw, add_bos=False, special=True)]
        plain = [int(t) for t in llm.tokenize(raw, add_bos=False, special=False)]
        out = {k: c[k] for k in ("text", "bytes_hex") if k in c}
        out["ids"] = ids
        if plain != ids:
            out["ids_no_special"] = plain
        cases.append(out)
    fx = {"description": "Gemma 3 270M token ids of the tokenizer fixture strings (no BOS)",
          "generator": "tools/gen_gemma3_tokenizer_fixture.py",
          "reference": f"llama-cpp-python {llama_cpp.__version__} (vocab_only)",
          "model": a.model.split("/")[-1], "model_sha256": sha, "cases": cases}
    with open(a.out, "w") as f:
        json.dump(fx, f, indent=0, ensure_ascii=False)
    print(f"wrote {a.out}: {len(cases)} cases, {sum('ids_no_special' in c for c in cases)} with control tokens")


if __name__ == "__main__":
    main()
