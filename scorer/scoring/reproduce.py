"""Weights provenance: retrain a weights-loading entry from its own train.py, score, compare.

    tinymlperf reproduce --submission DIR [--json FILE] [--budget SECONDS] [--record]

The events whose entries ship weights (``Event.loads_weights``) cannot see how the weights were
made. So the entry's ``train.py`` must have a top-level ``fit(train_split, out_dir, budget)``
that writes every file its ``load()`` reads besides code. ``reproduce``:

1. runs ``fit`` in the same sandbox as scoring (``Sandbox(train=True)``: no network, no file
   outside its own read-only copy and the Python install, the event's dataset never mounted),
   handing it the training split only (``<event module>.train_split``: a dict of arrays), the
   path of ``out_dir`` (the only writable folder) and the budget ``{"wall_s", "cpu_s"}``;
2. builds a copy of the folder that keeps only its code and metadata (``KEPT``) and adds what
   ``fit`` wrote, so no shipped weights file survives into it;
3. scores the shipped folder and the copy with the same engine (``scoring.score_entry``, one
   round each, no baseline: quality is a deterministic function of the weights);
4. compares the qualities within the event's ``Event.tolerance`` (absolute for accuracy,
   relative for perplexity): reproduced when they are that close, in either direction.

The result is the record's ``provenance`` block (``scorer/contract/schemas/result.schema.json``);
``--record`` writes it into ``results/<team>/<event>.json`` (``results.write_provenance``).
Nothing here imports, unpickles or reads the submission's weights: only the sandboxed child
does. Tests: ``tests/test_reproduce.py`` and ``tests/exploits/weights/``.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import scorer
from scorer.contract.errors import SubmissionError, UsageError
from scorer.contract.events import (
    EVENTS,
    NOT_REPRODUCED,
    TRAIN_BUDGET_CPU_PER_WALL,
    TRAIN_BUDGET_WALL_S,
    Event,
    entry_folder,
)
from scorer.contract.problems import display
from scorer.sandbox.client import Sandbox
from scorer.scoring import engine as scoring
from scorer.scoring.assembly import MAX_REASON, now
from scorer.scoring.events import module
from scorer.text import one_line
from scorer.validate import submission

TRAIN_ENTRY = "train.py"
FIT = "fit"
# What fit() sees of the folder (and of lib/), and what the retrained copy keeps besides what
# fit() wrote: Python code and submission.json only. The shipped weights, and any prose, licence
# or data file that could carry them (a README with a base64 block), stay out: otherwise a fit()
# that copies the shipped file to out_dir, or a load() that reads its weights from the README,
# would "reproduce" weights that training never made.
KEPT_SUFFIXES = (".py",)
KEPT_NAMES = (submission.METADATA,)
# CPU the child may use beyond the budget before RLIMIT_CPU stops it: loading the train split
# and importing train.py are not fit's, and a fit that watches its budget needs a margin.
CPU_MARGIN_S = 120.0
PROGRESS_EVERY_S = 30.0


@dataclass(frozen=True)
class Budget:
    wall_s: float
    cpu_s: float

    @classmethod
    def from_wall(cls, wall_s: float | None = None) -> Budget:
        wall = TRAIN_BUDGET_WALL_S if wall_s is None else float(wall_s)
        if not wall > 0:
            raise UsageError(
                f"--budget {wall_s}: the training budget must be a positive number of seconds"
            )
        return cls(wall, wall * TRAIN_BUDGET_CPU_PER_WALL)

    def as_dict(self) -> dict:
        return {"wall_s": self.wall_s, "cpu_s": self.cpu_s}


@dataclass
class Training:
    status: str  # a sandbox status: ok, error, timeout, rule_violation, ...
    reason: str = ""
    wall_s: float = 0.0  # the fit call, timed by the parent
    cpu_s: float | None = None  # kernel-counted CPU of the fit call
    files: list[str] = field(default_factory=list)
    traceback_tail: str = ""


def event_of(folder: Path) -> Event:
    event_id = folder.name
    if event_id not in EVENTS:
        raise UsageError(
            f"{one_line(str(folder))}: not an event folder; the entry must be "
            f"submissions/<team-id>/<event-id>/ with one of {', '.join(EVENTS)}"
        )
    event = EVENTS[event_id]
    if not event.loads_weights or event.tolerance is None:
        raise UsageError(
            f"{event.name} trains inside the scorer (no weights are shipped): there "
            "is nothing to reproduce; use `tinymlperf run`"
        )
    return event


def _heartbeat(sandbox: Sandbox, job: scoring.Job, name: str, stop: threading.Event) -> None:
    """A progress line every PROGRESS_EVERY_S while fit runs: time, CPU, its last output line."""
    started = time.monotonic()
    while not stop.wait(PROGRESS_EVERY_S):
        cpu = sandbox.cpu_seconds()
        lines = sandbox.output_tail().strip().splitlines()
        last = one_line(lines[-1][:160]) if lines else "(no output yet)"
        shown = "" if cpu is None else f", {cpu:.0f} s CPU"
        job.progress.note(f"{name} · training · {time.monotonic() - started:.0f} s{shown} · {last}")


def train(folder: Path, event: Event, job: scoring.Job, budget: Budget, dest: Path) -> Training:
    """Run ``fit`` in the training sandbox; what it wrote to out_dir lands in ``dest``."""
    # Loaded once per job, like the scoring data (Job.data): a maintainer may retrain several.
    key = f"train_split:{event.id}"
    if key not in job._data:
        job._data[key] = module(event.id).train_split(job.data_folder)
    split = job._data[key]
    limits = replace(job.limits, phase_wall_s=budget.wall_s, cpu_s=budget.cpu_s + CPU_MARGIN_S)
    name = f"{folder.parent.name}/{folder.name}"
    with tempfile.TemporaryDirectory(prefix="tinymlperf-train-code-") as tmp:
        code = code_copy(folder, Path(tmp))
        return _train(code, name, split, limits, job, budget, dest)


def code_copy(folder: Path, root: Path) -> Path:
    """``root/<team>/<event>``: what fit() may read of the entry, its code and submission.json
    (and lib/'s code beside it); never the shipped weights nor a file that could hold them."""
    copy = root / folder.parent.name / folder.name
    copy.mkdir(parents=True)
    _copy_matching(folder, copy, KEPT_SUFFIXES, KEPT_NAMES)
    lib = submission.team_lib(folder)
    if lib is not None:
        (copy.parent / submission.LIB).mkdir()
        _copy_matching(lib, copy.parent / submission.LIB, KEPT_SUFFIXES, ())
    return copy


def _train(
    folder: Path, name: str, split: dict, limits, job: scoring.Job, budget: Budget, dest: Path
) -> Training:
    sandbox = Sandbox(
        folder,
        TRAIN_ENTRY,
        limits=limits,
        threads=job.threads,
        blas_threads=submission.blas_threads(submission.read_metadata(folder)[0]),
        lib=submission.team_lib(folder),
        train=True,
    )
    training = Training("ok")
    try:
        start = sandbox.start()
        if start.status != "ok":
            return Training(
                start.status,
                f"importing {TRAIN_ENTRY}: {start.message}",
                traceback_tail=start.traceback_tail,
            )
        for input_name, array in split.items():
            sandbox.put(input_name, array)
        job.progress.note(
            f"{name} · training: {FIT}() on the training split "
            f"({', '.join(f'{k} {v.shape}' for k, v in split.items())}), budget "
            f"{budget.wall_s:g} s wall, {budget.cpu_s:g} s CPU"
        )
        stop = threading.Event()
        beat = threading.Thread(target=_heartbeat, args=(sandbox, job, name, stop), daemon=True)
        beat.start()
        cpu0 = sandbox.cpu_seconds()
        try:
            result = sandbox.call(
                FIT, {k: k for k in split}, "out_dir", budget.as_dict(), want_value=False
            )
        finally:
            stop.set()
            beat.join()
        cpu1 = sandbox.cpu_seconds()
        training.wall_s = result.seconds
        if cpu0 is not None and cpu1 is not None:
            training.cpu_s = max(0.0, cpu1 - cpu0)
        if result.status != "ok":
            training.status, training.reason = result.status, f"{FIT}(): {result.message}"
            training.traceback_tail = result.traceback_tail
            return training
        training.files = sandbox.collect(dest)
    finally:
        report = sandbox.close()
        if training.cpu_s is None and report.cpu:
            training.cpu_s = report.cpu.get("calls_s")
    if not training.files:
        training.status = "error"
        training.reason = f"{FIT}() returned without writing anything to out_dir; write the weights load() reads there"
    for rel in training.files:
        if _kept(Path(rel)):
            training.status = "error"
            training.reason = (
                f"{FIT}() wrote {one_line(rel)} to out_dir: out_dir is for the "
                "weights load() reads; code and metadata come from the folder"
            )
            break
    return training


def _kept(rel: Path) -> bool:
    return rel.suffix in KEPT_SUFFIXES or rel.name in KEPT_NAMES


def _copy_matching(src: Path, dst: Path, suffixes: tuple[str, ...], names: tuple[str, ...]) -> None:
    for path in submission.list_files(src)[0]:
        rel = path.relative_to(src)
        if rel.suffix in suffixes or rel.name in names:
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dst / rel, follow_symlinks=False)


