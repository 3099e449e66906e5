"""Score one entry: fresh sandboxed runs, interleaved with the baseline, into a result record.

Each round runs the entry (A) and the event's baseline (B), each in a fresh child process, in
an order drawn per round from a seeded RNG (the seed and the orders are in the record), so both
see the same machine conditions and their ratio stays meaningful across runners. The speed-up
and its 95% interval come from the rounds' paired ratios (``scorer/scoring/stats.py``), measured on
the estimator ``ranked_estimator`` picks (docs/methodology.md says why). When the entry's speed
spread exceeds ``SPREAD_BOUND`` after the planned rounds, up to ``EXTRA_ROUNDS`` more are run;
if it is still too noisy the record is flagged. ``benchmarks/resolution.py`` measures how small
a difference this resolves.
"""

from __future__ import annotations

import platform
import secrets
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import scorer
from scorer.contract import review
from scorer.contract.errors import SubmissionError
from scorer.contract.events import EVENTS
from scorer.progress import Progress
from scorer.sandbox.client import Limits, Sandbox
from scorer.scoring import datasets, stats
from scorer.scoring.events import module
from scorer.scoring.events.base import Outcome, failed
from scorer.validate import rules, submission

DEFAULT_REPEATS = 3
DEFAULT_THREADS = 2
SPREAD_BOUND = 0.10
EXTRA_ROUNDS = 2
MIB = 2**20
MAX_REASON = 500  # characters; the result schema allows 2000
# The CPU counters that are the kernel's own count for the child's cgroup (not /proc sums).
KERNEL_CPU = ("cgroup-v1-cpuacct.usage", "cgroup-v2-cpu.stat")


def ranked_estimator(threads: int, runs: list[Run]) -> str:
    """Which per-run speed the ranked speed-up and its interval use (docs/methodology.md).

    "cpu" (the calls' wall time replaced by the kernel's CPU count of them) when the child has
    one thread and every run has a cgroup's count: one thread's CPU time is the time it would
    have taken had nothing else wanted the core, so a busy neighbour no longer moves it.
    With more threads the CPU time adds up the threads and is no longer the elapsed time (nor
    would running in parallel count), so "wall", the parent's clock.
    """
    methods = {(getattr(r.report, "cpu", None) or {}).get("method") for r in runs}
    return "cpu" if threads == 1 and runs and methods <= set(KERNEL_CPU) else "wall"


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


@dataclass
class Run:
    outcome: Outcome
    memory_mib: float | None
    report: object
    wall_calls: float = 0.0  # the parent's wall seconds summed over every call of the run

    def cpu_speed(self, direction: str) -> float | None:
        """The run's speed on the kernel's CPU count (``stats.cpu_equivalent``), if known."""
        cpu = getattr(self.report, "cpu", None) or {}
        calls_s, speed = cpu.get("calls_s"), self.outcome.speed
        if not calls_s or not self.wall_calls or not speed:
            return None
        return stats.cpu_equivalent(speed, self.wall_calls, calls_s, direction)


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


def run_once(folder: Path, event_id: str, job: Job, rng: np.random.Generator, wrap=None,
             entry: str | None = None) -> Run:
    """One fresh child process through every phase of the event.

    ``wrap`` may wrap the started sandbox (``tinymlperf profile`` uses it to profile each call);
    ``entry`` saves reading ``submission.json`` again when the caller already has it.
    """
    entry = entry or entrypoint(folder)
    sandbox = Sandbox(folder, entry, limits=job.limits, threads=job.threads,
                      lib=submission.team_lib(folder))
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
    return Run(outcome, None if peak is None else peak / MIB, report, clock.seconds if clock else 0.0)


def _nonfinite(run: Run) -> str:
    """What in a run's numbers is NaN or infinite ('' when all are finite)."""
    values = [("quality", run.outcome.quality), ("speed", run.outcome.speed), ("memory", run.memory_mib)]
    values += [(k, v) for k, v in run.outcome.extra.items()]
    for key, value in values:
        if value is not None and not np.isfinite(float(value)):
            return f"{key} is {value!r}, not a finite number"
    return ""


