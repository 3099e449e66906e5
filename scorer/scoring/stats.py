"""Paired statistics of an entry's speed against its baseline: pure functions, no I/O.

Scoring runs the entry (A) and the baseline (B) in rounds, one of each per round and in a
random order, so each round gives one *paired* speed-up: B's time / A's time (or A's rate / B's
rate). Machine noise that lasts longer than a round moves A and B alike and cancels in that
ratio; what is left varies from round to round, and the interval here says how far the true
speed-up can be from the rounds' geometric mean. ``tests/test_scoring_stats.py`` checks every
function against figures worked out by hand.

    from scorer.scoring import stats
    logs = stats.log_speedups(entry_seconds, baseline_seconds, "lower")
    stats.paired_t(logs)          # Interval(point, low, high, level, method)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
T_METHOD = "paired-t-log"  # Student t on the rounds' log speed-ups
STEIN_METHOD = "paired-stein-log"  # Stein's two-stage t, widened when the later rounds spread more
BOOTSTRAP_METHOD = "paired-bootstrap-log"  # percentile bootstrap of the same mean
_GRID = 4096  # Simpson intervals for the t distribution's CDF: error far below 1e-6


@dataclass(frozen=True)
class Interval:
    point: float  # the geometric mean of the rounds' speed-ups
    low: float
    high: float
    level: float
    method: str
    first_rounds: int | None = None  # Stein's first stage: the rounds whose spread sets the width

    def as_record(self) -> dict:
        """The record's ``baseline.speedup_interval`` (the schema's field names)."""
        out = {"low": self.low, "high": self.high, "level": self.level, "method": self.method}
        return out if self.first_rounds is None else {**out, "first_rounds": self.first_rounds}

    def verdict(self) -> str:
        """'faster' or 'slower' than the baseline when the interval excludes 1, else 'tie'."""
        if self.low > 1.0:
            return "faster"
        if self.high < 1.0:
            return "slower"
        return "tie"


def log_half_width(low: float, high: float) -> float:
    """Half the width of the interval [low, high] of a ratio, on the log scale."""
    return (math.log(high) - math.log(low)) / 2.0


def log_speedups(entry: list[float], baseline: list[float], direction: str) -> np.ndarray:
    """Per-round log speed-up of the entry over the baseline, round i against round i.

    ``direction`` is the speed metric's: "lower" (seconds: baseline / entry) or "higher"
    (a rate: entry / baseline). Raises ValueError on unequal lengths or values that are not
    positive finite numbers: a ratio of those means nothing.
    """
    a, b = np.asarray(entry, dtype=float), np.asarray(baseline, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired samples need equal lengths, got {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.all(a > 0) and np.all(b > 0)):
        raise ValueError("paired samples must be positive finite numbers")
    if direction not in ("lower", "higher"):
        raise ValueError(f"direction must be 'lower' or 'higher', not {direction!r}")
    return np.log(b / a) if direction == "lower" else np.log(a / b)


def cpu_equivalent(speed: float, wall_calls: float, cpu_calls: float, direction: str) -> float:
    """The run's speed with the wall time of its calls replaced by the CPU time they used.

    ``wall_calls`` is the parent's wall clock summed over the run's timed calls and
    ``cpu_calls`` the kernel's CPU seconds of the child inside them. A neighbour that takes
    half the cores doubles the wall time but not the CPU time, so the speed is rescaled by
    cpu/wall (a time) or wall/cpu (a rate). Where the speed is made of all the calls (MLP
    Sprint: train + predict) this is exactly their CPU seconds; otherwise it assumes that the
    speed's calls use the cores as the run's other calls do.
    """
    if not (wall_calls > 0 and cpu_calls > 0 and speed > 0):
        raise ValueError("speed, wall and CPU seconds must be positive")
    scale = cpu_calls / wall_calls
    return speed * scale if direction == "lower" else speed / scale


def t_cdf(x: float, df: int) -> float:
    """Student t distribution's CDF, by Simpson's rule over its density from 0 to |x|."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if x == 0:
        return 0.5
    # Substituting t = tan(u) maps [0, inf) to [0, pi/2) and keeps the heavy tails integrable.
    top = math.atan(abs(x))
    u = np.linspace(0.0, top, _GRID + 1)
    t = np.tan(u)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    dens = np.exp(log_c - (df + 1) / 2 * np.log1p(t * t / df)) / np.cos(u) ** 2
    weights = np.ones(_GRID + 1)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    half = float(np.sum(weights * dens) * (top / _GRID) / 3.0)
    return 0.5 + math.copysign(half, x)


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection on t_cdf)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie strictly between 0 and 1")
    if p == 0.5:
        return 0.0
    lo, hi = 0.0, 1.0
    target = max(p, 1.0 - p)
    while t_cdf(hi, df) < target:
        hi *= 2.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < target:
            lo = mid
        else:
            hi = mid
    q = (lo + hi) / 2.0
    return q if p > 0.5 else -q