def assemble(folder: Path, trained: Path, root: Path) -> Path:
    """``root/<team>/<event>``: the entry's code and metadata plus the trained files (and the
    team's lib/, code only, beside it). No shipped weights file survives into it."""
    copy = code_copy(folder, root)
    shutil.copytree(trained, copy, dirs_exist_ok=True, symlinks=True)
    return copy


def _quality(record: dict) -> float | None:
    q = (record.get("quality") or {}).get("median")
    return None if q is None else float(q)


def compare(event: Event, shipped: float, reproduced: float) -> tuple[str, str]:
    """(status, reason): reproduced when the qualities are within the event's tolerance."""
    tol = event.tolerance
    assert tol is not None, f"{event.id} loads weights, so it has a tolerance"
    allowed = tol.allowed(shipped)
    # How much better the shipped weights are than the retrained ones (negative: worse).
    lead = shipped - reproduced if event.quality.direction == "higher" else reproduced - shipped
    key = event.quality.key
    both = f"{key} {shipped:.4g} shipped, {reproduced:.4g} retrained (tolerance {tol.describe()})"
    if lead > allowed:
        return NOT_REPRODUCED, (
            f"the shipped weights are better than what train.py reaches: {both}; "
            "weights must come from the entry's own fit() on the training split"
        )
    if -lead > allowed:
        return NOT_REPRODUCED, (
            f"the shipped weights are not what train.py produces: {both}; "
            "ship the weights fit() writes"
        )
    return "reproduced", f"within tolerance: {both}"


