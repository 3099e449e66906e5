"""One run's measurements (``Run``) and the ranked speed drawn from a scoring's runs: which
clock it uses (``ranked_estimator``), the paired speed-up with its interval and the record's
``cpu`` block.

``scorer.scoring.engine`` makes the runs (``run_once``) and assembles the record from these;
the estimator's reasons are in docs/methodology.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from scorer.scoring import stats
from scorer.scoring.events.base import Outcome

# The CPU counters that are the kernel's own count for the child's cgroup (not /proc sums).
KERNEL_CPU = ("cgroup-v1-cpuacct.usage", "cgroup-v2-cpu.stat")
# CPU seconds in the calls above this many times their wall seconds: the child's own threads
# (or a BLAS pool it was not meant to have) ran on more than one core. Measured on the
# baselines (3 runs each, idle 2-core Intel machine): one thread 0.998, the CNN's two threads
# of one BLAS thread 1.87-1.89, two BLAS threads 1.85-1.93.
ONE_CORE_CPU_PER_WALL = 1.25


def ranked_estimator(threads: int, runs: list[Run]) -> str:
    """Which per-run speed the ranked speed-up and its interval use (docs/methodology.md).

    "cpu" (the calls' wall time replaced by the kernel's CPU count of them) when the child has
    one BLAS thread, every run has a cgroup's count and every run's calls kept to one core:
    one thread's CPU time is the time it would have taken had nothing else wanted the core,
    so a busy neighbour no longer moves it. With more threads (the BLAS's, or an entry's own:
    threads are allowed at any setting) the CPU time adds up the threads and is no longer
    the elapsed time, nor would running in parallel count, so "wall", the parent's clock.
    """
    methods = {(getattr(r.report, "cpu", None) or {}).get("method") for r in runs}
    one_core = all(_calls_on_one_core(r) for r in runs)
    return "cpu" if threads == 1 and runs and methods <= set(KERNEL_CPU) and one_core else "wall"


def _calls_on_one_core(run: Run) -> bool:
    calls_s = (getattr(run.report, "cpu", None) or {}).get("calls_s")
    return calls_s is not None and calls_s <= ONE_CORE_CPU_PER_WALL * run.wall_calls


@dataclass
class Run:
    """One fresh child's run: its outcome, peak memory and the sandbox's report on it."""

    outcome: Outcome
    memory_mib: float | None
    report: Any  # the sandbox's SandboxReport (tests pass stand-ins)
    wall_calls: float = 0.0  # the parent's wall seconds summed over every call of the run

    def cpu_speed(self, direction: str) -> float | None:
        """The run's speed on the kernel's CPU count (``stats.cpu_equivalent``), if known."""
        cpu = getattr(self.report, "cpu", None) or {}
        calls_s, speed = cpu.get("calls_s"), self.outcome.speed
        if not calls_s or not self.wall_calls or not speed:
            return None
        return stats.cpu_equivalent(speed, self.wall_calls, calls_s, direction)


def cpu_block(runs: list[Run], direction: str) -> dict | None:
    """Medians of the kernel-counted CPU seconds of the child over the runs, and per run
    the CPU seconds of the calls and the speed on that count (``Run.cpu_speed``)."""
    cpus = [r.report.cpu for r in runs if getattr(r.report, "cpu", None)]
    if not cpus:
        return None
    block: dict[str, Any] = {
        k: float(np.median([c[k] for c in cpus]))
        for k in ("total_s", "calls_s", "outside_s", "import_s")
    }
    block["calls_samples"] = [float(c["calls_s"]) for c in cpus]
    speeds = [r.cpu_speed(direction) for r in runs]
    if speeds and all(v is not None and np.isfinite(v) for v in speeds):
        block["speed_samples"] = [float(v) for v in cast("list[float]", speeds)]
    return {"method": "+".join(sorted({c["method"] for c in cpus})), **block}


def paired_logs(
    entry: list[Run], base: list[Run], direction: str, estimator: str
) -> tuple[np.ndarray, str]:
    """(the rounds' log speed-ups, the estimator used), rounds paired by index.

    Falls back on the wall clock when a run has no CPU count (a runner without one).
    """
    if estimator == "cpu":
        a, b = [r.cpu_speed(direction) for r in entry], [r.cpu_speed(direction) for r in base]
        if None in a or None in b:
            estimator = "wall"
    if estimator == "wall":
        a, b = [r.outcome.speed for r in entry], [r.outcome.speed for r in base]
    logs = stats.log_speedups(cast("list[float]", a), cast("list[float]", b), direction)
    return logs, estimator


def paired_speedup(
    entry: list[Run],
    base: list[Run],
    direction: str,
    estimator: str,
    first_rounds: int | None = None,
) -> tuple[float, stats.Interval | None, str]:
    """(speed-up, its interval or None, the estimator used) from rounds paired by index.

    With ``first_rounds`` (the scoring ran rounds until precise) the interval is Stein's
    two-stage one (``stats.paired_stein``), else Student's t over every round.
    """
    logs, estimator = paired_logs(entry, base, direction, estimator)
    if first_rounds is not None:
        interval = stats.paired_stein(logs, first_rounds)
    else:
        interval = stats.paired_t(logs)
    return float(np.exp(np.mean(logs))), interval, estimator
