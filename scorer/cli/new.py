"""``tinymlperf new --event E --team T``: write a starter submission folder that validates."""

from __future__ import annotations

import argparse
from pathlib import Path

from scorer.cli.common import repo_from
from scorer.contract.events import EVENT_IDS, EVENTS, entry_folder
from scorer.validate import starter

NAME = "new"
HELP = "write a starter submission folder"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--event", required=True, choices=EVENT_IDS)
    p.add_argument("--team", required=True)
    p.add_argument("--dir", help="target folder (default: submissions/<team>/<event>/)")
    p.add_argument(
        "--framework",
        metavar="DIR",
        help="your own framework package (e.g. your TinyTorch's tinytorch/): copied once "
        "into submissions/<team>/lib/, where every event of the team imports it",
    )
    p.add_argument("--repo", default=".")


def run(args) -> int:
    repo = repo_from(args)
    target = Path(args.dir) if args.dir else entry_folder(repo, args.team, args.event)
    if getattr(args, "framework", None):
        lib = starter.add_framework(target.parent, Path(args.framework))
        print(f"copied the framework {Path(args.framework).name!r} into {lib}")
    starter.write(target, args.event, args.team)
    print(f"wrote a starter {EVENTS[args.event].name} submission to {target}")
    print(
        f"next: edit {target / 'submission.py'}, then `tinymlperf run --event {args.event} --submission {target}`"
    )
    if EVENTS[args.event].loads_weights:
        print(
            f"your weights must come from {target / 'train.py'}'s fit(): the scorer retrains them "
            f"with it (`tinymlperf reproduce --submission {target}`)"
        )
    return 0
