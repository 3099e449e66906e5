"""Train the starter: one mean image per class from the 50,000 training images.

    TINYMLPERF_DATA=/path/to/datasets python train.py     # writes weights.npz here

The scorer retrains your weights from this file (`tinymlperf reproduce`) and compares them
with the ones you ship: keep fit() the way your weights are really made. It calls
fit(train_split, out_dir, budget) in its sandbox with

    train_split  {"x_train": uint8 (50000, 32, 32, 3) RGB, "y_train": uint8 (50000,)}
                 (the training split only; no test images, no path to the datasets)
    out_dir      the only folder fit may write: every file load() reads besides your code
    budget       {"wall_s": 7200.0, "cpu_s": 14400.0}: stop and save before wall_s passes

and imports only what submission.py may import (numpy, your own files, the allowlisted
standard library). Running this file yourself reads the data and calls the same fit().
"""

import os
import time

import numpy as np


def fit(train_split, out_dir, budget):
    x, y = train_split["x_train"], train_split["y_train"]
    flat = x.reshape(len(x), -1).astype(np.float32) / 255.0
    means = np.stack([flat[y == c].mean(axis=0) for c in range(10)])
    np.savez(os.path.join(out_dir, "weights.npz"), means=means)


def load_training_set(root):
    images, labels = [], []
    for i in range(1, 6):
        path = os.path.join(root, "cifar-10-batches-bin", f"data_batch_{i}.bin")
        records = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)
        labels.append(records[:, 0])
        images.append(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return np.concatenate(images), np.concatenate(labels)


def main():
    start = time.perf_counter()
    x, y = load_training_set(os.environ["TINYMLPERF_DATA"])
    fit(
        {"x_train": x, "y_train": y},
        os.path.dirname(os.path.abspath(__file__)),
        {"wall_s": 7200.0, "cpu_s": 14400.0},
    )
    print(f"wrote weights.npz in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
