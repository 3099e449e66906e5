"""Transformer Decathlon starter: a bigram model, the simplest honest language model.

Its perplexity is about 11 (the threshold is 6.0): replace it with your own TinyGPT. logits()
must be causal (position t sees tokens up to t only) and generate() greedy.
"""

from pathlib import Path

import numpy as np


def load(directory):
    path = Path(directory) / "weights.npz"
    if not path.exists():
        raise FileNotFoundError(
            "weights.npz is missing: run `python train.py` in this folder first"
        )
    with np.load(path, allow_pickle=False) as weights:
        return {"table": weights["log_probs"].astype(np.float32)}


def logits(model, tokens):
    return model["table"][np.asarray(tokens)]


def generate(model, prompt, n):
    out = np.empty(n, dtype=np.int64)
    token = int(prompt[-1])
    for i in range(n):
        token = int(np.argmax(model["table"][token]))
        out[i] = token
    return out
