"""Which entries to score: those whose record is missing, unreadable or measured other files,
another scorer version or other data (``stale_entries``), optionally only those a git range
changed (``changed_since``). ``tinymlperf score`` and ``tinymlperf plan`` read it; the publish
workflow's matrix is its list.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import scorer
from scorer.contract import results
from scorer.contract.errors import ScorerError, UsageError
from scorer.contract.events import EVENTS
from scorer.scoring import datasets
from scorer.validate import submission


def stale_entries(repo: Path, force: bool = False) -> list[tuple[Path, str]]:
    """Submissions whose record is missing, unreadable, or measured other files/scorer/data."""
    todo = []
    for folder in submission.find_submissions(repo / "submissions"):
        event_id = folder.name
        if event_id not in EVENTS:
            continue
        path = results.record_path(repo / "results", folder.parent.name, event_id)
        try:
            record = results.load_record(path) if path.exists() else None
        except ScorerError:
            record = None
        current = results.is_current(
            record,
            submission.content_hash(folder),
            scorer.__version__,
            datasets.hashes(EVENTS[event_id].dataset),
        )
        if force or not current:
            todo.append((folder, event_id))
    return todo


def changed_since(repo: Path, ref: str) -> set[Path]:
    """The entry folders (submissions/<team>/<event>) that files changed in ``ref...HEAD`` are in."""
    out = subprocess.run(
        ["git", "-C", str(repo), "diff", "--name-only", f"{ref}...HEAD", "--", "submissions/"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise UsageError(
            f"--changed-since {ref}: git could not compare ({out.stderr.strip().splitlines()[-1:]})"
        )
    return {
        (repo / Path(*Path(line).parts[:3])).resolve()
        for line in out.stdout.splitlines()
        if len(Path(line).parts) >= 4
    }
