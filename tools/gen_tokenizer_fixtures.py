#!/usr/bin/env python3
"""Golden token ids for tests/tokenizer, from implementations independent of Yardstick.

Run: /opt/ysdev/bin/python tools/gen_tokenizer_fixtures.py [--model M] [--data D] [--out F]

Reference: llama-cpp-python (llama.cpp's tokenizer, vocab only, special tokens parsed).
Cross-check: HF `tokenizers`, a ByteLevel BPE built from the GGUF's vocab + merges (read with
the `gguf` package) with SmolLM2's pre-tokenizer (individual digits, then the GPT-2 split).
Strings where the two disagree are listed under "disagreements"; the test uses llama.cpp's ids.
"variants": the same vocabulary re-labelled with other tokenizer.ggml.pre values (a GGUF
with the metadata only), tokenized by llama.cpp, to check the other pre-tokenizer rules.
Also writes per-line token counts and a SHA-256 of all ids for whole dataset files
("corpora"), checked by the test when the datasets are present.
"""
import argparse, hashlib, json, os, sys, tempfile

import gguf
import llama_cpp
import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

STRINGS = [
    "", " ", "  ", "\t", "\n", "\n\n\n", "\r\n", " \n ", "a", "Hello", "Hello world", " Hello world",
    "Hello world.  ", "hello   world", "trailing spaces   ", "   leading spaces",
    "The quick brown fox jumps over the lazy dog.",
    "It's a dog's life; they're here, we've gone, I'm sure you'll see, he'd know.",
    "IT'S LOUD THEY'RE HERE", "don't can't won't shouldn't", "'s 't 're 've 'm 'll 'd", "''''",
    "0", "7", "42", "1234567890", "3.14159265358979", "-273.15", "1,000,000 and 1 000 000",
    "Call 555-0123 or +1 (800) 555-0199.", "2024-01-15T10:30:00Z", "v1.2.3-rc.4", "0x1F 0b1010 1e-9",
    "The answer is 12345678901234567890.", "#### 72", "$18.50 + 20% = ?",
    "def add(a, b):\n    return a + b\n",
    "class Foo:\n\tdef bar(self):\n\t\tpass\n",
    "if (x > 0) {\n        y = x * 2;\n    } else {\n        y = -x;\n    }",
    "for i in range(10):\n    print(f\"{i:03d}\")  # comment\n\n\n",
    "    indented with four\n        and eight\n",
    "#include <stdio.h>\nint main() { printf(\"hi\\n\"); return 0; }",
    "x=[1,2,3];y={'a':1}", "a==b!=c<=d>=e->f=>g", "!!!???...,,,;;;", "...", "—–-", "(((nested)))",
    "$$$ %%% &&& *** @@@", "~`^|\\", "<html><body>Hi</body></html>", "https://example.com/path?q=1&r=2#frag",
    "email@example.com", "snake_case_name camelCaseName PascalCase", "__init__ __main__",
    "café naïve résumé façade", "Ångström über Straße", "ÀÉÎÕÜ àéîõü ñ ç ø å", "e\u0301 (combining acute)",
    "Привет, мир! Как дела?", "Съешь же ещё этих мягких французских булок.",
    "Γειά σου Κόσμε", "שלום עולם", "مرحبا بالعالم", "السلام عليكم ورحمة الله",
    "नमस्ते दुनिया", "हिन्दी में लिखा गया वाक्य।", "你好，世界！", "我爱自然语言处理。", "日本語のテキストです。",
    "カタカナ ひらがな 漢字", "한국어 문장입니다.", "ภาษาไทย", "Tiếng Việt có dấu",
    "😀", "😀😃😄", "I ❤️ NY", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇸🇩🇪", "emoji😀inside😃words",
    "∑∫∂√∞ ≤ ≥ ≠", "α β γ δ ε", "x² + y³ = z⁴", "½ ¼ ¾", "①②③", "Ⅻ", "٣٤٥ ١٢", "१२३",
    "\u00a0nbsp\u00a0", "\u3000ideographic space", "zero\u200bwidth", "soft\u00adhyphen", "nel\u0085line",
    "tab\tseparated\tvalues", "mixed \t \n whitespace \r\n end", "line1\nline2\r\nline3\rline4",
    "\x00null\x01ctrl\x1f", "a\x04b\x06c\x13d\x14e\x16f\x1dg\x7f", "\ufffd replacement", "\ufeffBOM at start", "\U0001F600\U0001F4A9",
    "a" * 50, " " * 33, "ab" * 40, "1" * 25, "\n" * 10 + "x",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>",
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
    "text<|im_end|>more text", "<|im_start|><|im_end|>", "  <|im_start|>  ", "<|im_start", "im_start|>",
    "<|im_start|im_end|>", "<<|im_end|>>", "<repo_name>x<file_sep>y<filename>z", "<jupyter_code>print(1)",
    "<|IM_START|>", "<s></s><unk>", "[INST] hi [/INST]", "<|begin_of_text|><|eot_id|>",
    "Question: What is 2+2?\nAnswer: 4\n\nQuestion: What is the capital of France?\nAnswer:",
    "The following are multiple choice questions (with answers) about abstract algebra.\n\n",
    "A. 0\nB. 4\nC. 2\nD. 6\nAnswer: B",
    "German phrase: Guten Morgen!\nEnglish phrase:",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
]

