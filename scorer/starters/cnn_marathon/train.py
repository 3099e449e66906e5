"""Train the starter: one mean image per class from the 50,000 training images.

    TINYMLPERF_DATA=/path/to/datasets python train.py
"""

import os
import time

import numpy as np


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
    flat = x.reshape(len(x), -1).astype(np.float32) / 255.0
    means = np.stack([flat[y == c].mean(axis=0) for c in range(10)])
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.npz"), means=means)
    print(f"wrote weights.npz in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
