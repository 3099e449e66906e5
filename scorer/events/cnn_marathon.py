"""CNN Marathon: classify CIFAR-10 with the team's own trained weights; ranked by inference time.

One run: ``load()`` the weights, label all 10,000 test images (shuffled with a seed the child
never sees) for accuracy, then time ``predict()`` on a 1,000-image batch drawn from them: one
warm-up call and ``TIMED_CALLS`` timed calls, whose answers must equal the answers the same
images got in the accuracy pass.
"""

from __future__ import annotations

import numpy as np

from scorer import datasets
from scorer.events.base import Outcome, accuracy_pass, call, check_labels, load_model, scored

BATCH = 1000
TIMED_CALLS = 5


def prepare(folder=None) -> dict:
    data = datasets.load_cifar10(folder)
    data.pop("x_train")  # the scorer never needs the training images for this event
    data.pop("y_train")
    return data


@scored
def run(sandbox, data: dict, rng: np.random.Generator, limits, out: Outcome) -> Outcome:
    load_model(sandbox, out)
    x, labels, out.phases["accuracy_pass"] = accuracy_pass(
        sandbox, out, data["x_test"], data["y_test"], rng, "predict (accuracy pass)")

    pick = np.sort(rng.choice(len(x), size=BATCH, replace=False))
    sandbox.put("x_batch", x[pick])
    times = []
    for i in range(TIMED_CALLS + 1):
        result = call(sandbox, out, "predict (timed batch)", "predict", "model", "x_batch")
        batch_labels = check_labels(result.value, BATCH, 10, "predict")
        if not np.array_equal(batch_labels, labels[pick]):
            changed = int(np.sum(batch_labels != labels[pick]))
            out.status = "error"
            out.reason = (
                f"predict() gave {changed} different labels for the timed batch than for the same "
                "images in the accuracy pass; answers must not depend on the batch"
            )
            return out
        if i:  # the first call is the warm-up
            times.append(result.seconds)
    out.speed = float(np.median(times))
    out.phases["predict_1000"] = out.speed
    return out
