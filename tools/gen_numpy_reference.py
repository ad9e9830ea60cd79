#!/usr/bin/env python3
"""An independent fp64 reference forward pass of the real SmolLM2-135M-Instruct Q4_1 model,
for tests/oracle (issue 3: the engine's exact path, `--quant f32`, must agree to 1e-3 mean
|dlogprob|), and of Gemma 3 270M Q4_K_M (issue 19; general.architecture "gemma3").

Gemma 3, written from its definition (HF Gemma3ForCausalLM; llama.cpp's GGUF stores the norm
weights with the +1 already added): x = embd * sqrt(n_embd); per layer, RMSNorm before and
after attention and FFN, per-head RMSNorm of q and k before NeoX rope, rope base 10000 on the
sliding layers (il % 6 < 5: keys of the last `sliding_window` positions) and rope.freq_base on
the global ones, scores q.k / sqrt(head_dim), FFN down(gelu_tanh(gate x) * up x), tied output.
Run for Gemma 3: --model models/gemma-3-270m-q4_k_m.gguf --ids tests/fixtures/model/gemma3_logprobs.json
                 --out tests/fixtures/model/gemma3_numpy_ref.json --rope neox
(without llama.cpp's fixture: --ids tests/fixtures/model/smollm2_logprobs.json --retokenize build/bin/yardstick
--long-repeat 3, which takes that fixture's texts, adds them joined and repeated (~700 tokens), and uses the
engine's token ids).

The weights are read with gguf-py's GGUFReader and dequantized with gguf-py's own
`gguf.quants.dequantize` (not our code); everything after that is numpy float64. Token ids
come from tests/fixtures/model/smollm2_logprobs.json (llama.cpp's tokenizer), so no
tokenizer is needed here.

Run: /opt/ysdev/bin/python tools/gen_numpy_reference.py [--model M] [--ids FIXTURE] [--out OUT]
                                                       [--rope normal|neox] [--dump DIR]
--rope neox is only there to show that the llama "normal" mode (adjacent pairs) is the right
one (the perplexity it prints is far worse). --dump DIR writes each paragraph's per-layer
activations (.npy) for layer-by-layer debugging of the engine."""
import argparse
import json
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def field(reader, key):
    f = reader.get_field(key)
    if f is None:
        sys.exit(f"{key}: missing from the GGUF metadata")
    return f.contents()


class Weights:
    """Dequantized fp64 tensors; shapes are numpy row-major, i.e. GGUF [ne0, ne1] -> [ne1, ne0]."""

    def __init__(self, path):
        r = GGUFReader(path)
        self.arch = field(r, "general.architecture")
        a = self.arch
        self.n_layer = int(field(r, f"{a}.block_count"))
        self.n_embd = int(field(r, f"{a}.embedding_length"))
        self.n_head = int(field(r, f"{a}.attention.head_count"))
        self.n_kv_head = int(field(r, f"{a}.attention.head_count_kv"))
        self.eps = float(field(r, f"{a}.attention.layer_norm_rms_epsilon"))
        self.freq_base = float(field(r, f"{a}.rope.freq_base"))
        kl = r.get_field(f"{a}.attention.key_length")
        self.head_dim = int(kl.contents()) if kl is not None else self.n_embd // self.n_head
        sw = r.get_field(f"{a}.attention.sliding_window")
        self.window = int(sw.contents()) if (a == "gemma3" and sw is not None) else 0
        if a == "gemma3" and r.get_field(f"{a}.rope.scaling.type") is not None:
            sys.exit("gemma3 with rope scaling: not handled by this reference")
        self.t = {}
        for t in r.tensors:
            ne = [int(x) for x in t.shape]  # GGUF order: ne0 (contiguous) first
            arr = dequantize(t.data, t.tensor_type).astype(np.float64)
            self.t[t.name] = arr.reshape(list(reversed(ne)))
        if "output.weight" not in self.t:
            self.t["output.weight"] = self.t["token_embd.weight"]  # tied embeddings
        self.n_vocab = self.t["token_embd.weight"].shape[0]
        self._check_shapes()

    def _check_shapes(self):
        e, hd = self.n_embd, self.head_dim
        assert self.t["token_embd.weight"].shape == (self.n_vocab, e)
        for il in range(self.n_layer):
            p = f"blk.{il}."
            assert self.t[p + "attn_q.weight"].shape == (self.n_head * hd, e)
            assert self.t[p + "attn_k.weight"].shape == (self.n_kv_head * hd, e)
            assert self.t[p + "attn_v.weight"].shape == (self.n_kv_head * hd, e)
            assert self.t[p + "attn_output.weight"].shape == (e, self.n_head * hd)
            n_ff = self.t[p + "ffn_gate.weight"].shape[0]
            assert self.t[p + "ffn_up.weight"].shape == (n_ff, e)
            assert self.t[p + "ffn_down.weight"].shape == (e, n_ff)

    def __getitem__(self, name):
        return self.t[name]


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, freq_base, mode):
    """x: [n_tok, n_heads, head_dim]; rotates pairs by angle pos * base^(-2i/head_dim)."""
    n_tok, _, hd = x.shape
    half = hd // 2
    inv = freq_base ** (-np.arange(half, dtype=np.float64) * 2.0 / hd)
    ang = np.arange(n_tok, dtype=np.float64)[:, None] * inv[None, :]  # [n_tok, half]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    if mode == "normal":  # pairs (x[2i], x[2i+1])
        a, b = x[..., 0::2], x[..., 1::2]
    else:  # neox: pairs (x[i], x[i + half])
        a, b = x[..., :half], x[..., half:]
    ra, rb = a * cos - b * sin, a * sin + b * cos
    out = np.empty_like(x)
    if mode == "normal":
        out[..., 0::2], out[..., 1::2] = ra, rb
    else:
        out[..., :half], out[..., half:] = ra, rb
    return out


