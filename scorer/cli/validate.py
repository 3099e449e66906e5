"""``tinymlperf validate [PATH ...]``: check submissions without running them (exit 1 if any is invalid)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scorer.cli.common import repo_from
from scorer.contract.errors import UsageError
from scorer.validate import submission

NAME = "validate"
HELP = "check submissions without running them"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths", nargs="*", help="submission folders (default: every one under submissions/)"
    )
    p.add_argument("--repo", default=".")


def run(args) -> int:
    repo = repo_from(args)
    folders = [Path(p) for p in args.paths] or submission.find_submissions(repo / "submissions")
    if not folders:
        raise UsageError("no submissions found; name a folder or run inside the repository")
    bad = 0
    for folder in folders:
        report = submission.check(folder, train_contract=True)
        for problem in report.problems:
            print(problem)
        bad += not report.ok
    print(f"{len(folders) - bad} of {len(folders)} submission(s) valid", file=sys.stderr)
    return 1 if bad else 0
