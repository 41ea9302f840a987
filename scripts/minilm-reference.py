#!/usr/bin/env python3
"""Independent reference for the Swift all-MiniLM-L6-v2 implementation.

Computes golden token ids and sentence embeddings without torch:

* tokenization with Hugging Face `tokenizers` (the model's own tokenizer.json,
  truncation to 256 tokens including [CLS]/[SEP], no padding);
* weights read straight from model.safetensors with numpy (8-byte little-endian
  header length, JSON header, raw little-endian tensors);
* the full BERT forward pass in float64, exact-erf GELU, mean pooling over all
  tokens, L2 normalisation.

Usage:
    pip install numpy tokenizers
    python3 scripts/minilm-reference.py \
        --model-dir /path/to/all-MiniLM-L6-v2 \
        --out Tests/OneEmbeddingTests/Resources/golden.json
"""

import argparse
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

MAX_TOKENS = 256
LAYERS = 6
HEADS = 12
HIDDEN = 384
LN_EPS = 1e-12

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}


def load_safetensors(path: Path) -> dict:
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        array = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=base + begin)
        tensors[name] = array.reshape(info["shape"]).astype(np.float64)
    return tensors


_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * weight + bias


def linear(x: np.ndarray, w: dict, prefix: str) -> np.ndarray:
    # PyTorch Linear: weight is [out, in].
    return x @ w[prefix + ".weight"].T + w[prefix + ".bias"]


def embed(ids: list, w: dict) -> np.ndarray:
    n = len(ids)
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:n]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    head_dim = HIDDEN // HEADS
    for layer in range(LAYERS):
        p = f"encoder.layer.{layer}."
        q = linear(x, w, p + "attention.self.query").reshape(n, HEADS, head_dim).transpose(1, 0, 2)
        k = linear(x, w, p + "attention.self.key").reshape(n, HEADS, head_dim).transpose(1, 0, 2)
        v = linear(x, w, p + "attention.self.value").reshape(n, HEADS, head_dim).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head_dim)
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(n, HIDDEN)
        attn = linear(context, w, p + "attention.output.dense")
        x = layer_norm(attn + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        inter = gelu(linear(x, w, p + "intermediate.dense"))
        out = linear(inter, w, p + "output.dense")
        x = layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = x.mean(axis=0)
    return pooled / np.linalg.norm(pooled)


def long_text() -> str:
    sentences = [
        "The quick brown fox jumps over the lazy dog near the riverbank.",
        "Researchers measured the throughput of several embedding models on commodity servers.",
        "In 1969, Apollo 11 landed on the Moon, and Neil Armstrong walked on its surface.",
        "Vector databases index high-dimensional embeddings for fast approximate search.",
        "She sells seashells by the seashore, although the market price keeps falling.",
    ]
    return " ".join(sentences[i % len(sentences)] for i in range(24))


# Sentences whose embeddings are checked (cosine > 0.9999) and token ids compared.
EMBEDDING_CASES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "Café naïve résumé",
    "Hello, world! It's 3.14 degrees -- 42% of $1,000 (approx.) on 2024-05-17.",
    "我喜欢自然语言处理。東京は日本の首都です。",
    "I love pizza 🍕 so much! 😀",
    "MiXeD CaSe TeXt WITH Shouting and whispering",
    "",
    long_text(),
]

# Extra tokenizer-only cases: control characters, odd whitespace, combining marks,
# symbols that are not punctuation, over-long words, unknown scripts.
TOKEN_CASES = [
    "unaffable tokenization of antidisestablishmentarianism",
    "e\u0301le\u0300ve ÅNGSTRÖM İstanbul ǅemal Straße",
    "tab\tnew\nline\r\nnbsp\u00a0thin\u2009zwsp\u200bword\u0000null\u0007bell\u00adsoft",
    "Ελληνικά Русский العربية עברית हिन्दी ไทย 한국어",
    "price: €5 + ©2024 <tag> a|b ~tilde^ `code` _under_ {brace}",
    "x" * 120 + " ok",
    "𠀀𪜀 CJK ext ｆｕｌｌｗｉｄｔｈ ﬁ ligature",
    "emoji 👩‍👩‍👧 flags 🇫🇷 keycap 1️⃣ skin 👍🏽",
]