# Raw byte strings that are not valid UTF-8 (stored hex-encoded; llama.cpp only).
BYTE_STRINGS = [b"\xff", b"abc\xffdef", b"\xc3", b"\xc3(", b"\x80\x80", b"caf\xe9", b"\xe2\x82", b"ok\xf0\x9f\x98"]

CORPORA = [  # dataset files whose every line is tokenized (relative to the datasets folder)
    "wmt/wmt22/zh-en/src.zh", "wmt/wmt22/de-en/src.de", "wmt/wmt22/en-de/src.en", "wmt/wmt16/ro-en/src.ro",
    "gsm8k/test.jsonl", "mmlu/test/abstract_algebra_test.csv", "mmlu/test/high_school_us_history_test.csv",
    "mmlu/test/world_religions_test.csv", "mmlu/test/college_mathematics_test.csv",
]


def read_gguf_vocab(path):
    r = gguf.GGUFReader(path)
    def strings(key):
        f = r.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    f = r.fields["tokenizer.ggml.token_type"]
    types = [int(f.parts[i][0]) for i in f.data]
    return strings("tokenizer.ggml.tokens"), strings("tokenizer.ggml.merges"), types


def build_hf(path):
    tokens, merges, types = read_gguf_vocab(path)
    vocab = {t: i for i, t in enumerate(tokens)}
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges])
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == 3])
    return tok


VARIANT_PRES = ["llama-bpe", "qwen2", "gpt-2", "default"]


