"""``tinymlperf submit --event E --team T [--from DIR]``: validate, check and commit an entry on a
submit/ branch for a pull request."""

from __future__ import annotations

import argparse

from scorer.cli.common import add_round_options, add_run_options
from scorer.contract.events import EVENT_IDS

NAME = "submit"
HELP = "validate, check and commit an entry on a submit/ branch"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--event", required=True, choices=EVENT_IDS)
    p.add_argument("--team", required=True)
    p.add_argument(
        "--from", dest="source", help="the folder to submit (default: submissions/<team>/<event>)"
    )
    add_round_options(p)
    add_run_options(p)


def run(args) -> int:
    # Imported when it runs, so that every other command starts without it.
    from scorer.pr import submit

    return submit.submit(args)