def _cpu_block(runs: list[Run], direction: str) -> dict | None:
    """Medians of the kernel-counted CPU seconds of the child over the runs, and per run
    the CPU seconds of the calls and the speed on that count (``Run.cpu_speed``)."""
    cpus = [r.report.cpu for r in runs if getattr(r.report, "cpu", None)]
    if not cpus:
        return None
    block = {k: float(np.median([c[k] for c in cpus])) for k in ("total_s", "calls_s", "outside_s", "import_s")}
    block["calls_samples"] = [float(c["calls_s"]) for c in cpus]
    speeds = [r.cpu_speed(direction) for r in runs]
    if speeds and all(v is not None and np.isfinite(v) for v in speeds):
        block["speed_samples"] = [float(v) for v in speeds]
    return {"method": "+".join(sorted({c["method"] for c in cpus})), **block}


def paired_speedup(entry: list[Run], base: list[Run], direction: str,
                   estimator: str) -> tuple[float, stats.Interval | None, str]:
    """(speed-up, its interval or None, the estimator used) from rounds paired by index.

    Falls back on the wall clock when a run has no CPU count (a runner without one).
    """
    if estimator == "cpu":
        a, b = [r.cpu_speed(direction) for r in entry], [r.cpu_speed(direction) for r in base]
        if None in a or None in b:
            estimator = "wall"
    if estimator == "wall":
        a, b = [r.outcome.speed for r in entry], [r.outcome.speed for r in base]
    logs = stats.log_speedups(a, b, direction)
    interval = stats.paired_t(logs)
    return float(np.exp(np.mean(logs))), interval, estimator


def full_isolation(isolation: dict) -> bool:
    """bubblewrap's namespaces and read-only binds, and a joined cgroup for memory/CPU."""
    limits = isolation.get("limits") or {}
    return (isolation.get("filesystem") == "bwrap-ro-binds"
            and str(limits.get("memory_by", "")).startswith("cgroup")
            and str(limits.get("cpu_by", "")).startswith("cgroup"))


def _stats(values: list[float], metric, unit: str, direction: str, **extra) -> dict:
    clean = [float(v) for v in values if v is not None]
    if not clean:
        return {"metric": metric, "unit": unit, "direction": direction, "median": None,
                "min": None, "max": None, "spread": None, "samples": [], **extra}
    median = float(np.median(clean))
    spread = (max(clean) - min(clean)) / median if median else 0.0
    return {"metric": metric, "unit": unit, "direction": direction, "median": median,
            "min": min(clean), "max": max(clean), "spread": spread, "samples": clean, **extra}


