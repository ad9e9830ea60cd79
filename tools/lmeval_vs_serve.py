"""lm-eval's own `local-completions` client against `yardstick serve`, per sample vs a local run.

Runs `yardstick run --suite mmlu` on a GGUF model locally, starts `yardstick serve` on
127.0.0.1 with the same file, sends every (context, continuation) request of that run through
lm-eval's LocalCompletionsAPI (PyPI lm-eval, its remote-tokenizer backend: it tokenizes through
the server's /tokenize and sends token ids, as it does against vLLM), and compares lm-eval's
loglikelihoods and is_greedy with the local run's stored ones. Prints max |delta loglik|,
exact matches, is_greedy and argmax agreement.

    python3 -m venv /opt/venv-remote && /opt/venv-remote/bin/pip install 'lm-eval[api]==0.4.13'
    /opt/venv-remote/bin/python tools/lmeval_vs_serve.py [--build build] [--limit-per-subject 1]
        [--model models/SmolLM2-135M-Instruct.Q4_1.gguf] [--num-fewshot N]

Dev script only (Python is not a runtime dependency); nothing here is needed by the tests.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--model", default=os.path.join(repo, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--limit-per-subject", default="1")
    ap.add_argument("--num-fewshot", default=None)
    ap.add_argument("--shared-data", default=os.environ.get("YARDSTICK_SHARED_DATA", os.path.join(repo, "..", "shared", "datasets")))
    a = ap.parse_args()
    ys = os.path.join(repo, a.build, "bin", "yardstick")
    from lm_eval.api.instance import Instance
    from lm_eval.models.openai_completions import LocalCompletionsAPI
    import lm_eval

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        subprocess.run([ys, "data", "--data-dir", data, "import", a.shared_data], check=True, stdout=subprocess.DEVNULL)
        db = os.path.join(tmp, "local.db")
        run = [ys, "run", "--model", a.model, "--data-dir", data, "--db", db, "--suite", "mmlu",
               "--limit-per-subject", a.limit_per_subject]
        if a.num_fewshot is not None:
            run += ["--num-fewshot", a.num_fewshot]
        t0 = time.time()
        subprocess.run(run, check=True, stdout=subprocess.DEVNULL)
        print(f"local yardstick run: {time.time() - t0:.1f} s")
        con = sqlite3.connect(db)
        rows = con.execute("SELECT doc_id, request_json, output_json FROM samples ORDER BY doc_id").fetchall()
        requests, local = [], []
        for doc_id, req, out in rows:
            req, out = json.loads(req), json.loads(out)
            for k, cont in enumerate(req["continuations"]):
                requests.append((req["context"], cont))
                local.append((out["logprobs"][k], out["is_greedy"][k], doc_id, k))
        port_file = os.path.join(tmp, "port")
        server = subprocess.Popen([ys, "serve", "--model", a.model, "--name", "smollm2", "--port", "0",
                                   "--port-file", port_file], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                if os.path.exists(port_file):
                    break
                time.sleep(0.1)
            port = int(open(port_file).read())
            lm = LocalCompletionsAPI(base_url=f"http://127.0.0.1:{port}/v1/completions", model="smollm2",
                                     tokenizer_backend="remote", tokenized_requests=True, num_concurrent=1,
                                     max_length=8192, max_retries=3)
            insts = [Instance(request_type="loglikelihood", doc={}, arguments=r, idx=i) for i, r in enumerate(requests)]
            t0 = time.time()
            got = lm.loglikelihood(insts, disable_tqdm=True)
            print(f"lm-eval {lm_eval.__version__} local-completions via yardstick serve: {time.time() - t0:.1f} s, "
                  f"{len(insts)} requests ({len(rows)} documents)")
        finally:
            server.terminate()
            server.wait()
    deltas = [abs(g[0] - l[0]) for g, l in zip(got, local)]
    exact = sum(1 for g, l in zip(got, local) if g[0] == l[0])
    greedy_agree = sum(1 for g, l in zip(got, local) if bool(g[1]) == bool(l[1]))
    pred_agree = 0
    for d in range(0, len(local), 4):
        lm_pred = max(range(4), key=lambda k: (got[d + k][0], -k))
        ys_pred = max(range(4), key=lambda k: (local[d + k][0], -k))
        pred_agree += lm_pred == ys_pred
    worst = max(range(len(deltas)), key=lambda i: deltas[i])
    print(f"max |delta loglik| {max(deltas):.3e} (doc {local[worst][2]} choice {local[worst][3]}), "
          f"mean {sum(deltas) / len(deltas):.3e}")
    print(f"bitwise equal loglik: {exact}/{len(deltas)}; is_greedy agree: {greedy_agree}/{len(deltas)}; "
          f"argmax (pred) agree: {pred_agree}/{len(local) // 4}")
    return 0 if max(deltas) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