# Characters the reference classifies differently from current Unicode (its
# tables are Unicode 8.0: punctuation and marks added or re-categorised since),
# plus the edges of its CJK ranges. Each sits between two letters so that its
# class (deleted, punctuation, part of the word) shows in the token ids.
UNICODE_EDGE_CODE_POINTS = [
    0x0374, 0x061D, 0x07FD, 0x0890, 0x0897, 0x08CA, 0x09CB, 0x09FD, 0x09FE, 0x0A76, 0x0AFA, 0x0B4B,
    0x0B55, 0x0B94, 0x0BCA, 0x0C04, 0x0C3C, 0x0C77, 0x0C84, 0x0D00, 0x0D3B, 0x0D4A, 0x0D81, 0x0DDC,
    0x0DDE, 0x0EBA, 0x0ECE, 0x166D, 0x1734, 0x180F, 0x1885, 0x1ABF, 0x1AE0, 0x1B06, 0x1B08, 0x1B0A,
    0x1B0C, 0x1B0E, 0x1B12, 0x1B40, 0x1B4E, 0x1B7D, 0x1DF6, 0x1FBE, 0x1FFD, 0x2E43, 0x2E52, 0xA82C,
    0xA8C5, 0xA8FF, 0xA9BD, 0xAC00, 0x10D24, 0x10D69, 0x10D6E, 0x10EAB, 0x10EAD, 0x10ED0, 0x10EFA, 0x10F46,
    0x10F55, 0x10F82, 0x10F86, 0x11070, 0x11073, 0x110C2, 0x110CD, 0x111C9, 0x111CF, 0x1123E, 0x11241, 0x1133B,
    0x1134B, 0x113BB, 0x113CE, 0x113D0, 0x113D2, 0x113D4, 0x113D7, 0x113E1, 0x11438, 0x11442, 0x11446, 0x1144B,
    0x1145A, 0x1145D, 0x1145E, 0x114BC, 0x114BE, 0x115BA, 0x11660, 0x116B9, 0x1171E, 0x1182F, 0x11839, 0x1183B,
    0x1193B, 0x1193E, 0x11943, 0x11944, 0x119D4, 0x119DA, 0x119E0, 0x119E2, 0x11A01, 0x11A33, 0x11A3B, 0x11A3F,
    0x11A47, 0x11A51, 0x11A59, 0x11A8A, 0x11A98, 0x11A9A, 0x11A9E, 0x11B00, 0x11B60, 0x11B62, 0x11B66, 0x11BE1,
    0x11C30, 0x11C38, 0x11C3F, 0x11C41, 0x11C70, 0x11C92, 0x11CAA, 0x11CB2, 0x11CB5, 0x11D31, 0x11D3A, 0x11D3C,
    0x11D3F, 0x11D47, 0x11D90, 0x11D95, 0x11D97, 0x11EF3, 0x11EF7, 0x11F00, 0x11F36, 0x11F40, 0x11F42, 0x11F43,
    0x11F5A, 0x11FFF, 0x12FF1, 0x13430, 0x13447, 0x1611E, 0x1612D, 0x16D6D, 0x16E97, 0x16F4F, 0x16FE2, 0x16FE4,
    0x1CF00, 0x1CF30, 0x1D15E, 0x1D1BB, 0x1E000, 0x1E008, 0x1E01B, 0x1E023, 0x1E026, 0x1E08F, 0x1E130, 0x1E2AE,
    0x1E2EC, 0x1E4EC, 0x1E5EE, 0x1E5FF, 0x1E6E3, 0x1E6E6, 0x1E6EE, 0x1E6F5, 0x1E944, 0x1E95E, 0x2B81F, 0x2B820,
    0x2B91F, 0x2B920,
]
TOKEN_CASES += [
    " ".join(f"a{chr(cp)}b" for cp in UNICODE_EDGE_CODE_POINTS[i : i + 40])
    for i in range(0, len(UNICODE_EDGE_CODE_POINTS), 40)
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True, type=Path)
    parser.add_argument("--out", type=Path, help="write golden JSON here (default: stdout)")
    args = parser.parse_args()

    tokenizer = Tokenizer.from_file(str(args.model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    untruncated = Tokenizer.from_file(str(args.model_dir / "tokenizer.json"))
    untruncated.no_padding()
    untruncated.no_truncation()
    tokenizer.enable_truncation(MAX_TOKENS)

    weights = load_safetensors(args.model_dir / "model.safetensors")

    def token_record(text: str) -> dict:
        ids = tokenizer.encode(text).ids
        full = untruncated.encode(text).ids
        return {"text": text, "ids": ids, "tokenCount": len(full) - 2}

    embedding_cases = []
    for text in EMBEDDING_CASES:
        record = token_record(text)
        vector = embed(record["ids"], weights)
        record["embedding"] = [float(f"{v:.9g}") for v in vector]
        embedding_cases.append(record)
        print(f"{len(record['ids']):4d} tokens  {text[:60]!r}", file=sys.stderr)

    vectors = {c["text"]: np.array(c["embedding"]) for c in embedding_cases}
    related = float(vectors["A man is eating food."] @ vectors["A man is eating a piece of bread."])
    unrelated = float(vectors["A man is eating food."] @ vectors["The girl is carrying a baby."])
    print(f"cos(food, bread) = {related:.4f}   cos(food, baby) = {unrelated:.4f}", file=sys.stderr)
    if not (related > 0.7 and unrelated < 0.3):
        print("sanity check failed: reference embeddings look wrong", file=sys.stderr)
        return 1

    golden = {
        "model": "all-MiniLM-L6-v2",
        "maxTokens": MAX_TOKENS,
        "embeddingCases": embedding_cases,
        "tokenCases": [token_record(text) for text in TOKEN_CASES],
    }
    text = json.dumps(golden, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
