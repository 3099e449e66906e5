"""Score one entry: fresh sandboxed runs, interleaved with the baseline, into a result record.

Each round runs the entry (A) and the event's baseline (B), each in a fresh child process, in
an order drawn per round from a seeded RNG (the seed and the orders are in the record), so both
see the same machine conditions and their ratio stays meaningful across runners. The speed-up
and its 95% interval come from the rounds' paired ratios (``scorer/scoring/stats.py``), measured
on the estimator ``scorer.scoring.runs.ranked_estimator`` picks (docs/methodology.md says why).
When the entry's speed spread exceeds ``SPREAD_BOUND`` after the planned rounds, up to
``EXTRA_ROUNDS`` more are run; if it is still too noisy the record is flagged.
``benchmarks/resolution.py`` measures how small a difference this resolves.

``score_entry`` goes in stages: plan the rounds (``_plan``), run them (``_run_rounds``, one
round in ``_run_round``, an extra one while ``_spread_too_high``), then assemble the record
(``_assemble``, ``_baseline_block``; its plain blocks come from ``scorer.scoring.record``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import numpy as np

import scorer
from scorer.contract import review
from scorer.contract.errors import SubmissionError
from scorer.contract.events import EVENTS, Event
from scorer.contract.limits import Limits
from scorer.contract.problems import one_line
from scorer.progress import Progress
from scorer.sandbox.client import Sandbox
from scorer.scoring import datasets, runs, stats
from scorer.scoring.events import module
from scorer.scoring.events.base import Outcome, failed
from scorer.scoring.record import (
    claimed_rows,
    environment,
    full_isolation,
    git_commit,
    metric_stats,
)
from scorer.scoring.runs import Run, paired_speedup, ranked_estimator
from scorer.validate import submission

DEFAULT_REPEATS = 3
DEFAULT_THREADS = 2
SPREAD_BOUND = 0.10
EXTRA_ROUNDS = 2
MIB = 2**20
MAX_REASON = 500  # characters; the result schema allows 2000


@dataclass
class Job:
    """How to score: shared by every entry of one ``run``/``score`` command."""

    repeats: int = DEFAULT_REPEATS
    threads: int = DEFAULT_THREADS
    limits: Limits = field(default_factory=Limits)
    data_folder: Path | None = None
    repo_root: Path = Path(".")
    progress: Progress = field(default_factory=Progress)
    _data: dict = field(default_factory=dict)

    def data(self, event_id: str) -> dict:
        """Each event's dataset, loaded and verified once per job."""
        if event_id not in self._data:
            self.progress.note(f"loading and verifying the {EVENTS[event_id].dataset} dataset")
            self._data[event_id] = module(event_id).prepare(self.data_folder)
        return self._data[event_id]


class _CallClock:
    """Passes calls through to the sandbox and sums the parent-measured seconds of each."""

    def __init__(self, sandbox):
        self._sandbox = sandbox
        self.seconds = 0.0

    def put(self, name, array):
        return self._sandbox.put(name, array)

    def call(self, fn, *args, **kwargs):
        result = self._sandbox.call(fn, *args, **kwargs)
        self.seconds += float(result.seconds or 0.0)
        return result


def entrypoint(folder: Path, meta: dict | None = None) -> str:
    """The entry module named in ``submission.json`` (read unless ``meta`` is given)."""
    if meta is None:
        meta, _ = submission.read_metadata(folder)
    if isinstance(meta, dict) and isinstance(meta.get("entrypoint"), str):
        return meta["entrypoint"]
    return "submission.py"