def paired_t(logs, level: float = LEVEL) -> Interval | None:
    """Student-t interval on the mean of the rounds' log speed-ups, back on the ratio scale.

    Exact for normally distributed log ratios at any number of rounds, so it stays honest
    with the 3 to 5 rounds a scoring affords (a bootstrap of so few rounds is too narrow).
    None for fewer than two rounds: one round says nothing about the noise.
    """
    x = np.asarray(logs, dtype=float)
    if x.size < 2:
        return None
    mean = float(np.mean(x))
    half = t_quantile(0.5 + level / 2.0, x.size - 1) * float(np.std(x, ddof=1)) / math.sqrt(x.size)
    return Interval(math.exp(mean), math.exp(mean - half), math.exp(mean + half), level, T_METHOD)


def stein_rounds(first, precision: float, cap: int, level: float = LEVEL) -> int:
    """Rounds in all for Stein's two-stage interval to be at most ``precision`` wide (half-width
    on the log scale), from the first stage's log speed-ups ``first``; at least their number,
    at most ``cap``.

    The number is fixed by the first stage alone and the interval's width then uses the first
    stage's spread only (``paired_stein``), which keeps its coverage exact: a rule that stops
    once the running interval looks tight stops more often when the spread is small by
    chance, and then reports an interval too narrow (identical copies of the MLP baseline were
    called different in 3 scorings of 10 that way).
    """
    x = np.asarray(first, dtype=float)
    if x.size < 2 or precision <= 0:
        raise ValueError("the first stage needs two rounds and a positive precision")
    t = t_quantile(0.5 + level / 2.0, x.size - 1)
    need = math.ceil((t * float(np.std(x, ddof=1)) / precision) ** 2)
    return int(min(max(need, x.size), cap))


def paired_stein(logs, first_rounds: int, level: float = LEVEL) -> Interval | None:
    """Stein's two-stage interval: the mean of all rounds' log speed-ups, its width from the
    spread of the first ``first_rounds`` (t with first_rounds - 1 degrees of freedom), or from
    the spread of every round (t with n - 1) when that interval is the wider one.

    Stein's width alone is exact for independent normal log ratios whatever the first stage's
    spread made the total. A shared runner breaks that assumption: its noise comes in bursts,
    and when one falls after the first stage the later rounds are noisier and the first
    stage's width is too narrow. Under a neighbour, identical copies of the MLP baseline ran 40 rounds whose
    spread was up to 2.2x the first ten's, and one of ten was called different; the wider of
    the two widths called all ten a tie. Falls back on ``paired_t`` when there are not more
    rounds than the first stage.
    """
    x = np.asarray(logs, dtype=float)
    if x.size <= first_rounds or first_rounds < 2:
        return paired_t(x, level)
    mean = float(np.mean(x))
    p = 0.5 + level / 2.0
    first = t_quantile(p, first_rounds - 1) * float(np.std(x[:first_rounds], ddof=1))
    every = t_quantile(p, x.size - 1) * float(np.std(x, ddof=1))
    half = max(first, every) / math.sqrt(x.size)
    return Interval(
        math.exp(mean),
        math.exp(mean - half),
        math.exp(mean + half),
        level,
        STEIN_METHOD,
        first_rounds,
    )


def paired_bootstrap(
    logs, seed: int, level: float = LEVEL, resamples: int = 10000
) -> Interval | None:
    """Percentile bootstrap of the mean log speed-up: rounds resampled whole (A with its B).

    Makes no assumption about the noise's shape but needs many rounds: with n rounds the
    resampled means take few distinct values and the interval covers less than ``level``.
    """
    x = np.asarray(logs, dtype=float)
    if x.size < 2:
        return None
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(
        math.exp(float(np.mean(x))),
        math.exp(float(low)),
        math.exp(float(high)),
        level,
        BOOTSTRAP_METHOD,
    )


def round_orders(seed: int, rounds: int) -> list[str]:
    """Who runs first in each round: "AB" (entry first) or "BA", from a seeded RNG.

    Rounds come in pairs of opposite orders with the pair's first order drawn at random, so
    neither side runs first more than once more often than the other (a side that always
    ran second would always meet the caches and the clock speed the first one left).
    """
    rng = np.random.default_rng(seed)
    orders: list[str] = []
    while len(orders) < rounds:
        first = "AB" if rng.random() < 0.5 else "BA"
        orders += [first, "BA" if first == "AB" else "AB"]
    return orders[:rounds]