def git_commit(path: Path, repo_root: Path) -> str | None:
    """The commit that last changed ``path`` (None outside a git checkout or when untracked)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo_root), "log", "-1", "--format=%H", "--", str(path.resolve())],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def environment(threads: int, isolation: dict) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        blas_info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas_info.get('name', '?')} {blas_info.get('version', '')}".strip()
    except Exception:  # numpy's config format is not a stable API; the name is informative only
        blas = "unknown"
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return {"cpu": cpu, "cores": cores, "python": platform.python_version(), "numpy": np.__version__,
            "blas": blas, "os": platform.platform(), "threads": threads, "isolation": isolation}


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _claimed(meta: dict, event, quality, speed, memory, extra) -> list[dict]:
    claimed = meta.get("claimed", {}) if isinstance(meta, dict) else {}
    pairs = [(event.quality, quality), (event.speed, speed), (event.memory, memory)]
    pairs += [(m, extra.get(m.key)) for m in event.extra]
    rows = []
    for metric, measured in pairs:
        if metric.claimed_key not in claimed:
            continue
        value = float(claimed[metric.claimed_key])
        diff = None if measured is None else measured - value
        rel = None if diff is None or value == 0 else diff / value
        rows.append({"metric": metric.key, "claimed": value, "measured": measured, "difference": diff, "relative": rel})
    return rows


def score_entry(folder: Path, event_id: str, job: Job, baseline: Path | None = None) -> dict:
    """Validate, run and measure one entry; returns a result record (not yet written)."""
    if event_id not in EVENTS:  # e.g. `tinymlperf score --submission` on a misnamed folder
        raise SubmissionError(f"{rules.one_line(str(folder))}: {rules.one_line(repr(event_id))} is not an event; "
                              f"the folder must be submissions/<team-id>/<event-id>/ with one of {', '.join(EVENTS)}")
    event = EVENTS[event_id]
    started = _now()
    check = submission.check(folder)
    folder_hash = submission.content_hash(folder)
    meta = check.metadata if isinstance(check.metadata, dict) else {}
    name = f"{folder.parent.name}/{folder.name}"
    entry_runs: list[Run] = []
    base_runs: list[Run] = []
    status, reason = "ok", ""
    order_seed = secrets.randbits(64)
    orders: list[str] = []
    # Answer-table codes (and the older large_literal): the site holds such an entry back
    # until reviews.yml approves this content hash.
    flags = review.record_flags(check.problems)
    if not check.ok:
        status, reason = "invalid", str(check.errors[0])
        job.progress.note(f"{name}: invalid: {reason}")
    else:
        with_baseline = baseline is not None and baseline.resolve() != folder.resolve()
        entry = entrypoint(folder, meta)
        base_entry = entrypoint(baseline) if with_baseline else None
        rounds = job.repeats
        r = 0
        while r < rounds:
            # Who runs first is drawn per round; the event's own RNGs stay secret (per run, from
            # the OS), since they hold the test order and the relabelling.
            first = stats.round_orders(order_seed, r + 1)[r] if with_baseline else "AB"
            orders.append(first)
            for side in first:
                if side == "B" and not with_baseline:
                    continue
                if side == "A":
                    rng = np.random.default_rng(secrets.randbits(64))
                    job.progress.step(name, f"round {r + 1}/{rounds}", "entry")
                    run = run_once(folder, event_id, job, rng, entry=entry)
                    bad = _nonfinite(run) if run.outcome.status == "ok" else ""
                    if bad:  # the record would not be valid JSON; the event should never produce one
                        run.outcome.status, run.outcome.reason = "error", f"{bad} (repeat {r + 1})"
                    entry_runs.append(run)
                    job.progress.result(name, run.outcome, run.memory_mib, event)
                    if run.outcome.status != "ok":
                        status, reason = run.outcome.status, run.outcome.reason
                        break
                else:
                    job.progress.step(name, f"round {r + 1}/{rounds}", "baseline")
                    base = run_once(baseline, event_id, job, np.random.default_rng(secrets.randbits(64)),
                                    entry=base_entry)
                    if base.outcome.status == "ok" and _nonfinite(base):
                        base.outcome.status, base.outcome.reason = "error", _nonfinite(base)
                    base_runs.append(base)
                    job.progress.result(f"{baseline.parent.name}/{baseline.name}", base.outcome, base.memory_mib, event)
            if status != "ok":
                break
            r += 1
            if r == rounds and rounds < job.repeats + EXTRA_ROUNDS and len(entry_runs) > 1:
                # The spread of the speed the ranking will use: on one thread the CPU count,
                # which a busy neighbour spreads far less than the wall clock.
                speeds = [x.outcome.speed for x in entry_runs]
                if ranked_estimator(job.threads, entry_runs + base_runs) == "cpu":
                    on_cpu = [x.cpu_speed(event.speed.direction) for x in entry_runs]
                    speeds = speeds if None in on_cpu else on_cpu
                if (max(speeds) - min(speeds)) / float(np.median(speeds)) > SPREAD_BOUND:
                    rounds += 1
                    job.progress.note(f"{name}: speed spread above {SPREAD_BOUND:.0%}; one more round")
    ok_runs = [x for x in entry_runs if x.outcome.status == "ok"]
    qualities = [x.outcome.quality for x in ok_runs]
    speed = _stats([x.outcome.speed for x in ok_runs], event.speed.key, event.speed.unit, event.speed.direction)
    quality = _stats(qualities, event.quality.key, event.quality.unit, event.quality.direction, threshold=event.threshold)
    methods = sorted({x.report.memory_method for x in entry_runs}) or ["none"]
    memory = _stats([x.memory_mib for x in ok_runs], event.memory.key, event.memory.unit, event.memory.direction, method="+".join(methods))
    extra = {}
    for metric in event.extra:
        values = [x.outcome.extra.get(metric.key) for x in ok_runs]
        extra[metric.key] = _stats(values, metric.key, metric.unit, metric.direction)
    if status == "ok":
        misses = [(i + 1, q) for i, q in enumerate(qualities) if not event.meets_threshold(q)]
        if misses:
            i, q = misses[0]
            status = "below_threshold"
            relation = "below" if event.quality.direction == "higher" else "above"
            reason = f"{event.quality.key} {q:.4g} (repeat {i}) is {relation} the threshold {event.threshold:g}"
        if speed["spread"] is not None and speed["spread"] > SPREAD_BOUND:
            flags.append("high_spread")
    baseline_block = None
    # Rounds pair by index; the baseline run of a round the entry failed in (it may have run
    # first) pairs with nothing and is no sign of a failing baseline.
    base_runs = base_runs[:len(ok_runs)]
    base_ok = [x for x in base_runs if x.outcome.status == "ok"]
    if base_runs and len(base_ok) == len(base_runs) and len(base_ok) == len(ok_runs) and speed["median"]:
        b_speed = float(np.median([x.outcome.speed for x in base_ok]))
        mems = [x.memory_mib for x in base_ok if x.memory_mib is not None]
        b_mem = float(np.median(mems)) if mems else None
        speedup, interval, estimator = paired_speedup(ok_runs, base_ok, event.speed.direction,
                                                      ranked_estimator(job.threads, ok_runs + base_ok))
        b_cpu = [x.cpu_speed(event.speed.direction) for x in base_ok]
        baseline_block = {
            "speedup": speedup,
            "memory_ratio": memory["median"] / b_mem if b_mem and memory["median"] else None,
            "speed_median": b_speed, "memory_median": b_mem,
            "content_hash": submission.content_hash(baseline),
            "estimator": estimator,
            "order_seed": f"{order_seed:016x}",
            "order": " ".join(orders[:len(ok_runs)]),
            "speed_samples": [float(x.outcome.speed) for x in base_ok],
            **({"cpu_speed_samples": [float(v) for v in b_cpu]} if None not in b_cpu else {}),
            **({"speedup_interval": interval.as_record()} if interval else {}),
        }
    elif base_runs:
        flags.append("baseline_failed")
    elif baseline is not None and speed["median"]:
        # The baseline scored against itself: ratios are 1 by definition.
        baseline_block = {"speedup": 1.0, "memory_ratio": 1.0 if memory["median"] else None,
                          "speed_median": speed["median"], "memory_median": memory["median"],
                          "content_hash": folder_hash,
                          "speedup_interval": {"low": 1.0, "high": 1.0, "level": stats.LEVEL, "method": "self"}}
    phases = {}
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
    reason = rules.one_line(reason)
    if len(reason) > MAX_REASON:
        reason = reason[:MAX_REASON - 1] + "…"
    record = {
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
        "claimed": _claimed(meta, event, quality["median"], speed["median"], memory["median"], {k: v["median"] for k, v in extra.items()}),
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
        **({"cpu": cpu} if (cpu := _cpu_block(ok_runs, event.speed.direction)) else {}),
        "started_at": started,
        "finished_at": _now(),
        "history": [],
    }
    if entry_runs and entry_runs[-1].outcome.traceback_tail:
        job.progress.note(f"{name}: the submission's traceback (tail):\n{entry_runs[-1].outcome.traceback_tail}")
    return record
