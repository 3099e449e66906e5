"""The result record from one scoring's rounds: medians and spreads, the verdict against the
threshold, the flags, the paired baseline block, the submission and the environment.

``scorer.scoring.engine`` runs the rounds into a ``Rounds`` and hands it to ``assemble``; nothing
here runs a child process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import numpy as np

import scorer
from scorer.contract.events import EVENTS, Event
from scorer.contract.results import SEQUENTIAL_RUNS
from scorer.scoring import datasets, runs, stats
from scorer.scoring.job import Job
from scorer.scoring.record import (
    claimed_rows,
    environment,
    full_isolation,
    git_commit,
    metric_stats,
)
from scorer.scoring.runs import Run, paired_speedup, ranked_estimator
from scorer.text import one_line
from scorer.validate import submission

SPREAD_BOUND = 0.10  # a speed spread above this after the planned rounds: extra rounds, then a flag
MAX_REASON = 500  # characters; the result schema allows 2000


@dataclass
class Rounds:
    """What the rounds of one scoring measured, and how the entry fared."""

    order_seed: int  # draws who runs first in each round (in the record)
    entry_runs: list[Run] = field(default_factory=list)
    base_runs: list[Run] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # each round's wall time (Job.round_cap)
    interleaving: str = SEQUENTIAL_RUNS  # the record's baseline.interleaving
    status: str = "ok"
    reason: str = ""


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def assemble(
    folder: Path,
    event_id: str,
    job: Job,
    baseline: Path | None,
    started: str,
    folder_hash: str,
    meta: dict,
    state: Rounds,
    flags: list[str],
) -> dict:
    """The result record from the rounds' runs: the medians, the verdict, the baseline ratios."""
    event = EVENTS[event_id]
    entry_runs = state.entry_runs
    status, reason = state.status, state.reason
    ok_runs = [x for x in entry_runs if x.outcome.status == "ok"]
    qualities = [x.outcome.quality for x in ok_runs]
    speed = metric_stats(
        [x.outcome.speed for x in ok_runs], event.speed.key, event.speed.unit, event.speed.direction
    )
    quality = metric_stats(
        qualities,
        event.quality.key,
        event.quality.unit,
        event.quality.direction,
        threshold=event.threshold,
    )
    methods = sorted({x.report.memory_method for x in entry_runs}) or ["none"]
    memory = metric_stats(
        [x.memory_mib for x in ok_runs],
        event.memory.key,
        event.memory.unit,
        event.memory.direction,
        method="+".join(methods),
    )
    extra = {}
    for metric in event.extra:
        values = [x.outcome.extra.get(metric.key) for x in ok_runs]
        extra[metric.key] = metric_stats(values, metric.key, metric.unit, metric.direction)
    if status == "ok":
        misses = [
            (i + 1, q) for i, q in enumerate(qualities) if not event.meets_threshold(cast(float, q))
        ]
        if misses:
            i, q = misses[0]
            status = "below_threshold"
            relation = "below" if event.quality.direction == "higher" else "above"
            reason = f"{event.quality.key} {q:.4g} (repeat {i}) is {relation} the threshold {event.threshold:g}"
    base_block = baseline_block(
        event, job, state, ok_runs, speed, memory, baseline, folder_hash, flags
    )
    if status == "ok" and too_noisy(job, speed, base_block):
        flags.append("high_spread")
    phases: dict[str, list[float]] = {}
    for run in ok_runs:
        for key, value in run.outcome.phases.items():
            phases.setdefault(key, []).append(value)
    isolation = entry_runs[0].report.isolation if entry_runs else {}
    if entry_runs and not full_isolation(isolation):
        # Without bubblewrap and a joined cgroup the child is contained by weaker means (the audit
        # hook, rlimits, /proc CPU sums): fine for a local `run`; `results.write_record` refuses
        # to write an official record with this flag.
        flags.append("weak_isolation")
    # The reason often quotes the submission's own exception text: keep it one short line.
    reason = one_line(reason)
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 1] + "…"
    return {
        "schema_version": 1,
        "team": folder.parent.name,
        "event": event_id,
        "status": status,
        "reason": reason,
        "qualified": status == "ok",
        "quality": quality,
        "speed": speed,
        "memory": memory,
        "extra": extra,
        "baseline": base_block,
        "claimed": claimed_rows(
            meta,
            event,
            quality["median"],
            speed["median"],
            memory["median"],
            {k: v["median"] for k, v in extra.items()},
        ),
        "repeats": len(entry_runs),
        "flags": sorted(set(flags)),
        "phases": {k: float(np.median(v)) for k, v in sorted(phases.items())},
        "submission": {
            "path": submission.display(folder, job.repo_root),
            "content_hash": folder_hash,
            "commit": git_commit(folder, job.repo_root),
            "title": str(meta.get("title", ""))[:200],
            **({"created": meta["created"]} if isinstance(meta.get("created"), str) else {}),
        },
        "scorer_version": scorer.__version__,
        "datasets": datasets.hashes(event.dataset),
        "environment": environment(job.threads, isolation),
        **({"cpu": cpu} if (cpu := runs.cpu_block(ok_runs, event.speed.direction)) else {}),
        "started_at": started,
        "finished_at": now(),
        "history": [],
    }


