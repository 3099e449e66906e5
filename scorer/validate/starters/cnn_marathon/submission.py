"""CNN Marathon starter: a nearest-class-mean classifier, the simplest honest model.

It reaches only about 28% accuracy: replace it with your own trained CNN (the threshold is
75%). load(directory) reads the weights that train.py wrote; predict(model, x) is timed on a
batch of 1,000 test images.
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
        return {"means": weights["means"].astype(np.float32)}


def predict(model, x):
    flat = x.reshape(len(x), -1).astype(np.float32) / 255.0
    means = model["means"]
    # Squared distance to each class mean, without forming the (N, 10, 3072) difference.
    dist = (means * means).sum(axis=1)[None, :] - 2.0 * flat @ means.T
    return np.argmin(dist, axis=1)