def sliding(W, il):
    return W.arch == "gemma3" and W.window > 0 and il % 6 < 5


def attention(W, il, xn, mode):
    p = f"blk.{il}."
    n_tok, hd = xn.shape[0], W.head_dim
    q = (xn @ W[p + "attn_q.weight"].T).reshape(n_tok, W.n_head, hd)
    k = (xn @ W[p + "attn_k.weight"].T).reshape(n_tok, W.n_kv_head, hd)
    v = (xn @ W[p + "attn_v.weight"].T).reshape(n_tok, W.n_kv_head, hd)
    base = W.freq_base
    if W.arch == "gemma3":  # per-head QK norm before rope; local rope base on sliding layers
        q = rms_norm(q, W[p + "attn_q_norm.weight"], W.eps)
        k = rms_norm(k, W[p + "attn_k_norm.weight"], W.eps)
        base = 10000.0 if sliding(W, il) else W.freq_base
    q, k = rope(q, base, mode), rope(k, base, mode)
    group = W.n_head // W.n_kv_head  # query head h uses kv head h // group
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    s = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(hd)
    visible = np.tril(np.ones((n_tok, n_tok), dtype=bool))
    if sliding(W, il):  # query t sees keys t - window < j <= t
        visible &= ~np.tril(np.ones((n_tok, n_tok), dtype=bool), -W.window)
    s = np.where(visible[None], s, -np.inf)
    s = np.exp(s - s.max(axis=-1, keepdims=True))
    s /= s.sum(axis=-1, keepdims=True)
    o = np.einsum("hqk,khd->qhd", s, v).reshape(n_tok, W.n_head * hd)
    return o @ W[p + "attn_output.weight"].T


def ffn(W, il, xn):
    p = f"blk.{il}."
    g = xn @ W[p + "ffn_gate.weight"].T
    u = xn @ W[p + "ffn_up.weight"].T
    if W.arch == "gemma3":  # tanh gelu
        act = 0.5 * g * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (g + 0.044715 * g ** 3)))
    else:
        act = g / (1.0 + np.exp(-g))
    return (act * u) @ W[p + "ffn_down.weight"].T


def forward(W, ids, mode, dump=None):
    """Logits [n_tok, n_vocab] of every position (teacher forced, one causal batch)."""
    x = W["token_embd.weight"][np.asarray(ids)]
    gemma = W.arch == "gemma3"
    if gemma:
        x = x * np.sqrt(float(W.n_embd))
    if dump is not None:
        dump["embd"] = x.copy()
    for il in range(W.n_layer):
        p = f"blk.{il}."
        a = attention(W, il, rms_norm(x, W[p + "attn_norm.weight"], W.eps), mode)
        x = x + (rms_norm(a, W[p + "post_attention_norm.weight"], W.eps) if gemma else a)
        if dump is not None:
            dump[f"l{il:02d}_attn_resid"] = x.copy()
        f = ffn(W, il, rms_norm(x, W[p + "ffn_norm.weight"], W.eps))
        x = x + (rms_norm(f, W[p + "post_ffw_norm.weight"], W.eps) if gemma else f)
        if dump is not None:
            dump[f"l{il:02d}_out"] = x.copy()
    x = rms_norm(x, W["output_norm.weight"], W.eps)
    return x @ W["output.weight"].T


