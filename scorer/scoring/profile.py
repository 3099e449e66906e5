"""``tinymlperf profile``: where an entry's time and memory go, measured inside the sandbox.

It runs the event once, exactly as scoring does, but every call into the submission runs under
cProfile and tracemalloc in the child; the report lists the time per phase, the 20 hottest
functions and the 20 largest allocation sites of the slowest call. Profiling slows the calls,
so the times are inflated, and the allocation sites are a tracemalloc snapshot taken when the
call returns (what it still holds), not at the peak; the report says both.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np
from rich.markup import escape
from rich.table import Table

from scorer.sandbox.results import CallResult
from scorer.scoring import engine as scoring

TIMING_NOTE = (
    "note: these times are inflated: cProfile and tracemalloc slow every Python call and "
    "allocation of the profiled calls; compare them with each other, and use "
    "`tinymlperf run` for the real speed"
)
ALLOCATION_NOTE = (
    "note: the allocation sites are what Python (tracemalloc) still held when the call "
    "returned, not what was allocated at the peak: temporaries freed inside the call "
    "do not show here but count towards the peak memory above, as does memory "
    "outside Python's allocator"
)


class ProfilingSandbox:
    """Passes every call through to the sandbox with profiling on, and keeps the profiles."""

    def __init__(self, sandbox):
        self._sandbox = sandbox
        self.calls: list[tuple[str, CallResult]] = []

    def put(self, name, array):
        return self._sandbox.put(name, array)

    def call(self, fn, *args, **kwargs):
        result = self._sandbox.call(fn, *args, profile=True, **kwargs)
        self.calls.append((fn, result))
        return result


def profile(folder: Path, event_id: str, job: scoring.Job) -> int:
    wrappers: list[ProfilingSandbox] = []

    def wrap(sandbox):
        wrappers.append(ProfilingSandbox(sandbox))
        return wrappers[-1]

    job.progress.note(f"profiling {folder} ({event_id}), one run")
    run = scoring.run_once(
        folder, event_id, job, np.random.default_rng(secrets.randbits(64)), wrap=wrap
    )
    console = job.progress.console
    outcome = run.outcome
    if outcome.status != "ok":
        console.print(f"status: {escape(outcome.status)}: {escape(outcome.reason)}")
    phases = Table(title="Time per phase (parent-measured, with profiling on)")
    phases.add_column("phase")
    phases.add_column("seconds", justify="right")
    for name, seconds in outcome.phases.items():
        phases.add_row(escape(name), f"{seconds:.4f}")
    console.print(phases)
    console.print(TIMING_NOTE)
    if run.memory_mib is not None:
        console.print(
            f"peak memory: {run.memory_mib:.1f} MiB ({escape(str(run.report.memory_method))}): "
            "the child process's peak over the whole run, as scoring measures it"
        )
    calls = [(fn, r) for w in wrappers for fn, r in w.calls if getattr(r, "profile", None)]
    if not calls:
        console.print("no profile was recorded (the run ended before any profiled call)")
        return 1
    fn, slowest = max(calls, key=lambda c: c[1].seconds)
    profiled = slowest.profile or {}  # never empty here: calls holds only the profiled ones
    hot = Table(title=f"20 hottest functions in {fn}() ({slowest.seconds:.3f} s)")
    for col in ("function", "where", "calls", "tottime s", "cumtime s"):
        hot.add_column(col)
    for row in profiled.get("hot_functions", [])[:20]:
        hot.add_row(
            *(
                escape(str(row.get(k, "")))
                for k in ("function", "where", "calls", "tottime", "cumtime")
            )
        )
    console.print(hot)
    alloc = Table(title=f"20 largest allocation sites still held when {fn}() returned")
    for col in ("where", "size", "count"):
        alloc.add_column(col)
    for row in profiled.get("allocations", [])[:20]:
        alloc.add_row(
            escape(str(row.get("where", ""))),
            f"{row.get('size_bytes', 0) / 2**20:.2f} MiB",
            str(row.get("count", "")),
        )
    console.print(alloc)
    console.print(ALLOCATION_NOTE)
    return 0 if outcome.status == "ok" else 1
