"""MLP Sprint: train an MNIST classifier inside ``train()``; ranked by training time.

One run: hand the child the 60,000 training images and labels, time ``train()`` from the
parent, then hand it the 10,000 test images in an order shuffled with a seed the child never
sees and compare its labels with the test labels, which stay in the parent.
"""

from __future__ import annotations

import numpy as np

from scorer import datasets
from scorer.events.base import AnswerError, Outcome, answer_error, check_labels, failed

MIN_PREDICT_ALLOWANCE_S = 0.05


def prepare(folder=None) -> dict:
    return datasets.load_mnist(folder)


def run(sandbox, data: dict, rng: np.random.Generator, limits) -> Outcome:
    out = Outcome()
    sandbox.put("x_train", data["x_train"])
    sandbox.put("y_train", data["y_train"])
    call = sandbox.call("train", "x_train", "y_train", keep_as="model", want_value=False)
    if call.status != "ok":
        return failed(call, "train", out)
    out.speed = out.phases["train"] = call.seconds

    order = rng.permutation(len(data["y_test"]))
    sandbox.put("x_test", data["x_test"][order])
    call = sandbox.call("predict", "model", "x_test")
    if call.status != "ok":
        return failed(call, "predict", out)
    out.phases["predict"] = call.seconds
    try:
        labels = check_labels(call.value, len(order), 10, "predict")
    except AnswerError as err:
        return answer_error(out, err)
    out.quality = float(np.mean(labels == data["y_test"][order]))
    # Only train() is timed, so the work must happen there; a predict() slower than the
    # training it relies on is training where the clock does not look.
    allowance = max(out.speed, MIN_PREDICT_ALLOWANCE_S)
    if call.seconds > allowance:
        out.status = "rule_violation"
        out.reason = (
            f"predict() took {call.seconds:.3f} s on the test set, longer than train() "
            f"({out.speed:.3f} s); do the training in train(), which is what is timed"
        )
    return out
