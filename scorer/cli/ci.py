"""``tinymlperf ci pr | comment``: the pull-request check and the bot's comment (.github/workflows/)."""

from __future__ import annotations

import argparse

from scorer.cli.common import add_round_options, add_run_options

NAME = "ci"
HELP = "continuous-integration checks"


def add_arguments(p: argparse.ArgumentParser) -> None:
    ci = p.add_subparsers(dest="ci_command", required=True, parser_class=type(p))
    q = ci.add_parser("pr", help="validate and score what a pull request changes")
    q.add_argument("--base", required=True, help="the base ref (the target branch)")
    q.add_argument("--head", default="HEAD", help="the pull request's ref (default HEAD)")
    # Defaults under build/ (ignored by git): the outputs never land in the checked tree.
    q.add_argument(
        "--report",
        default="build/pr-report.md",
        help="Markdown report path (default: build/pr-report.md)",
    )
    q.add_argument(
        "--summary",
        default="build/pr-summary.json",
        help="JSON summary path (default: build/pr-summary.json)",
    )
    q.add_argument("--pr-number", type=int, default=None)
    add_round_options(q)
    add_run_options(q)
    q = ci.add_parser(
        "comment", help="render the bot's comment from a pr-summary.json (validated first)"
    )
    q.add_argument(
        "--summary", required=True, help="the pr-summary.json of a check run (untrusted data)"
    )
    q.add_argument("--out", required=True, help="where to write the comment's Markdown")
    q.add_argument(
        "--run-url", default="", help="link to the check's workflow run, shown at the end"
    )
    q.add_argument(
        "--pr-files",
        help="the pull request's files as GitHub lists them, one JSON string a line: "
        "a scope they contradict, or any change to .github/, fails the comment",
    )


def run(args) -> int:
    # Imported when it runs, so that every other command starts without it.
    from scorer.pr import ci

    return getattr(ci, args.ci_command)(args)