def _block(folder: Path, event: Event, budget: Budget) -> dict:
    assert event.tolerance is not None, f"{event.id} loads weights, so it has a tolerance"
    return {
        "status": NOT_REPRODUCED,
        "metric": event.quality.key,
        "tolerance": {"kind": event.tolerance.kind, "value": event.tolerance.value},
        "budget": budget.as_dict(),
        "content_hash": submission.content_hash(folder),
        "scorer_version": scorer.__version__,
        "started_at": now(),
    }


def refused(folder: Path, budget: Budget, reason: str) -> dict:
    """The provenance of an entry that was not retrained because it breaks the contract."""
    block = _block(folder, event_of(folder), budget)
    block.update(reason=_short(reason), train_wall_s=0.0, finished_at=now())
    return block


def _score(folder: Path, event: Event, job: scoring.Job) -> dict:
    one = replace(job, repeats=1, _data=job._data)
    return scoring.score_entry(folder, event.id, one, baseline=None)


def reproduce(folder: Path, job: scoring.Job, budget: Budget) -> dict:
    """Retrain, score both, compare: ``{"provenance": block, "shipped": record, "reproduced": record|None}``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such submission folder")
    event = event_of(folder)
    check = submission.check(folder, train_contract=True)
    if not check.ok:
        raise SubmissionError(
            f"{check.errors[0]} (run `tinymlperf validate {display(folder)}` for every problem)"
        )
    name = f"{folder.parent.name}/{folder.name}"
    block = _block(folder, event, budget)
    reproduced_record = None
    with tempfile.TemporaryDirectory(prefix="tinymlperf-reproduce-") as tmp:
        job.progress.note(f"{name} · scoring the shipped weights")
        shipped_record = _score(folder, event, job)
        shipped = _quality(shipped_record)
        if shipped is not None:
            block["shipped_quality"] = shipped
        training = train(folder, event, job, budget, Path(tmp) / "trained")
        block["train_wall_s"] = round(training.wall_s, 3)
        if training.cpu_s is not None:
            block["train_cpu_s"] = round(training.cpu_s, 3)
        block["files"] = training.files[:50]
        job.progress.note(
            f"{name} · training: {training.status} after {training.wall_s:.0f} s"
            + (f": {training.reason}" if training.reason else "")
        )
        if training.traceback_tail:
            job.progress.note(f"{name}: train.py's traceback (tail):\n{training.traceback_tail}")
        if shipped is None:
            block["reason"] = (
                f"the shipped weights could not be scored ({shipped_record['status']}: "
                f"{shipped_record['reason']})"
            )
        elif training.status != "ok":
            block["reason"] = f"training did not finish ({training.status}): {training.reason}"
        else:
            copy = assemble(folder, Path(tmp) / "trained", Path(tmp) / "copy")
            job.progress.note(f"{name} · scoring the retrained weights")
            reproduced_record = _score(copy, event, job)
            retrained = _quality(reproduced_record)
            if retrained is None:
                block["reason"] = (
                    f"the retrained weights could not be scored "
                    f"({reproduced_record['status']}: {reproduced_record['reason']})"
                )
            else:
                block["reproduced_quality"] = retrained
                block["status"], block["reason"] = compare(event, shipped, retrained)
    block["reason"] = _short(block["reason"])
    block["finished_at"] = now()
    return {"provenance": block, "shipped": shipped_record, "reproduced": reproduced_record}


def _short(text: str) -> str:
    text = one_line(text)
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def plan(repo: Path, team: str | None = None, event_id: str | None = None) -> list[dict]:
    """The entries to retrain: ``team``/``event_id`` when given (a maintainer's request), else
    every weights-loading event's record holders (first in its speed or memory ranking) whose
    provenance was not tried for their current files. Rows: {"team", "event", "path"}."""
    from scorer.contract import results
    from scorer.leaderboard import ranking

    if team is not None or event_id is not None:
        if team is None or event_id is None:
            raise UsageError("name both --team and --event, or neither (the new record holders)")
        if not submission.TEAM_ID.match(team):
            raise UsageError(
                f"--team {one_line(team)!r}: not a team id (2-40 characters a-z, 0-9, '-')"
            )
        folder = entry_folder(repo, team, event_id)
        event_of(folder)
        if not folder.is_dir():
            raise UsageError(f"{submission.display(folder, repo)}: no such entry")
        return [{"team": team, "event": event_id, "path": submission.display(folder, repo)}]
    records = results.load_records(repo / "results")
    todo = []
    for event in EVENTS.values():
        if not event.loads_weights:
            continue
        mine = [r for r in records if r["event"] == event.id]
        board = ranking.build_board(event, [ranking.entry_from_record(r) for r in mine])
        holders = sorted({row.entry.team for row in (*board.speed, *board.memory) if row.rank == 1})
        for holder in holders:
            record = next(r for r in mine if r["team"] == holder)
            if (record.get("provenance") or {}).get("status", "not_tried") != "not_tried":
                continue
            folder = entry_folder(repo, holder, event.id)
            if folder.is_dir():
                todo.append(
                    {"team": holder, "event": event.id, "path": submission.display(folder, repo)}
                )
    return todo
