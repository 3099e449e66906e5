"""MLP Sprint: the NumPy baseline's training against the same recipe in PyTorch (CPU).

compare(data_dir) trains the baseline (submissions/baseline/mlp_sprint/submission.py) and a
PyTorch version of the very same recipe on the 60,000 MNIST training images, alternating
numpy, torch, numpy, torch, ... so that both see the same machine noise, and returns one
result row with the median train() time of each.

Same recipe, to the number: 784-128-10 MLP with ReLU, float32 everywhere; the initial
weights and the shuffle order come from the same NumPy generator draws (so both start from
identical weights and see the batches in the same order); the baseline's BATCH, LR and
schedule constants, one epoch;
softmax cross-entropy; SGD with momentum 0.9 in the form v = m*v - lr*g, p += v;
learning-rate warm-up then linear decay. The PyTorch side is idiomatic: autograd for the
backward pass, F.cross_entropy, index_select for the batch gather (several
times faster than x[idx] in PyTorch), and the same multi-tensor (foreach) update that
torch.optim.SGD uses. Both sides use 2 threads (the scorer's setting) and both timings
include the per-batch uint8 -> float32 conversion and the initialisation. Both models are
scored on the test set, so the row also shows that the two trainings agree.

Run directly:  python benchmarks/torch_mlp.py [DATA_DIR] [REPEATS]
"""

import os

# The scorer pins BLAS to 2 threads; do the same for NumPy's BLAS when this
# module is what first imports NumPy (otherwise the caller's setting stays).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import json
import sys
import warnings

import numpy as np
from matmul_peak import PeakSampler
from pairs import interleaved, load_baseline, yardstick

from scorer.scoring import datasets

SETTLE_S = 0.5  # pause before each timed run (see pairs.interleaved)


def load_mnist(data_dir):
    mnist = datasets.load_mnist(data_dir)
    return mnist["x_train"], mnist["y_train"], mnist["x_test"], mnist["y_test"]


def recipe_flops(b, n, d, hidden, classes=10):
    """Matrix-multiply FLOPs (2 per multiply-add) of one training run of the recipe.

    Per step: forward x@W1 and h@W2, backward h.T@dlogits, dlogits@W2.T and x.T@dh
    (no gradient with respect to the input images is needed).
    """
    steps = n // b
    return steps * (2 * b * d * hidden * 2 + 2 * b * hidden * classes * 3)


def make_torch_train(sub):
    """PyTorch version of sub.train with the same constants, init draws and update rule."""
    import torch
    import torch.nn.functional as F

    def train_torch(x_train, y_train):
        rng = np.random.default_rng(sub.SEED)
        n = len(x_train)
        d = int(np.prod(x_train.shape[1:]))
        hidden, classes, batch = sub.HIDDEN, sub.CLASSES, sub.BATCH
        # Same draws, in the same order, as submission.train: W1, W2, then the shuffle.
        w1 = rng.standard_normal((d, hidden), dtype=np.float32) * np.float32(np.sqrt(2.0 / d))
        w2 = rng.standard_normal((hidden, classes), dtype=np.float32) * np.float32(
            np.sqrt(1.0 / hidden)
        )
        order = torch.from_numpy(rng.permutation(n))
        params = [
            torch.from_numpy(w1),
            torch.zeros(hidden),
            torch.from_numpy(w2),
            torch.zeros(classes),
        ]
        for p in params:
            p.requires_grad_(True)
        velocity = [torch.zeros_like(p) for p in params]
        with warnings.catch_warnings():  # read-only input: fine, it is only read
            warnings.simplefilter("ignore", UserWarning)
            x = torch.from_numpy(x_train).reshape(n, d)  # uint8, no copy
        y = torch.from_numpy(y_train.astype(np.int64))
        steps = n // batch
        for t in range(steps):
            idx = order[t * batch : (t + 1) * batch]
            xb = x.index_select(0, idx).to(torch.float32).mul_(1.0 / 255.0)
            w1_, b1_, w2_, b2_ = params
            h = torch.relu(torch.addmm(b1_, xb, w1_))
            loss = F.cross_entropy(torch.addmm(b2_, h, w2_), y.index_select(0, idx))
            grads = torch.autograd.grad(loss, params)
            lr = sub.LR * min(1.0, (t + 1) / sub.WARMUP_STEPS) * (1.0 - t / steps)
            with torch.no_grad():
                torch._foreach_mul_(velocity, sub.MOMENTUM)
                torch._foreach_add_(velocity, grads, alpha=-lr)
                torch._foreach_add_(params, velocity)
        return {
            k: p.detach().numpy() for k, p in zip(("w1", "b1", "w2", "b2"), params, strict=True)
        }

    return train_torch


# Rounds: more than the CNN's 7 because a training is 468 two-thread products (layer 1's
# two in each of 234 steps; OpenBLAS runs the small ones on one), each waiting for both
# threads, so a neighbour's load spreads its times the most (0.29-0.44 s within one run of
# 9 on 2026-12-04).
REPEATS = 9


def compare(data_dir: str, repeats: int = REPEATS) -> list[dict]:
    import torch

    torch.set_num_threads(2)
    sub, folder = load_baseline("mlp_sprint")
    x_train, y_train, x_test, y_test = load_mnist(data_dir)
    train_torch = make_torch_train(sub)

    def accuracy(model):
        return float(np.mean(sub.predict(model, x_test) == y_test))

    # Warm-up both (thread pools, page faults, PyTorch's lazy initialisation) and check
    # that the two trainings reach the same accuracy: same recipe, same result.
    np_acc = accuracy(sub.train(x_train, y_train))
    torch_acc = accuracy(train_torch(x_train, y_train))
    if abs(np_acc - torch_acc) > 0.005:  # float32 rounding differs, the recipe must not
        raise AssertionError(f"NumPy reaches {np_acc:.4f} but PyTorch {torch_acc:.4f}")

    timings = interleaved(
        lambda: sub.train(x_train, y_train),
        lambda: train_torch(x_train, y_train),
        repeats,
        SETTLE_S,
        scored_as=folder,
        peak=PeakSampler(),
    )
    numpy_s, torch_s = timings.numpy_median, timings.torch_median
    flops = recipe_flops(
        sub.BATCH, len(x_train), int(np.prod(x_train.shape[1:])), sub.HIDDEN, sub.CLASSES
    )
    return [
        {
            "event": "mlp_sprint",
            "what": "train() 60k images",
            "numpy_s": numpy_s,
            "torch_s": torch_s,
            "ratio": numpy_s / torch_s,
            "numpy_gflops": flops / numpy_s / 1e9,
            "numpy_accuracy": np_acc,
            "torch_accuracy": torch_acc,
            "numpy_times_s": timings.numpy_s,
            "torch_times_s": timings.torch_s,
            **yardstick(flops, timings),
        }
    ]


if __name__ == "__main__":
    data = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TINYMLPERF_DATA", "")
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else REPEATS
    print(json.dumps(compare(data, reps), indent=2))
