"""The ``tinymlperf`` command: one module per subcommand (``scorer/cli/<command>.py``), wired here.

    tinymlperf validate [PATH ...]            check submissions without running them
    tinymlperf data                           verify (and fetch) the datasets
    tinymlperf new --event E --team T         write a starter submission
    tinymlperf run --event E [--submission DIR] [--repeats N] [--json FILE]
    tinymlperf run --all-events [--team T]    every event the team has an entry for (says which it skipped)
    tinymlperf profile --event E [--submission DIR]
    tinymlperf score [--all | --changed-since REF] [--jobs N]
    tinymlperf plan [--json]                  which records are missing or stale
    tinymlperf plan --reproduce [--team T --event E] [--json]   which entries to retrain
    tinymlperf build [--format mkdocs|myst]   generate the leaderboard site
    tinymlperf ci pr --base REF [--head REF]  the pull-request check
    tinymlperf submit --event E --team T      validate, check and commit an entry on a branch
    tinymlperf reproduce --submission DIR [--json FILE] [--budget S] [--record]
                                              retrain from train.py, score, compare (exit 0: reproduced)

Every user mistake is a ``ScorerError``, caught once here: one line on standard error and a
non-zero exit (1 for a failed check, 2 for a usage error). Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
import sys

import scorer
from scorer.cli import build, ci, data, new, plan, profile, reproduce, run, score, submit, validate
from scorer.contract.errors import ScorerError

# In the order `tinymlperf --help` lists them; each module owns its arguments (``add_arguments``)
# and does its work in ``run(args)``.
COMMANDS = (validate, data, new, run, profile, score, plan, build, ci, reproduce, submit)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: one line, exit 2
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tinymlperf",
        description="TinyMLPerf: validate, score and publish NumPy ML submissions.",
    )
    parser.add_argument("--version", action="version", version=f"tinymlperf {scorer.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in COMMANDS:
        p = sub.add_parser(command.NAME, help=command.HELP)
        command.add_arguments(p)
        p.set_defaults(handler=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ScorerError as err:
        print(f"tinymlperf {args.command}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("tinymlperf: interrupted", file=sys.stderr)
        return 130
