"""Score one entry: fresh sandboxed runs, interleaved with the baseline, into a result record.

Each round runs the entry (A) and the event's baseline (B), each in a fresh child process, in
an order drawn per round from a seeded RNG (the seed and the orders are in the record), so both
see the same machine conditions and their ratio stays meaningful across runners. The speed-up
and its 95% interval come from the rounds' paired ratios (``scorer/scoring/stats.py``), measured
on the estimator ``scorer.scoring.runs.ranked_estimator`` picks (docs/methodology.md says why).
With a precision target (``Job.precision``, which the commands set), Stein's two-stage rule
sets how many rounds run after the first ``MIN_PRECISE_ROUNDS`` (at most ``Job.round_cap``);
without one,
when the entry's speed spread exceeds ``SPREAD_BOUND`` after the planned rounds, up to
``EXTRA_ROUNDS`` more are run. A record still too noisy is flagged ``high_spread``.
``benchmarks/resolution.py`` measures how small a difference this resolves.

The baseline's first run of a scoring goes through every phase; its later ones are only the
yardstick of the entry's speed and stop after their timed calls (``_baseline_run``).

``score_entry`` goes in stages: plan the rounds (``_plan``), run them (``_run_rounds``, one
round in ``_run_round``, one more while ``_wants_round``), then assemble the record
(``_assemble``, ``_baseline_block``; its plain blocks come from ``scorer.scoring.record``).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

import numpy as np

from scorer.contract import review
from scorer.contract.errors import SubmissionError
from scorer.contract.events import EVENTS, Event
from scorer.contract.results import INTERLEAVED_CALLS
from scorer.sandbox.cgroup import FREEZE_TIMEOUT_S, freezer_available
from scorer.sandbox.client import Sandbox
from scorer.scoring import stats
from scorer.scoring.assembly import SPREAD_BOUND, Rounds, assemble, now
from scorer.scoring.events import module
from scorer.scoring.events.base import Outcome, failed
from scorer.scoring.job import Job
from scorer.scoring.runs import Run, paired_logs, ranked_estimator
from scorer.scoring.turns import Turns, run_both
from scorer.text import one_line
from scorer.validate import submission

EXTRA_ROUNDS = 2
MIB = 2**20


class _CallClock:
    """Passes calls through to the sandbox and sums the parent-measured seconds of each;
    with ``turns``, takes this side's turn before each call (``scorer/scoring/turns.py``)."""

    def __init__(self, sandbox, turn=None):
        self._sandbox = sandbox
        self._turn = turn
        self.seconds = 0.0

    def put(self, name, array):
        return self._sandbox.put(name, array)

    def call(self, fn, *args, **kwargs):
        if self._turn is not None:
            self._turn()
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


@dataclass(frozen=True)
class Launch:
    """How a folder's child starts, from its ``submission.json``: module and BLAS threads."""

    entry: str
    blas_threads: int | None


def launch_of(folder: Path, meta: dict | None = None) -> Launch:
    """The folder's ``Launch`` (``submission.json`` read unless ``meta`` is given)."""
    if meta is None:
        meta, _ = submission.read_metadata(folder)
    return Launch(entrypoint(folder, meta), submission.blas_threads(meta))


def run_once(
    folder: Path,
    event_id: str,
    job: Job,
    rng: np.random.Generator,
    wrap=None,
    launch: Launch | None = None,
    turns: Turns | None = None,
    side: str = "A",
    timed_only: bool = False,
) -> Run:
    """One fresh child process through every phase of the event.

    ``wrap`` may wrap the started sandbox (``tinymlperf profile`` uses it to profile each call);
    ``launch`` saves reading ``submission.json`` again when the caller already has it;
    ``turns`` alternates this run's start and calls with another run's (as ``side``), the
    other child frozen while this one works (``_run_round``); ``timed_only`` stops the run
    after its timed calls where the event has checks after them (a baseline's yardstick run).
    """
    launch = launch or launch_of(folder)
    sandbox = Sandbox(
        folder,
        launch.entry,
        limits=job.limits,
        threads=job.threads,
        blas_threads=launch.blas_threads,
        lib=submission.team_lib(folder),
    )
    clock = None
    turn = None
    if turns is not None:
        turns.attach(side, sandbox)
        turn = partial(turns.take, side)
    try:
        if turn is not None:
            turn()
        start = sandbox.start()
        if start.status != "ok":
            outcome = failed(start, "import", Outcome())
        else:
            clock = _CallClock(wrap(sandbox) if wrap else sandbox, turn)
            outcome = module(event_id).run(
                clock, job.data(event_id), rng, job.limits, timed_only=timed_only
            )
            outcome.phases = {"import": start.seconds, **outcome.phases}
    finally:
        report = sandbox.close()
    # A rule the parent saw broken outside the calls (CPU used between calls or after the
    # last one) ends the run even when the event's own phases all returned.
    violation = sandbox.violation.message if sandbox.violation is not None else report.violation
    if violation and outcome.status == "ok":
        outcome = Outcome(status="rule_violation", reason=violation, phases=outcome.phases)
    if turns is not None and turns.pause_failures[side] and outcome.status == "ok":
        # The other run's calls were timed while this child may still have been running.
        outcome = Outcome(
            status="error",
            reason=f"the child could not be paused within {FREEZE_TIMEOUT_S:g} s "
            f"({turns.pause_failures[side]} times) while the other run of its round was "
            "timed; a process stuck in a system call cannot be frozen",
            phases=outcome.phases,
        )
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


