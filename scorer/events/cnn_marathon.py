"""CNN Marathon: classify CIFAR-10 with the team's own trained weights; ranked by inference time.

One run: ``load()`` the weights, label all 10,000 test images (shuffled with a seed the child
never sees) for accuracy, then time ``predict()`` on a 1,000-image batch drawn from them: one
warm-up call and ``TIMED_CALLS`` timed calls, whose answers must equal the answers the same
images got in the accuracy pass.
"""

from __future__ import annotations

import numpy as np

from scorer import datasets
from scorer.events.base import AnswerError, Outcome, answer_error, check_labels, failed

BATCH = 1000
TIMED_CALLS = 5


def prepare(folder=None) -> dict:
    data = datasets.load_cifar10(folder)
    data.pop("x_train")  # the scorer never needs the training images for this event
    data.pop("y_train")
    return data


def run(sandbox, data: dict, rng: np.random.Generator, limits) -> Outcome:
    out = Outcome()
    call = sandbox.call("load", "submission_dir", keep_as="model", want_value=False)
    if call.status != "ok":
        return failed(call, "load", out)
    out.phases["load"] = call.seconds

    order = rng.permutation(len(data["y_test"]))
    x = data["x_test"][order]
    sandbox.put("x_test", x)
    call = sandbox.call("predict", "model", "x_test")
    if call.status != "ok":
        return failed(call, "predict (accuracy pass)", out)
    out.phases["accuracy_pass"] = call.seconds
    try:
        labels = check_labels(call.value, len(order), 10, "predict")
    except AnswerError as err:
        return answer_error(out, err)
    out.quality = float(np.mean(labels == data["y_test"][order]))

    pick = np.sort(rng.choice(len(order), size=BATCH, replace=False))
    sandbox.put("x_batch", x[pick])
    times = []
    for i in range(TIMED_CALLS + 1):
        call = sandbox.call("predict", "model", "x_batch")
        if call.status != "ok":
            return failed(call, "predict (timed batch)", out)
        try:
            batch_labels = check_labels(call.value, BATCH, 10, "predict")
        except AnswerError as err:
            return answer_error(out, err)
        if not np.array_equal(batch_labels, labels[pick]):
            changed = int(np.sum(batch_labels != labels[pick]))
            out.status = "error"
            out.reason = (
                f"predict() gave {changed} different labels for the timed batch than for the same "
                "images in the accuracy pass; answers must not depend on the batch"
            )
            return out
        if i:  # the first call is the warm-up
            times.append(call.seconds)
    out.speed = float(np.median(times))
    out.phases["predict_1000"] = out.speed
    return out
