"""Yardstick's remote client against a third-party OpenAI-compatible server: llama-cpp-python's.

Starts `python -m llama_cpp.server` on 127.0.0.1 with the default model (SmolLM2-135M-Instruct
Q4_1), runs the same suites locally and through `--model openai:http://127.0.0.1:PORT/v1#smollm2`,
and reports agreement per sample: GSM8K (greedy generation) identical texts and scores; MMLU
(loglikelihood through echo + logprobs, one prompt per request since that server takes a
single prompt) max/mean |delta logprob|, argmax and is_greedy agreement.

Build llama-cpp-python WITHOUT llama.cpp's AMX path (MEASURED.md, "Oracle trap": on this CPU its
Q4_0/Q4_1 AMX matmuls disagree with its own token-by-token path by up to ~10 in logprob):

    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
      -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_BF16=ON \
      -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_OPENMP=OFF" \
      /opt/venv-remote/bin/pip install 'llama-cpp-python[server]==0.3.36'
    /opt/venv-remote/bin/python tools/llamacpp_server_agreement.py [--build build] [--gsm8k 10] [--mmlu-per-subject 1]

The server's own sampling defaults would change greedy output (repeat_penalty 1.1), so the run
passes --remote-extra '{"repeat_penalty": 1.0}'. Differences in logprobs are expected: llama.cpp
computes with 8-bit activations and its own kernels (MEASURED.md: ~0.07-0.10 mean on random-weight
models); Yardstick's default is exact f32 activations. Dev script only.

Measured (2026-12-07, llama-cpp-python 0.3.36): GSM8K scores 10/10 identical, texts 7/10. MMLU
|delta| ~15 nats: llama-cpp-python's echo token_logprobs give each prompt token's logprob under
the distribution after it rather than before it (its issue #1983), so that server cannot serve
loglikelihood suites; the MMLU numbers printed here measure that bug, not Yardstick.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request


def samples(db):
    con = sqlite3.connect(db)
    out = {}
    for run_id, suite in con.execute("SELECT id, suite FROM runs"):
        rows = con.execute("SELECT doc_id, output_json, scores_json FROM samples WHERE run_id = ? ORDER BY doc_id", (run_id,))
        out[suite] = {d: (json.loads(o), json.loads(s)) for d, o, s in rows}
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--model", default=os.path.join(repo, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--gsm8k", default="10")
    ap.add_argument("--mmlu-per-subject", default="1")
    ap.add_argument("--port", type=int, default=18431)
    ap.add_argument("--shared-data", default=os.environ.get("YARDSTICK_SHARED_DATA", os.path.join(repo, "..", "shared", "datasets")))
    a = ap.parse_args()
    ys = os.path.join(repo, a.build, "bin", "yardstick")
    import llama_cpp
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        subprocess.run([ys, "data", "--data-dir", data, "import", a.shared_data], check=True, stdout=subprocess.DEVNULL)
        log = open(os.path.join(tmp, "server.log"), "w")
        server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", a.model, "--host", "127.0.0.1",
                                   "--port", str(a.port), "--n_ctx", "8192", "--logits_all", "true", "--n_threads", "2",
                                   "--model_alias", "smollm2"], stdout=log, stderr=log)
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{a.port}/v1/models", timeout=1)
                    break
                except Exception:
                    time.sleep(0.2)
            suites = [("gsm8k", ["--suite", "gsm8k", "--limit", a.gsm8k]),
                      ("mmlu", ["--suite", "mmlu", "--limit-per-subject", a.mmlu_per_subject])]
            for name, args in suites:
                t0 = time.time()
                subprocess.run([ys, "run", "--model", a.model, "--data-dir", data, "--db", os.path.join(tmp, "local.db")] + args,
                               check=True, stdout=subprocess.DEVNULL)
                t1 = time.time()
                r = subprocess.run([ys, "run", "--model", f"openai:http://127.0.0.1:{a.port}/v1#smollm2", "--data-dir", data,
                                    "--db", os.path.join(tmp, "remote.db"), "--remote-one-prompt", "--concurrency", "1",
                                    "--remote-extra", '{"repeat_penalty": 1.0}'] + args,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                print(f"{name}: local {t1 - t0:.1f} s, through llama-cpp-python {time.time() - t1:.1f} s (exit {r.returncode})")
                if r.returncode != 0:
                    print(r.stdout[-2000:])
            local, remote = samples(os.path.join(tmp, "local.db")), samples(os.path.join(tmp, "remote.db"))
        finally:
            server.terminate()
            server.wait()
    print(f"llama-cpp-python {llama_cpp.__version__} server vs Yardstick local (default f32 activations)")
    if "gsm8k" in remote:
        L, R = local["gsm8k"], remote["gsm8k"]
        same_text = sum(1 for d in L if d in R and L[d][0]["text"] == R[d][0]["text"])
        same_score = sum(1 for d in L if d in R and L[d][1] == R[d][1])
        print(f"gsm8k: {len(R)}/{len(L)} answered; identical texts {same_text}/{len(L)}; identical scores {same_score}/{len(L)}")
        for d in L:
            if d in R and L[d][0]["text"] != R[d][0]["text"]:
                lt, rt = L[d][0]["text"], R[d][0]["text"]
                k = next((i for i in range(min(len(lt), len(rt))) if lt[i] != rt[i]), min(len(lt), len(rt)))
                print(f"  first difference {d} at char {k}: local {lt[max(0, k - 20):k + 30]!r} | server {rt[max(0, k - 20):k + 30]!r}")
                break
    if "mmlu" in remote:
        L, R = local["mmlu"], remote["mmlu"]
        deltas, preds, greedy, n = [], 0, 0, 0
        for d in L:
            if d not in R:
                continue
            lo, ro = L[d][0], R[d][0]
            deltas += [abs(x - y) for x, y in zip(lo["logprobs"], ro["logprobs"])]
            preds += lo["pred"] == ro["pred"]
            greedy += sum(1 for x, y in zip(lo["is_greedy"], ro["is_greedy"]) if x == y)
            n += 1
        if deltas:
            print(f"mmlu: {len(R)}/{len(L)} answered; |delta logprob| max {max(deltas):.4f} mean {sum(deltas) / len(deltas):.4f}; "
                  f"pred agree {preds}/{n}; is_greedy agree {greedy}/{4 * n}")
    else:
        print("mmlu: no remote run stored (see the run's output above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