def run_once(
    folder: Path,
    event_id: str,
    job: Job,
    rng: np.random.Generator,
    wrap=None,
    entry: str | None = None,
) -> Run:
    """One fresh child process through every phase of the event.

    ``wrap`` may wrap the started sandbox (``tinymlperf profile`` uses it to profile each call);
    ``entry`` saves reading ``submission.json`` again when the caller already has it.
    """
    entry = entry or entrypoint(folder)
    sandbox = Sandbox(
        folder, entry, limits=job.limits, threads=job.threads, lib=submission.team_lib(folder)
    )
    clock = None
    try:
        start = sandbox.start()
        if start.status != "ok":
            outcome = failed(start, "import", Outcome())
        else:
            clock = _CallClock(wrap(sandbox) if wrap else sandbox)
            outcome = module(event_id).run(clock, job.data(event_id), rng, job.limits)
            outcome.phases = {"import": start.seconds, **outcome.phases}
    finally:
        report = sandbox.close()
    # A rule the parent saw broken outside the calls (CPU used between calls or after the
    # last one) ends the run even when the event's own phases all returned.
    violation = sandbox.violation.message if sandbox.violation is not None else report.violation
    if violation and outcome.status == "ok":
        outcome = Outcome(status="rule_violation", reason=violation, phases=outcome.phases)
    peak = report.peak_memory_bytes
    return Run(
        outcome, None if peak is None else peak / MIB, report, clock.seconds if clock else 0.0
    )


def _nonfinite(run: Run) -> str:
    """What in a run's numbers is NaN or infinite ('' when all are finite)."""
    values = [
        ("quality", run.outcome.quality),
        ("speed", run.outcome.speed),
        ("memory", run.memory_mib),
    ]
    values += [(k, v) for k, v in run.outcome.extra.items()]
    for key, value in values:
        if value is not None and not np.isfinite(float(value)):
            return f"{key} is {value!r}, not a finite number"
    return ""


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def score_entry(folder: Path, event_id: str, job: Job, baseline: Path | None = None) -> dict:
    """Validate, run and measure one entry; returns a result record (not yet written)."""
    if event_id not in EVENTS:  # e.g. `tinymlperf score --submission` on a misnamed folder
        raise SubmissionError(
            f"{one_line(str(folder))}: {one_line(repr(event_id))} is not an event; "
            f"the folder must be submissions/<team-id>/<event-id>/ with one of {', '.join(EVENTS)}"
        )
    event = EVENTS[event_id]
    started = _now()
    check = submission.check(folder)
    folder_hash = submission.content_hash(folder)
    meta = check.metadata if isinstance(check.metadata, dict) else {}
    name = f"{folder.parent.name}/{folder.name}"
    state = _Rounds(order_seed=secrets.randbits(64))
    # Answer-table codes (and the older large_literal): the site holds such an entry back
    # until reviews.yml approves this content hash.
    flags = review.record_flags(check.problems)
    if not check.ok:
        state.status, state.reason = "invalid", str(check.errors[0])
        job.progress.note(f"{name}: invalid: {state.reason}")
    else:
        _run_rounds(_plan(folder, event_id, name, meta, baseline), event, job, state)
    record = _assemble(folder, event_id, job, baseline, started, folder_hash, meta, state, flags)
    if state.entry_runs and state.entry_runs[-1].outcome.traceback_tail:
        job.progress.note(
            f"{name}: the submission's traceback (tail):\n{state.entry_runs[-1].outcome.traceback_tail}"
        )
    return record


@dataclass(frozen=True)
class _Plan:
    """Who runs in each round: the entry, and the baseline unless the entry is the baseline."""

    folder: Path
    event_id: str
    name: str  # team/event, as progress lines show it
    entry: str
    baseline: Path | None  # None: no baseline runs
    base_entry: str | None


@dataclass
class _Rounds:
    """What the rounds of one scoring measured, and how the entry fared."""

    order_seed: int  # draws who runs first in each round (in the record)
    entry_runs: list[Run] = field(default_factory=list)
    base_runs: list[Run] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    status: str = "ok"
    reason: str = ""


def _plan(folder: Path, event_id: str, name: str, meta: dict, baseline: Path | None) -> _Plan:
    """Plan the rounds: the entry's module, and the baseline's when it is another folder."""
    with_baseline = baseline is not None and baseline.resolve() != folder.resolve()
    other = baseline if with_baseline else None
    entry = entrypoint(folder, meta)
    base_entry = entrypoint(other) if other is not None else None
    return _Plan(folder, event_id, name, entry, other, base_entry)


