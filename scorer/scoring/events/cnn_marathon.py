"""CNN Marathon: classify CIFAR-10 with the team's own trained weights; ranked by inference time.

One run: ``load()`` the weights, then label the 10,000 test images in ``CALLS`` batches of
1,000 (in an order drawn with a seed the child never sees). Every image is shown exactly once,
so no batch can be answered from anything computed earlier in the run: there is no separate
accuracy pass whose answers a model could remember. All batches look alike (same size, same
mix of canaries); the first is the warm-up, the other ``TIMED_CALLS`` are timed, and the ranked
time is their median, scaled to 1,000 images. Accuracy is over all 10,000 images, the warm-up's
included.

Each batch also carries noisy copies of a secret ``CANARY_FRACTION`` of the test images (see
``base.Canaries``); an agreement with their originals far below honest models' is a rule
violation.
"""

from __future__ import annotations

import numpy as np

from scorer.scoring import datasets
from scorer.scoring.events.base import (
    Canaries,
    Outcome,
    call,
    canary_verdict,
    check_labels,
    load_model,
    mix,
    scored,
    unmix,
)

BATCH = 1000
CALLS = 10
TIMED_CALLS = CALLS - 1
CANARY_FRACTION = 0.05
# Grey levels of Gaussian noise: the baseline keeps 95.8% of its labels at 4 and 89.6% at 8
# (500 test images), so 3 leaves honest models well above the bound while every exact or
# quantized hash of a 3,072-byte image misses (docs/methodology.md).
CANARY_NOISE = 3.0
CANARY_MIN_AGREEMENT = 0.85


def prepare(folder=None) -> dict:
    data = datasets.load_cifar10(folder)
    data.pop("x_train")  # the scorer never needs the training images for this event
    data.pop("y_train")
    return data


def train_split(folder=None) -> dict[str, np.ndarray]:
    """What ``fit`` gets (``tinymlperf reproduce``): the 50,000 training images and labels only."""
    data = datasets.load_cifar10(folder)
    return {"x_train": data["x_train"], "y_train": data["y_train"]}


@scored
def run(sandbox, data: dict, rng: np.random.Generator, limits, out: Outcome) -> Outcome:
    load_model(sandbox, out)
    x_test, y_test = data["x_test"], data["y_test"]
    order = rng.permutation(len(y_test))
    x, y = x_test[order], y_test[order]
    canaries = Canaries.draw(x, CANARY_FRACTION, CANARY_NOISE, rng)
    # Image i (in the secret order) goes to batch i // size; canary copies are dealt out evenly.
    size = len(x) // CALLS
    labels = np.empty(len(x), dtype=np.int64)
    canary_labels = np.empty(len(canaries.originals), dtype=np.int64)
    deal = np.array_split(rng.permutation(len(canaries.originals)), CALLS)
    times, total = [], 0.0
    for i in range(CALLS):
        rows = slice(i * size, len(x) if i == CALLS - 1 else (i + 1) * size)
        batch, where = mix(x[rows], canaries.images[deal[i]], rng)
        sandbox.put("x_batch", batch)
        result = call(sandbox, out, "predict", "predict", "model", "x_batch")
        answers = unmix(check_labels(result.value, len(batch), 10, "predict"), where)
        n = rows.stop - rows.start
        labels[rows] = answers[:n]
        canary_labels[deal[i]] = answers[n:]
        total += result.seconds
        if i:  # the first call is the warm-up
            times.append(result.seconds * BATCH / len(batch))
    out.quality = float(np.mean(labels == y))
    out.speed = float(np.median(times))
    out.phases["accuracy_pass"] = total
    out.phases["predict_1000"] = out.speed
    agreement = float(np.mean(canary_labels == labels[canaries.originals]))
    canary_verdict(out, agreement, CANARY_MIN_AGREEMENT)
    return out
