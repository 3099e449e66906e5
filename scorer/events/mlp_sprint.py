"""MLP Sprint: train an MNIST classifier inside ``train()``; ranked by training time.

One run: hand the child the 60,000 training images and labels, time ``train()`` from the
parent, then hand it the 10,000 test images in an order shuffled with a seed the child never
sees and compare its labels with the test labels, which stay in the parent.
"""

from __future__ import annotations

import numpy as np

from scorer import datasets
from scorer.events.base import Outcome, accuracy_pass, call, scored

MIN_PREDICT_ALLOWANCE_S = 0.05


def prepare(folder=None) -> dict:
    return datasets.load_mnist(folder)


@scored
def run(sandbox, data: dict, rng: np.random.Generator, limits, out: Outcome) -> Outcome:
    sandbox.put("x_train", data["x_train"])
    sandbox.put("y_train", data["y_train"])
    trained = call(sandbox, out, "train", "train", "x_train", "y_train", keep_as="model", want_value=False)
    out.speed = out.phases["train"] = trained.seconds
    _, _, seconds = accuracy_pass(sandbox, out, data["x_test"], data["y_test"], rng, "predict")
    out.phases["predict"] = seconds
    # Only train() is timed, so the work must happen there; a predict() slower than the
    # training it relies on is training where the clock does not look.
    allowance = max(out.speed, MIN_PREDICT_ALLOWANCE_S)
    if seconds > allowance:
        out.status = "rule_violation"
        out.reason = (
            f"predict() took {seconds:.3f} s on the test set, longer than train() "
            f"({out.speed:.3f} s); do the training in train(), which is what is timed"
        )
    return out