def log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def score(W, ids, mode, dump=None):
    lsm = log_softmax(forward(W, ids, mode, dump))
    lp = [0.0] + [float(lsm[i - 1, ids[i]]) for i in range(1, len(ids))]
    am = [int(ids[0])] + [int(lsm[i - 1].argmax()) for i in range(1, len(ids))]
    return lp, am


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="models/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--ids", default="tests/fixtures/model/smollm2_logprobs.json")
    ap.add_argument("--out", default="tests/fixtures/model/smollm2_numpy_ref.json")
    ap.add_argument("--rope", choices=["normal", "neox"], default="normal")
    ap.add_argument("--dump", default=None)
    ap.add_argument("--retokenize", metavar="YARDSTICK", default=None,
                    help="take only the texts of --ids and tokenize them for --model with `YARDSTICK tokenize "
                         "--bos` (the engine's tokenizer; for a model without llama.cpp ids yet)")
    ap.add_argument("--long-repeat", type=int, default=0,
                    help="with --retokenize: add a paragraph 'long', the texts joined and repeated this many times "
                         "(Gemma 3: past its 512-position sliding window)")
    a = ap.parse_args()
    W = Weights(a.model)
    with open(a.ids) as f:
        fix = json.load(f)
    if a.long_repeat:
        if not a.retokenize:
            sys.exit("--long-repeat needs --retokenize")
        joined = "\n\n".join(p["text"] for p in fix["paragraphs"])
        fix["paragraphs"].append({"name": "long", "text": "\n\n".join([joined] * a.long_repeat)})
    if a.retokenize:
        import subprocess
        for p in fix["paragraphs"]:
            j = json.loads(subprocess.check_output([a.retokenize, "tokenize", "--model", a.model, "--text", p["text"],
                                                    "--bos", "--json"]))
            p["ids"] = [t["id"] for t in j["tokens"]]
            p["logprobs"], p["argmax"] = [0.0] * len(p["ids"]), [-1] * len(p["ids"])
        fix["generator"] = f"the texts of {a.ids}, tokenized by `yardstick tokenize --bos` (the engine)"
    out = {"generator": "tools/gen_numpy_reference.py: numpy float64 forward pass, weights dequantized "
                        f"by gguf-py's gguf.quants.dequantize, rope mode {a.rope}",
           "model": os.path.basename(a.model), "ids_from": fix.get("generator", a.ids), "paragraphs": []}
    all_d, all_lp = [], []
    for p in fix["paragraphs"]:
        ids = [int(t) for t in p["ids"]]
        if any(t < 0 or t >= W.n_vocab for t in ids):
            sys.exit(f"{a.ids}: paragraph {p['name']}: token id out of [0, {W.n_vocab})")
        dump = {} if a.dump else None
        lp, am = score(W, ids, a.rope, dump)
        if dump:
            os.makedirs(a.dump, exist_ok=True)
            for k, v in dump.items():
                np.save(os.path.join(a.dump, f"{p['name']}_{k}.npy"), v)
        d = np.abs(np.array(lp[1:]) - np.array(p["logprobs"][1:]))
        agree = np.mean(np.array(am[1:]) == np.array(p["argmax"][1:]))
        ppl = float(np.exp(-np.mean(lp[1:])))
        print(f"{p['name']}: {len(ids)} tokens, perplexity {ppl:.2f}" + ("" if a.retokenize else
              f", vs llama.cpp fixture: mean |d| {d.mean():.4f} max {d.max():.3f}, argmax agreement {agree:.3f}"))
        all_d.extend(d.tolist())
        all_lp.extend(lp[1:])
        q = {"name": p["name"], "ids": ids, "logprobs": lp, "argmax": am}
        if "text" in p:
            q["text"] = p["text"]
        out["paragraphs"].append(q)
    print(f"all: {len(all_d)} tokens, perplexity {np.exp(-np.mean(all_lp)):.2f}" + ("" if a.retokenize else
          f", vs llama.cpp fixture (8-bit activations): mean |d| {np.mean(all_d):.4f} max {np.max(all_d):.3f}"))
    if (a.rope == "normal") == (W.arch == "llama") and a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=0)
        print("wrote", a.out)


if __name__ == "__main__":
    main()
