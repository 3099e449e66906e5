"""Train the starter: count character bigrams in the training split (first 90%).

    TINYMLPERF_DATA=/path/to/datasets python train.py
"""

import os
import time

import numpy as np


def main():
    start = time.perf_counter()
    path = os.path.join(os.environ["TINYMLPERF_DATA"], "tinyshakespeare", "input.txt")
    with open(path, encoding="ascii") as f:
        text = f.read()
    vocab = sorted(set(text))
    ids = np.array([vocab.index(c) for c in text[: int(len(text) * 0.9)]])
    counts = np.ones((len(vocab), len(vocab)))  # add-one smoothing: no zero probabilities
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    log_probs = np.log(counts / counts.sum(axis=1, keepdims=True))
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.npz"), log_probs=log_probs)
    print(f"wrote weights.npz in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