def score_entry(folder: Path, event_id: str, job: Job, baseline: Path | None = None) -> dict:
    """Validate, run and measure one entry; returns a result record (not yet written)."""
    if event_id not in EVENTS:  # e.g. `tinymlperf score --submission` on a misnamed folder
        raise SubmissionError(
            f"{one_line(str(folder))}: {one_line(repr(event_id))} is not an event; "
            f"the folder must be submissions/<team-id>/<event-id>/ with one of {', '.join(EVENTS)}"
        )
    event = EVENTS[event_id]
    started = now()
    check = submission.check(folder)
    folder_hash = submission.content_hash(folder)
    meta = check.metadata if isinstance(check.metadata, dict) else {}
    name = f"{folder.parent.name}/{folder.name}"
    state = Rounds(order_seed=secrets.randbits(64))
    if job.interleave and baseline is not None and freezer_available():
        state.interleaving = INTERLEAVED_CALLS
    # Answer-table codes (and the older large_literal): the site holds such an entry back
    # until reviews.yml approves this content hash.
    flags = review.record_flags(check.problems)
    if not check.ok:
        state.status, state.reason = "invalid", str(check.errors[0])
        job.progress.note(f"{name}: invalid: {state.reason}")
    else:
        _run_rounds(_plan(folder, event_id, name, meta, baseline), event, job, state)
    record = assemble(folder, event_id, job, baseline, started, folder_hash, meta, state, flags)
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
    entry: Launch
    baseline: Path | None  # None: no baseline runs
    base_entry: Launch | None


def _plan(folder: Path, event_id: str, name: str, meta: dict, baseline: Path | None) -> _Plan:
    """Plan the rounds: the entry's module, and the baseline's when it is another folder."""
    with_baseline = baseline is not None and baseline.resolve() != folder.resolve()
    other = baseline if with_baseline else None
    entry = launch_of(folder, meta)
    base_entry = launch_of(other) if other is not None else None
    return _Plan(folder, event_id, name, entry, other, base_entry)


def _run_rounds(plan: _Plan, event: Event, job: Job, state: Rounds) -> None:
    """The planned rounds, then more while the speed-up is not yet known well enough
    (``_wants_round``); the first failed run of the entry ends them."""
    rounds = job.repeats
    r = 0
    while r < rounds:
        if not _run_round(plan, event, job, state, r, rounds):
            break
        r += 1
        if r == rounds and _wants_round(plan, event, job, state):
            rounds += 1


def _wants_round(plan: _Plan, event: Event, job: Job, state: Rounds) -> bool:
    """Whether to run one more round after the ones so far.

    Against a baseline with a precision target, Stein's two-stage rule: the first
    ``job.first_stage()`` rounds, then as many more as their spread says the interval needs to
    be ``job.precision`` wide (``stats.stein_rounds``), at most ``job.round_cap`` of the first
    stage's seconds (``job.max_rounds``, or more while short rounds fit its budget). The total
    is fixed by the first stage and the record's interval takes its width from it, or from
    every round when the later ones spread more (``stats.paired_stein``), so neither can
    favour a lucky streak. Otherwise the old rule:
    up to ``EXTRA_ROUNDS`` while the speed spread is high.
    """
    done = len(state.entry_runs)
    if plan.baseline is not None and job.precision is not None:
        logs = _logs_so_far(event, job, state)
        first = cast(int, job.first_stage())
        if logs is None:
            return False
        if done < first:
            return done < job.max_rounds
        cap = job.round_cap(state.seconds[:first])
        target = stats.stein_rounds(logs[:first], job.precision, cap)
        if done == first and target > done:
            job.progress.note(
                f"{plan.name}: {target} rounds in all, for a speed-up within about "
                f"+-{job.precision:.1%} (the spread of the first {first}; at most {cap})"
            )
        return done < target
    if done < 2 or done >= job.repeats + EXTRA_ROUNDS or not _spread_too_high(event, job, state):
        return False
    job.progress.note(f"{plan.name}: speed spread above {SPREAD_BOUND:.0%}; one more round")
    return True


def _logs_so_far(event: Event, job: Job, state: Rounds):
    """The rounds' log speed-ups so far on the ranked estimator (None when a run failed or
    there are fewer than two rounds: nothing to be precise about)."""
    entry, base = state.entry_runs, state.base_runs
    if len(entry) < 2 or len(entry) != len(base):
        return None
    if any(x.outcome.status != "ok" for x in entry + base):
        return None
    try:
        logs, _ = paired_logs(
            entry, base, event.speed.direction, ranked_estimator(job.threads, entry + base)
        )
    except ValueError:  # a speed that is not a positive number
        return None
    return logs


