"""MLP Sprint: train an MNIST classifier inside ``train()``; ranked by the time to answers.

One run, every step on inputs the child has never seen:

1. Secret relabelling: the ten classes are renamed by a permutation drawn per run with a seed
   the child never sees. ``train()`` gets the renamed training labels and is scored against the
   renamed test labels, so an honest learner cannot tell, while a table of the true test labels
   scores about 10%.
2. ``train(x_train, y_train)`` and then one ``predict()`` over the 10,000 test images in a
   secret order, with ``CANARY_FRACTION`` of them also present as slightly noisy copies (see
   ``base.Canaries``). Both calls are timed by the parent and the ranked time is their sum:
   work moved out of ``train()`` into ``predict()`` is still on the clock, and an honest model
   is never penalised for a fast ``train()`` on a loaded machine.
3. Accuracy is over the 10,000 unchanged test images; the canaries' agreement with their
   originals is recorded, and far below honest models' (``CANARY_MIN_AGREEMENT``) is a rule
   violation: the answers came from the exact bytes, not from what the images show.
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
    mix,
    scored,
    unmix,
)

CANARY_FRACTION = 0.05
# Gaussian noise in grey levels: at 16 a binarised (>127) hash of an MNIST digit changes in 97%
# of images, while the baseline MLP keeps 99.1% and a nearest-centroid model 98.0% of its labels
# (1,000 test images; docs/methodology.md).
CANARY_NOISE = 16.0
CANARY_MIN_AGREEMENT = 0.90


def prepare(folder=None) -> dict:
    return datasets.load_mnist(folder)


@scored
def run(sandbox, data: dict, rng: np.random.Generator, limits, out: Outcome) -> Outcome:
    rename = rng.permutation(10).astype(np.uint8)
    sandbox.put("x_train", data["x_train"])
    sandbox.put("y_train", rename[data["y_train"]])
    trained = call(
        sandbox, out, "train", "train", "x_train", "y_train", keep_as="model", want_value=False
    )
    out.phases["train"] = trained.seconds

    x_test, y_test = data["x_test"], rename[data["y_test"]]
    order = rng.permutation(len(y_test))
    x, y = x_test[order], y_test[order]
    canaries = Canaries.draw(x, CANARY_FRACTION, CANARY_NOISE, rng)
    batch, where = mix(x, canaries.images, rng)
    sandbox.put("x_test", batch)
    result = call(sandbox, out, "predict", "predict", "model", "x_test")
    labels = unmix(check_labels(result.value, len(batch), 10, "predict"), where)
    out.phases["predict"] = result.seconds
    out.speed = trained.seconds + result.seconds
    out.quality = float(np.mean(labels[: len(y)] == y))
    agreement = float(np.mean(labels[len(y) :] == labels[canaries.originals]))
    canary_verdict(out, agreement, CANARY_MIN_AGREEMENT)
    return out
