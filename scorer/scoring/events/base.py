"""What every event's scoring shares: the outcome of one measured run and answer checks.

An event module exposes ``prepare(folder) -> data`` (load the dataset once, in the parent) and
``run(sandbox, data, rng, limits) -> Outcome`` (one fresh child process: drive the phases, time
them from the parent's side, and compute quality from answers compared with labels that never
leave the parent). An event whose checks come after its timed calls (the Transformer
Decathlon's ``logits()`` batches) may also take ``timed_only``: the baseline's runs after the
first of a scoring are only the yardstick of the entry's speed, so they stop after the timed
calls and say so in ``Outcome.timed_only`` (``scorer.scoring.engine``).
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field

import numpy as np

# Statuses of one run that end the whole scoring of an entry, as named in result records.
FAILURE_STATUSES = ("error", "timeout", "memory_limit", "rule_violation")


@dataclass
class Outcome:
    status: str = "ok"  # "ok" or one of FAILURE_STATUSES
    reason: str = ""
    quality: float | None = None
    speed: float | None = None
    phases: dict[str, float] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)
    traceback_tail: str = ""
    # The run stopped after its timed calls (asked with ``timed_only``): no quality, and a
    # peak memory that is not the whole run's.
    timed_only: bool = False


class AnswerError(Exception):
    """The submission's answer has the wrong shape, type or range (reported as status error)."""


class Stop(Exception):
    """Ends a run early; ``outcome`` already says why."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.reason)
        self.outcome = outcome


def scored(run):
    """Wrap an event's ``run``: a Stop or a wrong answer ends it with that outcome as data.

    The wrapped ``run`` takes ``timed_only`` as a keyword; it reaches the event's own ``run``
    only when that declares it (events whose every call is timed have nothing to skip).
    """
    honours_timed_only = "timed_only" in inspect.signature(run).parameters

    @functools.wraps(run)
    def wrapper(sandbox, data, rng, limits, *, timed_only: bool = False) -> Outcome:
        out = Outcome()
        try:
            if honours_timed_only:
                return run(sandbox, data, rng, limits, out, timed_only=timed_only)
            return run(sandbox, data, rng, limits, out)
        except Stop as stop:
            return stop.outcome
        except AnswerError as err:
            return answer_error(out, err)

    return wrapper


def call(sandbox, out: Outcome, phase: str, fn: str, *args, **kwargs):
    """``sandbox.call`` that stops the run, naming ``phase``, unless the call went well."""
    result = sandbox.call(fn, *args, **kwargs)
    if result.status != "ok":
        raise Stop(failed(result, phase, out))
    return result


def load_model(sandbox, out: Outcome) -> None:
    """``load(submission_dir)``, keeping the model in the child as ``model``."""
    result = call(sandbox, out, "load", "load", "submission_dir", keep_as="model", want_value=False)
    out.phases["load"] = result.seconds


def accuracy_pass(
    sandbox,
    out: Outcome,
    x_test: np.ndarray,
    y_test: np.ndarray,
    rng: np.random.Generator,
    phase: str,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Label every test image, in an order the child cannot predict; sets ``out.quality``.

    Returns the shuffled images, the labels given to them and the seconds the call took.
    """
    order = rng.permutation(len(y_test))
    x = x_test[order]
    sandbox.put("x_test", x)
    result = call(sandbox, out, phase, "predict", "model", "x_test")
    labels = check_labels(result.value, len(order), 10, "predict")
    out.quality = float(np.mean(labels == y_test[order]))
    return x, labels, result.seconds


@dataclass
class Canaries:
    """A secret subset of test images, also shown as slightly noisy copies (issue: answer tables).

    An honest model labels a copy like its original almost always; a table keyed on the exact
    (or quantized) bytes of the test images misses every copy. ``mix`` appends the copies to a
    batch and shuffles it; ``split`` takes the answers apart again.
    """

    originals: np.ndarray  # index (into the batch before mixing) of each canary's original
    images: np.ndarray  # the perturbed copies

    @classmethod
    def draw(
        cls, x: np.ndarray, fraction: float, noise: float, rng: np.random.Generator
    ) -> Canaries:
        n = max(1, int(round(fraction * len(x))))
        originals = np.sort(rng.choice(len(x), size=n, replace=False))
        return cls(originals, perturb_images(x[originals], noise, rng))