def too_noisy(job: Job, speed: dict, base_block: dict | None) -> bool:
    """Whether the record is flagged ``high_spread``.

    Against a baseline with a precision target, when the paired interval stayed wider than
    the target after the last round: the range of 40 rounds' samples is wider than that of 3
    for the same noise, so the samples' spread would flag every long scoring. Otherwise when
    the speed's spread (max - min) / median exceeds ``SPREAD_BOUND``.
    """
    interval = (base_block or {}).get("speedup_interval")
    if job.precision is not None and interval and interval.get("method") != "self":
        return stats.log_half_width(interval["low"], interval["high"]) > job.precision
    return speed["spread"] is not None and speed["spread"] > SPREAD_BOUND


def baseline_block(
    event: Event,
    job: Job,
    state: Rounds,
    ok_runs: list[Run],
    speed: dict,
    memory: dict,
    baseline: Path | None,
    folder_hash: str,
    flags: list[str],
) -> dict | None:
    """The record's ``baseline`` block: the paired speed-up and memory ratio, or None (with
    ``baseline_failed`` flagged when the baseline's runs failed)."""
    # Rounds pair by index; the baseline run of a round the entry failed in (it may have run
    # first) pairs with nothing and is no sign of a failing baseline.
    base_runs = state.base_runs[: len(ok_runs)]
    base_ok = [x for x in base_runs if x.outcome.status == "ok"]
    if (
        base_runs
        and len(base_ok) == len(base_runs)
        and len(base_ok) == len(ok_runs)
        and speed["median"]
    ):
        b_speeds = cast("list[float]", [x.outcome.speed for x in base_ok])
        b_speed = float(np.median(b_speeds))
        # A yardstick run's peak is only its timed calls' (engine._baseline_run).
        mems = [
            x.memory_mib for x in base_ok if x.memory_mib is not None and not x.outcome.timed_only
        ]
        b_mem = float(np.median(mems)) if mems else None
        speedup, interval, estimator = paired_speedup(
            ok_runs,
            base_ok,
            event.speed.direction,
            ranked_estimator(job.threads, ok_runs + base_ok),
            first_rounds=job.first_stage(),
        )
        b_cpu = [x.cpu_speed(event.speed.direction) for x in base_ok]
        return {
            "speedup": speedup,
            "memory_ratio": memory["median"] / b_mem if b_mem and memory["median"] else None,
            "speed_median": b_speed,
            "memory_median": b_mem,
            "content_hash": submission.content_hash(cast(Path, baseline)),
            "estimator": estimator,
            "order_seed": f"{state.order_seed:016x}",
            "order": " ".join(state.orders[: len(ok_runs)]),
            "interleaving": state.interleaving,
            "speed_samples": [float(x) for x in b_speeds],
            **(
                {"cpu_speed_samples": [float(v) for v in cast("list[float]", b_cpu)]}
                if None not in b_cpu
                else {}
            ),
            **({"speedup_interval": interval.as_record()} if interval else {}),
        }
    if base_runs:
        flags.append("baseline_failed")
    elif baseline is not None and speed["median"]:
        # The baseline scored against itself: ratios are 1 by definition.
        return {
            "speedup": 1.0,
            "memory_ratio": 1.0 if memory["median"] else None,
            "speed_median": speed["median"],
            "memory_median": memory["median"],
            "content_hash": folder_hash,
            "speedup_interval": {"low": 1.0, "high": 1.0, "level": stats.LEVEL, "method": "self"},
        }
    return None