def _run_round(plan: _Plan, event: Event, job: Job, state: Rounds, r: int, rounds: int) -> bool:
    """Round ``r``: the entry (A) and the baseline (B) in the drawn order; False when A failed.

    With a baseline and a freezer for the children (``job.interleave``), both runs are alive at
    once and take turns call by call, the idle child frozen (``scorer/scoring/turns.py``);
    otherwise one whole run follows the other."""
    # Who runs first is drawn per round; the event's own RNGs stay secret (per run, from
    # the OS), since they hold the test order and the relabelling.
    first = stats.round_orders(state.order_seed, r + 1)[r] if plan.baseline is not None else "AB"
    state.orders.append(first)
    started = time.monotonic()
    try:
        return _run_round_runs(plan, event, job, state, r, rounds, first)
    finally:
        state.seconds.append(time.monotonic() - started)


def _run_round_runs(
    plan: _Plan, event: Event, job: Job, state: Rounds, r: int, rounds: int, first: str
) -> bool:
    """The runs of round ``r`` in the order ``first`` (``_run_round``)."""
    step = f"round {r + 1}/{rounds}"
    if plan.baseline is not None and state.interleaving == INTERLEAVED_CALLS:
        turns = Turns(first)
        job.progress.step(plan.name, step, "entry and baseline, taking turns")
        runs = run_both(
            turns,
            {
                "A": partial(_entry_run, plan, job, turns),
                "B": partial(_baseline_run, plan, job, turns, r),
            },
        )
        _keep_entry(plan, event, job, state, r, runs["A"])
        _keep_baseline(plan, event, job, state, runs["B"])
        return state.status == "ok"
    for side in first:
        if side == "A":
            job.progress.step(plan.name, step, "entry")
            if not _keep_entry(plan, event, job, state, r, _entry_run(plan, job, None)):
                break
        elif plan.baseline is not None:
            job.progress.step(plan.name, step, "baseline")
            _keep_baseline(plan, event, job, state, _baseline_run(plan, job, None, r))
    return state.status == "ok"


def _entry_run(plan: _Plan, job: Job, turns: Turns | None) -> Run:
    rng = np.random.default_rng(secrets.randbits(64))
    return run_once(plan.folder, plan.event_id, job, rng, launch=plan.entry, turns=turns, side="A")


def _baseline_run(plan: _Plan, job: Job, turns: Turns | None, r: int) -> Run:
    """The baseline's run of round ``r``. Only the first goes through every phase: the later
    ones are the yardstick of the entry's speed and stop after their timed calls
    (``timed_only``), since the baseline's own record checks its quality and the entry's runs
    are checked in full every round. For the Transformer Decathlon that is ~1.6 s of a ~12 s
    run; its peak memory, which a shortened run no longer shows, comes from the first."""
    rng = np.random.default_rng(secrets.randbits(64))
    baseline = cast(Path, plan.baseline)
    return run_once(
        baseline,
        plan.event_id,
        job,
        rng,
        launch=plan.base_entry,
        turns=turns,
        side="B",
        timed_only=r > 0,
    )


def _keep_entry(plan: _Plan, event: Event, job: Job, state: Rounds, r: int, run: Run) -> bool:
    """Add the entry's run of round ``r`` to the state; False (and the state's status set)
    when it failed."""
    bad = _nonfinite(run) if run.outcome.status == "ok" else ""
    if bad:  # the record would not be valid JSON; the event should never produce one
        run.outcome.status, run.outcome.reason = "error", f"{bad} (repeat {r + 1})"
    state.entry_runs.append(run)
    job.progress.result(plan.name, run.outcome, run.memory_mib, event)
    if run.outcome.status != "ok":
        state.status, state.reason = run.outcome.status, run.outcome.reason
        return False
    return True


def _keep_baseline(plan: _Plan, event: Event, job: Job, state: Rounds, base: Run) -> None:
    bad = _nonfinite(base) if base.outcome.status == "ok" else ""
    if bad:
        base.outcome.status, base.outcome.reason = "error", bad
    state.base_runs.append(base)
    baseline = cast(Path, plan.baseline)
    job.progress.result(
        f"{baseline.parent.name}/{baseline.name}", base.outcome, base.memory_mib, event
    )


def _spread_too_high(event: Event, job: Job, state: Rounds) -> bool:
    """Whether the entry's speeds so far spread more than ``SPREAD_BOUND`` (an extra round)."""
    # The spread of the speed the ranking will use: on one thread the CPU count,
    # which a busy neighbour spreads far less than the wall clock.
    speeds = cast("list[float]", [x.outcome.speed for x in state.entry_runs])
    if ranked_estimator(job.threads, state.entry_runs + state.base_runs) == "cpu":
        on_cpu = [x.cpu_speed(event.speed.direction) for x in state.entry_runs]
        speeds = speeds if None in on_cpu else cast("list[float]", on_cpu)
    return (max(speeds) - min(speeds)) / float(np.median(speeds)) > SPREAD_BOUND
