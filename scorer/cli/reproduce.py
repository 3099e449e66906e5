"""``tinymlperf reproduce --submission DIR [--json FILE] [--budget S] [--record]``: retrain a
weights-loading entry from its train.py, score both, compare (exit 0: reproduced)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scorer.cli.common import add_run_options, repo_from
from scorer.contract import results
from scorer.contract.errors import SubmissionError
from scorer.contract.events import EVENTS
from scorer.scoring import reproduce
from scorer.scoring.options import job_from_args
from scorer.validate import submission

NAME = "reproduce"
HELP = "retrain a weights-loading entry from its train.py and compare"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--submission", required=True, help="the entry's folder (submissions/<team>/<event>)"
    )
    p.add_argument("--json", help="write the provenance block and both records to this file")
    p.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wall seconds fit() may take (default 7200, with 2 CPU seconds per wall second)",
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="write the provenance block into results/<team>/<event>.json (maintainers, CI)",
    )
    add_run_options(p)


def run(args) -> int:
    repo = repo_from(args)
    args.repeats = 1
    job = job_from_args(args, repo)
    budget = reproduce.Budget.from_wall(args.budget)
    folder = Path(args.submission)
    if args.record:
        # Before hours of training: the record must exist and be of these very files.
        results.check_provenance_target(repo / "results", folder, submission.content_hash(folder))
    try:
        outcome = reproduce.reproduce(folder, job, budget)
    except SubmissionError as err:
        if args.record:  # an entry that breaks the training contract is not reproduced
            block = reproduce.refused(folder, budget, str(err))
            path = results.write_provenance(
                repo / "results", folder.parent.name, folder.name, block
            )
            print(f"wrote the provenance into {path}", file=sys.stderr)
        raise
    block = outcome["provenance"]
    if args.record:
        # Official provenance, like official records, only from the full sandbox.
        results.refuse_weak(outcome["shipped"])
    event = EVENTS[folder.name]
    key = event.quality.key

    def fmt(value):
        return "" if value is None else f"{value:.4g}"

    cpu = f", {block['train_cpu_s']:.0f} s CPU" if "train_cpu_s" in block else ""
    print(f"{submission.display(folder, repo)}: {block['status'].replace('_', ' ')}")
    print(
        f"  {key}: shipped {fmt(block.get('shipped_quality'))}, retrained "
        f"{fmt(block.get('reproduced_quality'))} (tolerance {event.tolerance.describe()})"
    )
    print(
        f"  training: {block['train_wall_s']:.0f} s wall{cpu} (budget {budget.wall_s:g} s wall, "
        f"{budget.cpu_s:g} s CPU)"
    )
    print(f"  reason: {block['reason']}")
    if args.json:
        results.atomic_write_text(
            Path(args.json), json.dumps(outcome, indent=2, sort_keys=True, allow_nan=False) + "\n"
        )
        print(f"wrote {args.json}", file=sys.stderr)
    if args.record:
        path = results.write_provenance(repo / "results", folder.parent.name, folder.name, block)
        print(f"wrote the provenance into {path}", file=sys.stderr)
    return 0 if block["status"] == "reproduced" else 1
