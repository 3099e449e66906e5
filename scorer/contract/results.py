"""Official result records: ``results/<team-id>/<event-id>.json``.

Only the scorer writes them. A record is replaced whole (written to a temporary file, flushed,
then renamed over the old one) under a lock, so an interrupted or concurrent scorer never leaves
half a file, and the numbers of the record it replaces move into its ``history``: nothing
official is lost. The site reads them with ``load_records``.

Weights-loading entries also carry a ``provenance`` block (``scorer/scoring/reproduce.py``):
``write_provenance`` sets it (the block it replaces moves into its own ``history``), and a
re-score keeps it while the entry's content hash is unchanged, else it becomes "not_tried".
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from scorer.contract import schema
from scorer.contract.errors import RecordError

# How a round's two runs shared the machine (the record's baseline.interleaving): alive
# together, taking turns call by call (scorer/scoring/turns.py), or one whole run after the other.
INTERLEAVED_CALLS = "calls"
SEQUENTIAL_RUNS = "runs"
INTERLEAVINGS = (INTERLEAVED_CALLS, SEQUENTIAL_RUNS)
HISTORY_KEYS = ("status", "qualified", "content_hash", "commit", "scorer_version", "finished_at")


def record_path(results_dir: Path, team: str, event: str) -> Path:
    return results_dir / team / f"{event}.json"


def _fix_hint(path: Path) -> str:
    return f"restore it with `git checkout -- {path}` or re-score the entry with `tinymlperf score`"


def load_record(path: Path) -> dict:
    """A record that parses and matches the result schema, or a RecordError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as err:  # a folder, a dangling link, no permission
        raise RecordError(
            f"{path}: cannot read the result record ({err.strerror or err}); {_fix_hint(path)}"
        ) from err
    try:
        data = json.loads(raw.decode("utf-8"))
    except (
        UnicodeDecodeError,
        ValueError,
        RecursionError,
    ) as err:  # ValueError: JSONDecodeError, a 5,000-digit number
        reason = str(err).split(";")[0]
        raise RecordError(f"{path}: corrupt result record ({reason}); {_fix_hint(path)}") from err
    problems = schema.validate(data, "result")
    if problems:
        raise RecordError(
            f"{path}: {problems[0]}; the record does not match the result schema; {_fix_hint(path)}"
        )
    expected = path.parent.name, path.stem
    if (data["team"], data["event"]) != expected:
        raise RecordError(
            f"{path}: the record is for {data['team']}/{data['event']}, not {expected[0]}/{expected[1]}; {_fix_hint(path)}"
        )
    return data


def load_records(results_dir: Path) -> list[dict]:
    """Every record under ``results/``, sorted by team and event; any corrupt one is an error."""
    if not results_dir.is_dir():
        return []
    return [load_record(p) for p in sorted(results_dir.glob("*/*.json"))]


def summary(record: dict) -> dict:
    """The numbers of a record that its history keeps once a re-score replaces it."""
    baseline = record.get("baseline") or {}
    return {
        "status": record["status"],
        "qualified": record["qualified"],
        "quality": record["quality"]["median"],
        "speed": record["speed"]["median"],
        "memory": record["memory"]["median"],
        "speedup": baseline.get("speedup"),
        "memory_ratio": baseline.get("memory_ratio"),
        "content_hash": record["submission"]["content_hash"],
        "commit": record["submission"]["commit"],
        "scorer_version": record["scorer_version"],
        "finished_at": record["finished_at"],
        **({"provenance": record["provenance"]["status"]} if record.get("provenance") else {}),
    }


PROVENANCE_HISTORY_KEYS = (
    "status",
    "reason",
    "shipped_quality",
    "reproduced_quality",
    "content_hash",
    "scorer_version",
    "finished_at",
)


def _provenance_summary(block: dict) -> dict:
    return {k: block[k] for k in PROVENANCE_HISTORY_KEYS if k in block}


def carried_provenance(old: dict | None, record: dict) -> dict | None:
    """The provenance block a new record of a weights-loading entry gets from the record it
    replaces: the same block while the files are the same, else "not_tried" (history kept)."""
    from scorer.contract.events import EVENTS

    event = EVENTS.get(record.get("event") or "")
    if event is None or not event.loads_weights:
        return None
    block = (old or {}).get("provenance")
    same = block is not None and block.get("content_hash") == record["submission"]["content_hash"]
    if same:
        return block
    history = []
    if block is not None:
        history = list(block.get("history", []))
        if block["status"] != "not_tried":
            history.append(_provenance_summary(block))
    return {
        "status": "not_tried",
        "reason": "not retrained from train.py since these files were scored"
        + ("" if block is None else " (the files changed)"),
        "content_hash": record["submission"]["content_hash"],
        **({"history": history} if history else {}),
    }


