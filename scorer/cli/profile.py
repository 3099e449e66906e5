"""``tinymlperf profile --event E``: where an entry's time and memory go, measured in the sandbox."""

from __future__ import annotations

import argparse

from scorer.cli.common import add_run_options, repo_from, resolve_folder
from scorer.contract.events import EVENT_IDS
from scorer.scoring import profile
from scorer.scoring.options import job_from_args

NAME = "profile"
HELP = "where time and memory go, inside the sandbox"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--event", required=True, choices=EVENT_IDS)
    p.add_argument("--submission")
    p.add_argument("--team", default=None)
    add_run_options(p)


def run(args) -> int:
    repo = repo_from(args)
    args.repeats = 1
    job = job_from_args(args, repo)
    folder = resolve_folder(repo, args.event, args)
    return profile.profile(folder, args.event, job)
