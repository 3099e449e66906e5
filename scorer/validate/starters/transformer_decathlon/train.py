"""Train the starter: count character bigrams in the training split (first 90%).

    TINYMLPERF_DATA=/path/to/datasets python train.py     # writes weights.npz here

The scorer retrains your weights from this file (`tinymlperf reproduce`) and compares them
with the ones you ship: keep fit() the way your weights are really made. It calls
fit(train_split, out_dir, budget) in its sandbox with

    train_split  {"tokens": int64 ids of the training text (the first 90% of the characters),
                  "vocab": the 65 characters, sorted, as a numpy array of 1-character strings}
                 (the training text only; no validation text, no path to the datasets)
    out_dir      the only folder fit may write: every file load() reads besides your code
    budget       {"wall_s": 7200.0, "cpu_s": 14400.0}: stop and save before wall_s passes

and imports only what submission.py may import (numpy, your own files, the allowlisted
standard library). Running this file yourself reads the text and calls the same fit().
"""

import os
import time

import numpy as np


def fit(train_split, out_dir, budget):
    ids = np.asarray(train_split["tokens"], dtype=np.int64)
    size = len(train_split["vocab"])
    counts = np.ones((size, size))  # add-one smoothing: no zero probabilities
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    log_probs = np.log(counts / counts.sum(axis=1, keepdims=True))
    np.savez(os.path.join(out_dir, "weights.npz"), log_probs=log_probs)


def main():
    start = time.perf_counter()
    path = os.path.join(os.environ["TINYMLPERF_DATA"], "tinyshakespeare", "input.txt")
    with open(path, encoding="ascii") as f:
        text = f.read()
    vocab = sorted(set(text))
    ids = np.array([vocab.index(c) for c in text[: int(len(text) * 0.9)]], dtype=np.int64)
    fit(
        {"tokens": ids, "vocab": np.array(vocab)},
        os.path.dirname(os.path.abspath(__file__)),
        {"wall_s": 7200.0, "cpu_s": 14400.0},
    )
    print(f"wrote weights.npz in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
