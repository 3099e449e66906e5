"""``tinymlperf plan [--json] [--reproduce [--team T --event E]]``: the entries whose record is
missing or stale (the publish workflow's matrix), or the entries to retrain."""

from __future__ import annotations

import argparse
import json
import sys

from scorer.cli.common import repo_from
from scorer.contract.errors import UsageError
from scorer.contract.events import EVENT_IDS
from scorer.scoring import reproduce
from scorer.scoring.plan import stale_entries
from scorer.validate import submission

NAME = "plan"
HELP = "list the submissions whose record is missing or stale"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json", action="store_true", help="print a JSON list (for the publish workflow's matrix)"
    )
    p.add_argument(
        "--reproduce",
        action="store_true",
        help="list the entries to retrain instead (reproduce.yml): the weights-loading "
        "events' record holders not yet retrained, or the one --team/--event names",
    )
    p.add_argument("--team", help="with --reproduce: this team's entry ...")
    p.add_argument("--event", choices=EVENT_IDS, help="... in this event")
    p.add_argument("--repo", default=".")


def run(args) -> int:
    repo = repo_from(args)
    if args.reproduce or args.team or args.event:
        if not args.reproduce:
            raise UsageError("--team and --event name an entry to retrain: add --reproduce")
        todo = reproduce.plan(repo, args.team, args.event)
    else:
        todo = [
            {"team": f.parent.name, "event": e, "path": submission.display(f, repo)}
            for f, e in stale_entries(repo)
        ]
    if args.json:
        print(json.dumps(todo))
    else:
        for item in todo:
            print(item["path"])
        what = "to retrain" if args.reproduce else "missing or stale"
        print(f"{len(todo)} record(s) {what}", file=sys.stderr)
    return 0