def perturb_images(x: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """uint8 images plus rounded Gaussian noise of standard deviation ``noise`` (grey levels)."""
    noisy = x.astype(np.float32) + rng.normal(0.0, noise, size=x.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def mix(
    x: np.ndarray, extra: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``extra`` in one shuffled batch; returns it and where each row came from.

    ``where[i]`` is the row's index in ``concatenate([x, extra])``, so the answers of the
    originals are ``answers[inverse][:len(x)]`` with ``inverse = argsort(where)``.
    """
    batch = np.concatenate([x, extra])
    where = rng.permutation(len(batch))
    return batch[where], where


def unmix(answers: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Answers in the order of ``concatenate([x, extra])`` again."""
    back = np.empty_like(answers)
    back[where] = answers
    return back


def canary_verdict(out: Outcome, agreement: float, bound: float) -> None:
    """Record the canary agreement; far below honest models' figure is a rule violation."""
    out.extra["canary_agreement"] = agreement
    if agreement < bound:
        out.status = "rule_violation"
        out.reason = (
            f"answers depend on the exact input bytes: only {agreement:.1%} of slightly noisy "
            f"copies of test images got the label their original got (honest models: at least "
            f"{bound:.0%}); see docs/methodology.md, 'Canary copies'"
        )


def failed(call, phase: str, outcome: Outcome) -> Outcome:
    """Turn a non-ok sandbox call into the run's outcome, naming the phase."""
    status = call.status
    if status in ("invalid_output", "crashed"):
        status = "error"
    outcome.status = status
    message = call.message or status
    outcome.reason = message if phase in message else f"{phase}: {message}"
    outcome.traceback_tail = getattr(call, "traceback_tail", "")
    return outcome


def check_labels(value: np.ndarray | None, n: int, classes: int, phase: str) -> np.ndarray:
    """Validate predicted labels: an integer array (n,) with values in [0, classes)."""
    if value is None:
        raise AnswerError(
            f"{phase} returned nothing; it must return an integer array of shape ({n},)"
        )
    value = np.asarray(value)
    if value.dtype.kind not in "iu":
        if (
            value.dtype.kind == "f"
            and value.size
            and np.all(np.isfinite(value))
            and np.all(value == np.round(value))
        ):
            value = value.astype(np.int64)
        else:
            raise AnswerError(
                f"{phase} returned dtype {value.dtype}; labels must be integers (e.g. np.int64)"
            )
    if value.shape != (n,):
        raise AnswerError(
            f"{phase} returned shape {value.shape}; expected ({n},), one label per input"
        )
    if value.size and (value.min() < 0 or value.max() >= classes):
        raise AnswerError(
            f"{phase} returned labels outside 0..{classes - 1} (min {value.min()}, max {value.max()})"
        )
    return value.astype(np.int64, copy=False)


def check_float_array(value: np.ndarray | None, shape: tuple[int, ...], phase: str) -> np.ndarray:
    if value is None:
        raise AnswerError(f"{phase} returned nothing; expected a float array of shape {shape}")
    value = np.asarray(value)
    if value.dtype.kind not in "fiu":
        raise AnswerError(f"{phase} returned dtype {value.dtype}; expected floats")
    if value.shape != shape:
        raise AnswerError(f"{phase} returned shape {value.shape}; expected {shape}")
    if not np.all(np.isfinite(value)):
        raise AnswerError(f"{phase} returned NaN or infinite values")
    return value.astype(np.float64, copy=False)


def answer_error(outcome: Outcome, err: AnswerError) -> Outcome:
    outcome.status = "error"
    outcome.reason = str(err)
    return outcome