def write_variant(src, pre, out):
    """A metadata-only copy of `src` with tokenizer.ggml.pre replaced (enough for vocab_only)."""
    r = gguf.GGUFReader(src)
    w = gguf.GGUFWriter(out, arch=bytes(r.fields["general.architecture"].parts[-1]).decode())
    for k, f in r.fields.items():
        if k.startswith("GGUF.") or k == "general.architecture":
            continue
        t = f.types[0]
        if k == "tokenizer.ggml.pre":
            w.add_string(k, pre)
        elif t == gguf.GGUFValueType.ARRAY:
            if f.types[1] == gguf.GGUFValueType.STRING:
                w.add_array(k, [bytes(f.parts[i]).decode("utf-8") for i in f.data])
            else:
                w.add_array(k, [f.parts[i][0].item() for i in f.data])
        elif t == gguf.GGUFValueType.STRING:
            w.add_string(k, bytes(f.parts[f.data[0]]).decode("utf-8"))
        else:
            w.add_key_value(k, f.parts[f.data[0]][0].item(), t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def ids_digest(lines_ids):
    h = hashlib.sha256()
    for ids in lines_ids:
        h.update((",".join(map(str, ids)) + "\n").encode())
    return h.hexdigest()


def case_bytes(c):
    return c["text"].encode("utf-8") if "text" in c else bytes.fromhex(c["bytes_hex"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(REPO, "models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--data", default=os.path.join(os.path.dirname(REPO), "shared/datasets"))
    ap.add_argument("--out", default=os.path.join(REPO, "tests/fixtures/tokenizer/smollm2.json"))
    a = ap.parse_args()

    llm = llama_cpp.Llama(model_path=a.model, vocab_only=True, verbose=False)
    hf = build_hf(a.model)
    cases, disagreements = [], []
    for s in STRINGS:
        ids = llm.tokenize(s.encode("utf-8"), add_bos=False, special=True)
        plain = llm.tokenize(s.encode("utf-8"), add_bos=False, special=False)
        hf_ids = hf.encode(s).ids
        case = {"text": s, "ids": ids}
        if plain != ids:
            case["ids_no_special"] = plain
        if hf_ids != ids:
            disagreements.append({"text": s, "llama_cpp": ids, "hf_tokenizers": hf_ids})
        cases.append(case)
    for b in BYTE_STRINGS:
        cases.append({"bytes_hex": b.hex(), "ids": llm.tokenize(b, add_bos=False, special=True)})

    variants = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pre in VARIANT_PRES:
            path = os.path.join(tmp, f"{pre}.gguf")
            write_variant(a.model, pre, path)
            v = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
            variants[pre] = [v.tokenize(case_bytes(c), add_bos=False, special=True) for c in cases]
            del v

    corpora = []
    for rel in CORPORA:
        p = os.path.join(a.data, rel)
        if not os.path.exists(p):
            print(f"skip corpus {rel}: not found", file=sys.stderr)
            continue
        with open(p, "rb") as fh:
            lines = fh.read().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        all_ids, n_disagree = [], 0
        for ln in lines:
            ids = llm.tokenize(ln, add_bos=False, special=True)
            all_ids.append(ids)
            if hf.encode(ln.decode("utf-8", errors="replace")).ids != ids:
                n_disagree += 1
        corpora.append({"path": rel, "sha256_file": hashlib.sha256(b"\n".join(lines)).hexdigest(),
                        "n_lines": len(lines), "n_tokens": sum(map(len, all_ids)),
                        "tokens_per_line": [len(x) for x in all_ids], "ids_sha256": ids_digest(all_ids),
                        "hf_disagreeing_lines": n_disagree})

    out = {
        "description": "SmolLM2-135M-Instruct token ids (add_bos=False, special tokens parsed) for tests/tokenizer",
        "generator": "tools/gen_tokenizer_fixtures.py",
        "reference": f"llama-cpp-python {llama_cpp.__version__} (llama.cpp tokenizer, vocab_only=True)",
        "cross_check": f"HF tokenizers {tokenizers.__version__} (ByteLevel BPE from the GGUF vocab+merges, Digits(individual) + ByteLevel pre-tokenizer)",
        "model": os.path.basename(a.model),
        "model_sha256": hashlib.sha256(open(a.model, "rb").read()).hexdigest(),
        "corpus_ids_digest": "sha256 over lines of comma-joined decimal ids, each line followed by \\n",
        "disagreements": disagreements,
        "cases": cases,
        "variants": variants,
        "corpora": corpora,
    }
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print(f"{len(cases)} cases, {len(disagreements)} disagreements, {len(corpora)} corpora -> {a.out}")
    for d in disagreements:
        print("DISAGREE", repr(d["text"]), d["llama_cpp"], d["hf_tokenizers"])


if __name__ == "__main__":
    main()
