"""What the commands share: the options of every scoring command, the repository and entry
folders they name, and the lines they print about an entry.

Every command module (``scorer/cli/<command>.py``) has ``NAME``, ``HELP``, ``add_arguments(p)``
and ``run(args) -> int``; ``scorer.cli.main`` registers them in order and calls the one named.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scorer.contract.errors import UsageError
from scorer.contract.events import BASELINE_TEAM, EVENTS, entry_folder
from scorer.scoring.job import (
    DEFAULT_MAX_ROUNDS,
    DEFAULT_PRECISION,
    DEFAULT_REPEATS,
    DEFAULT_ROUND_BUDGET_S,
)
from scorer.validate import submission


def add_run_options(p: argparse.ArgumentParser) -> None:
    """--data, --threads and --repo, as every command that runs an entry takes them."""
    p.add_argument(
        "--data",
        help="dataset folder (default: $TINYMLPERF_DATA, else the folder `tinymlperf data` last verified, else the download cache)",
    )
    p.add_argument(
        "--threads", type=int, default=2, help="BLAS/OpenMP threads for the child (default 2)"
    )
    p.add_argument("--repo", default=".", help="repository root (default: the current folder)")


def add_round_options(p: argparse.ArgumentParser) -> None:
    """--repeats, --max-rounds, --round-budget and --precision, as every command that scores
    takes them."""
    p.add_argument(
        "--repeats",
        type=int,
        default=DEFAULT_REPEATS,
        help=f"rounds planned: fresh runs of the entry, each beside one of the baseline (default {DEFAULT_REPEATS})",
    )
    p.add_argument(
        "--max-rounds",
        type=int,
        default=DEFAULT_MAX_ROUNDS,
        help=f"rounds at most, while the speed-up is less precise than --precision (default {DEFAULT_MAX_ROUNDS}; "
        "more when they are short, see --round-budget; --max-rounds equal to --repeats runs only the planned ones)",
    )
    p.add_argument(
        "--round-budget",
        type=float,
        default=DEFAULT_ROUND_BUDGET_S,
        metavar="SECONDS",
        help="short rounds may go on past --max-rounds while they fit in this many seconds at the "
        f"pace of the first ten (default {DEFAULT_ROUND_BUDGET_S:g}; 0: never past --max-rounds)",
    )
    p.add_argument(
        "--precision",
        type=float,
        default=DEFAULT_PRECISION,
        help="stop adding rounds once the speed-up's 95%% interval is within about +-this "
        f"fraction (default {DEFAULT_PRECISION:g})",
    )


def repo_from(args) -> Path:
    root = Path(getattr(args, "repo", ".")).resolve()
    if not root.is_dir():
        raise UsageError(f"--repo {root}: not a folder")
    return root


def baseline_folder(repo: Path, event_id: str) -> Path | None:
    folder = entry_folder(repo, BASELINE_TEAM, event_id)
    return folder if (folder / submission.METADATA).is_file() else None


def resolve_folder(repo: Path, event_id: str, args) -> Path:
    if args.submission:
        folder = Path(args.submission)
    elif args.team:
        folder = entry_folder(repo, args.team, event_id)
    elif (Path.cwd() / submission.METADATA).is_file():
        folder = Path.cwd()
    else:
        folder = entry_folder(repo, BASELINE_TEAM, event_id)
    if not folder.is_dir():
        raise UsageError(
            f"{folder}: no such submission folder; name one with --submission DIR or --team T"
        )
    return folder


def summary_row(record: dict, rank: str = "") -> dict:
    event = EVENTS[record["event"]]
    q, s, m = record["quality"]["median"], record["speed"]["median"], record["memory"]["median"]
    base = record.get("baseline") or {}
    ratio = ""
    if base.get("speedup") is not None:
        ratio = f"{base['speedup']:.2f}x speed"
        if base.get("memory_ratio") is not None:
            ratio += f", {base['memory_ratio']:.2f}x memory"
    return {
        "entry": f"{record['team']}/{record['event']}",
        "status": record["status"]
        if record["status"] == "ok"
        else f"{record['status']}: {record['reason']}",
        "quality": ""
        if q is None
        else f"{event.quality.key} {q:.4g} (threshold {event.threshold:g})",
        "speed": "" if s is None else f"{s:.4g} {event.speed.unit}",
        "memory": "" if m is None else f"{m:.0f} MiB",
        "vs baseline": ratio,
        "rank": rank,
    }


def print_problems(folder: Path, repo: Path) -> None:
    """Every validation problem of the entry, one per line, before the summary's one cell; a
    weights-loading entry's training contract too (the shipped weights are scored either way,
    `tinymlperf reproduce` refuses the entry)."""
    problems = submission.check(folder, train_contract=True).problems
    if problems:
        print(f"{submission.display(folder, repo)}: {len(problems)} problem(s):", file=sys.stderr)
        # Paths relative to the entry, which the heading names, so each line reads on its own.
        prefixes = sorted({f"{folder}/", f"{folder.resolve()}/"}, key=len, reverse=True)
        for problem in problems:
            text = str(problem)
            for prefix in prefixes:
                text = text.replace(prefix, "")
            print(f"  {text}", file=sys.stderr)
