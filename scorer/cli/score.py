"""``tinymlperf score [--all | --changed-since REF] [--jobs N]``: score the entries whose record is
missing or stale (``scorer.scoring.plan``) and write the official records to results/."""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scorer.cli.common import (
    add_round_options,
    add_run_options,
    baseline_folder,
    repo_from,
    summary_row,
)
from scorer.contract import results
from scorer.contract.events import BASELINE_TEAM
from scorer.scoring import engine as scoring
from scorer.scoring.options import job_from_args
from scorer.scoring.plan import changed_since, stale_entries

NAME = "score"
HELP = "score submissions and write official records to results/"


def add_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--all",
        action="store_true",
        help="every submission whose record is missing or stale (default)",
    )
    group.add_argument(
        "--changed-since", metavar="REF", help="only submissions changed since a git ref"
    )
    p.add_argument(
        "--submission", action="append", default=[], help="score this folder (repeatable)"
    )
    p.add_argument("--force", action="store_true", help="re-score even when the record is current")
    p.add_argument(
        "--jobs", type=int, default=1, help="entries scored at once (1 gives the cleanest timings)"
    )
    add_round_options(p)
    add_run_options(p)


def run(args) -> int:
    repo = repo_from(args)
    job = job_from_args(args, repo)
    if args.submission:
        todo = [(Path(p), Path(p).name) for p in args.submission]
    else:
        todo = stale_entries(repo, args.force)
        if args.changed_since:
            changed = changed_since(repo, args.changed_since)
            todo = [(f, e) for f, e in todo if f.resolve() in changed]
    if not todo:
        print("every record is current; nothing to score", file=sys.stderr)
        return 0
    # Baselines first: everyone else's ratios are measured against them in the same job.
    todo.sort(key=lambda fe: (fe[0].parent.name != BASELINE_TEAM, str(fe[0])))
    job.progress.note(f"scoring {len(todo)} entr{'y' if len(todo) == 1 else 'ies'}")

    def one(item):
        folder, event_id = item
        record = scoring.score_entry(folder, event_id, job, baseline_folder(repo, event_id))
        path = results.write_record(repo / "results", record)
        job.progress.note(f"wrote {path.relative_to(repo) if path.is_relative_to(repo) else path}")
        return record

    if args.jobs > 1:
        with ThreadPoolExecutor(args.jobs) as pool:
            records = list(pool.map(one, todo))
    else:
        records = [one(item) for item in todo]
    job.progress.summary([summary_row(r) for r in records], title="tinymlperf score")
    return 0
