"""The ``tinymlperf`` command: wires subcommands to the modules that do the work.

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
from scorer.contract.errors import ScorerError
from scorer.contract.events import EVENT_IDS


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: one line, exit 2
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _common_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="dataset folder (default: $TINYMLPERF_DATA, else the folder `tinymlperf data` last verified, else the download cache)")
    p.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads for the child (default 2)")
    p.add_argument("--repo", default=".", help="repository root (default: the current folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tinymlperf", description="TinyMLPerf: validate, score and publish NumPy ML submissions.")
    parser.add_argument("--version", action="version", version=f"tinymlperf {scorer.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check submissions without running them")
    p.add_argument("paths", nargs="*", help="submission folders (default: every one under submissions/)")
    p.add_argument("--repo", default=".")

    p = sub.add_parser("data", help="verify, and where needed download, the datasets")
    p.add_argument("--data", help="dataset folder (default: $TINYMLPERF_DATA, else the folder `tinymlperf data` last verified, else the download cache)")

    p = sub.add_parser("new", help="write a starter submission folder")
    p.add_argument("--event", required=True, choices=EVENT_IDS)
    p.add_argument("--team", required=True)
    p.add_argument("--dir", help="target folder (default: submissions/<team>/<event>/)")
    p.add_argument("--framework", metavar="DIR",
                   help="your own framework package (e.g. your TinyTorch's tinytorch/): copied once "
                        "into submissions/<team>/lib/, where every event of the team imports it")
    p.add_argument("--repo", default=".")

    p = sub.add_parser("run", help="score a submission locally, exactly as CI does")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--event", choices=EVENT_IDS)
    group.add_argument("--all-events", action="store_true")
    p.add_argument("--submission", help="the submission folder (default: submissions/<team>/<event>)")
    p.add_argument("--team", default=None, help="team id (default: baseline)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", help="write the result record (as CI writes it) to this file")
    p.add_argument("--no-smoke", action="store_true",
                   help="skip the short timed smoke run that warns early about code too slow for the phase limit")
    _common_run(p)

    p = sub.add_parser("profile", help="where time and memory go, inside the sandbox")
    p.add_argument("--event", required=True, choices=EVENT_IDS)
    p.add_argument("--submission")
    p.add_argument("--team", default=None)
    _common_run(p)

    p = sub.add_parser("score", help="score submissions and write official records to results/")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--all", action="store_true", help="every submission whose record is missing or stale (default)")
    group.add_argument("--changed-since", metavar="REF", help="only submissions changed since a git ref")
    p.add_argument("--submission", action="append", default=[], help="score this folder (repeatable)")
    p.add_argument("--force", action="store_true", help="re-score even when the record is current")
    p.add_argument("--jobs", type=int, default=1, help="entries scored at once (1 gives the cleanest timings)")
    p.add_argument("--repeats", type=int, default=3)
    _common_run(p)

    p = sub.add_parser("plan", help="list the submissions whose record is missing or stale")
    p.add_argument("--json", action="store_true", help="print a JSON list (for the publish workflow's matrix)")
    p.add_argument("--reproduce", action="store_true",
                   help="list the entries to retrain instead (reproduce.yml): the weights-loading "
                        "events' record holders not yet retrained, or the one --team/--event names")
    p.add_argument("--team", help="with --reproduce: this team's entry ...")
    p.add_argument("--event", choices=EVENT_IDS, help="... in this event")
    p.add_argument("--repo", default=".")

    p = sub.add_parser("build", help="generate the leaderboard site from submissions/, results/ and awards.yml")
    p.add_argument("--format", choices=("mkdocs", "myst"), default="mkdocs")
    p.add_argument("--out", help="output folder (default: build/docs for mkdocs, build/myst for myst)")
    p.add_argument("--repo", default=".")

    p = sub.add_parser("ci", help="continuous-integration checks")
    ci = p.add_subparsers(dest="ci_command", required=True, parser_class=_Parser)
    q = ci.add_parser("pr", help="validate and score what a pull request changes")
    q.add_argument("--base", required=True, help="the base ref (the target branch)")
    q.add_argument("--head", default="HEAD", help="the pull request's ref (default HEAD)")
    # Defaults under build/ (ignored by git): the outputs never land in the checked tree.
    q.add_argument("--report", default="build/pr-report.md", help="Markdown report path (default: build/pr-report.md)")
    q.add_argument("--summary", default="build/pr-summary.json", help="JSON summary path (default: build/pr-summary.json)")
    q.add_argument("--pr-number", type=int, default=None)
    q.add_argument("--repeats", type=int, default=3)
    _common_run(q)
    q = ci.add_parser("comment", help="render the bot's comment from a pr-summary.json (validated first)")
    q.add_argument("--summary", required=True, help="the pr-summary.json of a check run (untrusted data)")
    q.add_argument("--out", required=True, help="where to write the comment's Markdown")
    q.add_argument("--run-url", default="", help="link to the check's workflow run, shown at the end")
    q.add_argument("--pr-files", help="the pull request's files as GitHub lists them, one JSON string a line: "
                   "a scope they contradict, or any change to .github/, fails the comment")

    p = sub.add_parser("reproduce", help="retrain a weights-loading entry from its train.py and compare")
    p.add_argument("--submission", required=True, help="the entry's folder (submissions/<team>/<event>)")
    p.add_argument("--json", help="write the provenance block and both records to this file")
    p.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                   help="wall seconds fit() may take (default 7200, with 2 CPU seconds per wall second)")
    p.add_argument("--record", action="store_true",
                   help="write the provenance block into results/<team>/<event>.json (maintainers, CI)")
    _common_run(p)

    p = sub.add_parser("submit", help="validate, check and commit an entry on a submit/ branch")
    p.add_argument("--event", required=True, choices=EVENT_IDS)
    p.add_argument("--team", required=True)
    p.add_argument("--from", dest="source", help="the folder to submit (default: submissions/<team>/<event>)")
    p.add_argument("--repeats", type=int, default=3)
    _common_run(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from scorer.cli import commands

    handler = getattr(commands, f"cmd_{args.command}")
    try:
        return int(handler(args) or 0)
    except ScorerError as err:
        print(f"tinymlperf {args.command}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("tinymlperf: interrupted", file=sys.stderr)
        return 130