def _run_rounds(plan: _Plan, event: Event, job: Job, state: _Rounds) -> None:
    """The planned rounds, one more while the speed spread is high (at most ``EXTRA_ROUNDS``);
    the first failed run of the entry ends them."""
    rounds = job.repeats
    r = 0
    while r < rounds:
        if not _run_round(plan, event, job, state, r, rounds):
            break
        r += 1
        if r == rounds and rounds < job.repeats + EXTRA_ROUNDS and len(state.entry_runs) > 1:
            if _spread_too_high(event, job, state):
                rounds += 1
                job.progress.note(
                    f"{plan.name}: speed spread above {SPREAD_BOUND:.0%}; one more round"
                )


def _run_round(plan: _Plan, event: Event, job: Job, state: _Rounds, r: int, rounds: int) -> bool:
    """Round ``r``: the entry (A) and the baseline (B) in the drawn order; False when A failed."""
    # Who runs first is drawn per round; the event's own RNGs stay secret (per run, from
    # the OS), since they hold the test order and the relabelling.
    first = stats.round_orders(state.order_seed, r + 1)[r] if plan.baseline is not None else "AB"
    state.orders.append(first)
    for side in first:
        if side == "A":
            rng = np.random.default_rng(secrets.randbits(64))
            job.progress.step(plan.name, f"round {r + 1}/{rounds}", "entry")
            run = run_once(plan.folder, plan.event_id, job, rng, entry=plan.entry)
            bad = _nonfinite(run) if run.outcome.status == "ok" else ""
            if bad:  # the record would not be valid JSON; the event should never produce one
                run.outcome.status, run.outcome.reason = "error", f"{bad} (repeat {r + 1})"
            state.entry_runs.append(run)
            job.progress.result(plan.name, run.outcome, run.memory_mib, event)
            if run.outcome.status != "ok":
                state.status, state.reason = run.outcome.status, run.outcome.reason
                break
        elif plan.baseline is not None:
            baseline = plan.baseline
            job.progress.step(plan.name, f"round {r + 1}/{rounds}", "baseline")
            base = run_once(
                baseline,
                plan.event_id,
                job,
                np.random.default_rng(secrets.randbits(64)),
                entry=plan.base_entry,
            )
            if base.outcome.status == "ok" and _nonfinite(base):
                base.outcome.status, base.outcome.reason = "error", _nonfinite(base)
            state.base_runs.append(base)
            job.progress.result(
                f"{baseline.parent.name}/{baseline.name}", base.outcome, base.memory_mib, event
            )
    return state.status == "ok"


def _spread_too_high(event: Event, job: Job, state: _Rounds) -> bool:
    """Whether the entry's speeds so far spread more than ``SPREAD_BOUND`` (an extra round)."""
    # The spread of the speed the ranking will use: on one thread the CPU count,
    # which a busy neighbour spreads far less than the wall clock.
    speeds = cast("list[float]", [x.outcome.speed for x in state.entry_runs])
    if ranked_estimator(job.threads, state.entry_runs + state.base_runs) == "cpu":
        on_cpu = [x.cpu_speed(event.speed.direction) for x in state.entry_runs]
        speeds = speeds if None in on_cpu else cast("list[float]", on_cpu)
    return (max(speeds) - min(speeds)) / float(np.median(speeds)) > SPREAD_BOUND


def _assemble(
    folder: Path,
    event_id: str,
    job: Job,
    baseline: Path | None,
    started: str,
    folder_hash: str,
    meta: dict,
    state: _Rounds,
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
        if speed["spread"] is not None and speed["spread"] > SPREAD_BOUND:
            flags.append("high_spread")
    baseline_block = _baseline_block(
        event, job, state, ok_runs, speed, memory, baseline, folder_hash, flags
    )
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
        "baseline": baseline_block,
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
        "finished_at": _now(),
        "history": [],
    }


def _baseline_block(
    event: Event,
    job: Job,
    state: _Rounds,
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
        mems = [x.memory_mib for x in base_ok if x.memory_mib is not None]
        b_mem = float(np.median(mems)) if mems else None
        speedup, interval, estimator = paired_speedup(
            ok_runs,
            base_ok,
            event.speed.direction,
            ranked_estimator(job.threads, ok_runs + base_ok),
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