@contextlib.contextmanager
def locked(results_dir: Path):
    """Serialise writers: two scorer runs at once take turns on the read-modify-write."""
    results_dir.mkdir(parents=True, exist_ok=True)
    with open(results_dir / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def dumps(record: dict) -> str:
    """The record's JSON text; NaN and Infinity are not JSON and raise ValueError."""
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


# Official records come only from a child under the full isolation (bubblewrap + a joined
# cgroup): the scorer flags anything weaker `weak_isolation`. Tests of the fallbacks set this.
ALLOW_WEAK_ENV = "TINYMLPERF_ALLOW_WEAK_ISOLATION"


def refuse_weak(record: dict) -> None:
    if "weak_isolation" in record.get("flags", []) and os.environ.get(ALLOW_WEAK_ENV, "") != "1":
        iso = (record.get("environment") or {}).get("isolation") or {}
        limits = iso.get("limits") or {}
        raise RecordError(
            f"refusing to write the official record of {record.get('team')}/{record.get('event')}: "
            f"it was scored without the full sandbox (filesystem {iso.get('filesystem', '?')}, "
            f"memory by {limits.get('memory_by', '?')}, CPU by {limits.get('cpu_by', '?')}); "
            "install bubblewrap (apt-get install bubblewrap) and run as a user who may create "
            "cgroups, or use `tinymlperf run` for a local check"
        )


def write_record(results_dir: Path, record: dict) -> Path:
    """Replace the entry's record whole, carrying the old one's numbers into ``history``."""
    problems = schema.validate(record, "result")
    if problems:  # the scorer built a bad record: a bug, so it keeps its traceback
        raise ValueError(f"refusing to write an invalid result record: {problems[0]}")
    refuse_weak(record)
    text = dumps(record)  # ValueError on NaN/Infinity before anything is touched
    del text
    path = record_path(results_dir, record["team"], record["event"])
    with locked(results_dir):
        history: list[dict] = []
        old_record = None
        if path.exists():
            try:
                old = load_record(path)
            except RecordError:
                # Keep the unreadable bytes beside the new record for a maintainer to inspect.
                stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                aside, n = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
                while aside.exists() or aside.is_symlink():  # never replace an earlier one
                    n += 1
                    aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
                os.replace(path, aside)
            else:
                history = old["history"] + [summary(old)]
                old_record = old
        record = dict(record, history=history + list(record.get("history", [])))
        provenance = record.get("provenance") or carried_provenance(old_record, record)
        if provenance is not None:
            record["provenance"] = provenance
        atomic_write_text(path, dumps(record))
    return path


def is_current(
    record: dict | None, content_hash: str, scorer_version: str, dataset_hashes: dict
) -> bool:
    """True when re-scoring would measure the same thing again: same files, scorer and data."""
    return (
        record is not None
        and record["submission"]["content_hash"] == content_hash
        and record["scorer_version"] == scorer_version
        and record["datasets"] == dataset_hashes
        and record["status"] not in ("timeout",)  # a timeout may be the runner's fault: try again
    )


def check_provenance_target(results_dir: Path, folder: Path, content_hash: str) -> Path:
    """The record ``write_provenance`` will update: it must exist and be of ``content_hash``."""
    path = record_path(results_dir, folder.parent.name, folder.name)
    if not path.is_file():
        raise RecordError(
            f"{path}: no result record to add the provenance to; score the entry "
            "first (`tinymlperf score --submission ...`), or reproduce without --record"
        )
    record = load_record(path)
    if record["submission"]["content_hash"] != content_hash:
        raise RecordError(
            f"{path}: the record is of other files ({record['submission']['content_hash']}, "
            f"the folder is {content_hash}); re-score the entry first, then reproduce"
        )
    return path


def write_provenance(results_dir: Path, team: str, event: str, block: dict) -> Path:
    """Set the entry's provenance block, atomically and under the lock; the block it replaces
    moves into the new block's ``history``. The record's own numbers are left as they are."""
    path = record_path(results_dir, team, event)
    with locked(results_dir):
        record = load_record(path)
        if record["submission"]["content_hash"] != block.get("content_hash"):
            raise RecordError(
                f"{path}: the record was re-scored for other files while the entry "
                "was retrained; reproduce it again"
            )
        old = record.get("provenance")
        history = list((old or {}).get("history", []))
        if old is not None and old["status"] != "not_tried":
            history.append(_provenance_summary(old))
        new = dict(block)
        new.pop("history", None)
        if history:
            new["history"] = history
        record = dict(record, provenance=new)
        problems = schema.validate(record, "result")
        if problems:  # a bug in the scorer: keep its traceback
            raise ValueError(f"refusing to write an invalid provenance block: {problems[0]}")
        atomic_write_text(path, dumps(record))
    return path
