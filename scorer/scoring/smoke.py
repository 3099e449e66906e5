"""A short timed smoke run before ``tinymlperf run``: an early warning for loop-heavy code.

Course-style code (a Python loop over pixels or tokens) can take an hour where the scorer
allows ``Limits.phase_wall_s`` per call. Rather than have a participant wait ten minutes for a
``timeout``, ``tinymlperf run`` first times the event's main call on a small slice of the real
inputs in the sandbox, scales the time up linearly to the full size and warns when the
projection is near or over the limit. Official scoring never runs this: it is advice, not a
measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from scorer.sandbox.client import Sandbox
from scorer.validate import submission

WARN_FRACTION = 0.5  # warn when the projection is above this share of the phase limit
SMOKE_LIMIT_S = 60.0  # the smoke call itself never takes longer than this


@dataclass(frozen=True)
class Projection:
    call: str  # the call that was timed, e.g. "train() on 1,000 of 60,000 images"
    seconds: float  # what the small call took (the limit when it timed out)
    projected: float  # seconds the full-size call would take at the same rate
    limit: float  # the phase limit
    timed_out: bool = False

    @property
    def over(self) -> bool:
        return self.projected > self.limit

    def message(self) -> str:
        took = f"more than {self.seconds:.0f} s" if self.timed_out else f"{self.seconds:.2f} s"
        verdict = "over" if self.over else "close to"
        return (
            f"{self.call} took {took}; at that rate the full call takes about "
            f"{self.projected:,.0f} s, {verdict} the {self.limit:g} s phase limit: vectorise the "
            "loops (whole-batch NumPy operations instead of Python loops over samples), or see "
            "'Using your own TinyTorch' in docs/how-to-submit.md"
        )


def _mlp(sb: Sandbox, data: dict, n: int):
    sb.put("x", data["x_train"][:n])
    sb.put("y", data["y_train"][:n])
    return (
        sb.call("train", "x", "y", keep_as="model", want_value=False),
        len(data["x_train"]),
        f"train() on {n:,} of {len(data['x_train']):,} images",
    )


def _cnn(sb: Sandbox, data: dict, n: int):
    load = sb.call("load", "submission_dir", keep_as="model", want_value=False)
    if load.status != "ok":
        return load, 1, "load()"
    sb.put("x", data["x_test"][:n])
    return sb.call("predict", "model", "x"), 1000, f"predict() on {n:,} of a batch of 1,000 images"


def _gpt(sb: Sandbox, data: dict, n: int):
    load = sb.call("load", "submission_dir", keep_as="model", want_value=False)
    if load.status != "ok":
        return load, 1, "load()"
    sb.put("prompt", np.asarray(data["val"][:64]))
    return sb.call("generate", "model", "prompt", n), 448, f"generate() of {n} of 448 tokens"


# event id -> (how to run the small call, its size)
PLANS = {
    "mlp_sprint": (_mlp, 1000),
    "cnn_marathon": (_cnn, 50),
    "transformer_decathlon": (_gpt, 16),
}


def project(folder: Path, event_id: str, job) -> Projection | None:
    """Time the event's main call on a slice; None when it went quickly or could not run
    (the full run then reports whatever went wrong, with its own message)."""
    plan = PLANS.get(event_id)
    if plan is None:
        return None
    run, n = plan
    limit = job.limits.phase_wall_s
    smoke_limit = min(SMOKE_LIMIT_S, limit)
    limits = replace(job.limits, phase_wall_s=smoke_limit)
    entry = submission.read_metadata(folder)[0] or {}
    with Sandbox(
        folder,
        str(entry.get("entrypoint", "submission.py")),
        limits=limits,
        threads=job.threads,
        blas_threads=submission.blas_threads(entry),
        lib=submission.team_lib(folder),
    ) as sb:
        if sb.start().status != "ok":
            return None
        result, full, what = run(sb, job.data(event_id), n)
    scale = full / n
    if result.status == "timeout":
        return Projection(what, smoke_limit, smoke_limit * scale, limit, timed_out=True)
    if result.status != "ok":
        return None
    projected = result.seconds * scale
    if projected <= WARN_FRACTION * limit:
        return None
    return Projection(what, result.seconds, projected, limit)
