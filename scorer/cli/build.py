"""``tinymlperf build [--format mkdocs|myst] [--out DIR]``: generate the leaderboard site from
submissions/, results/ and awards.yml; never runs submission code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scorer.cli.common import repo_from

NAME = "build"
HELP = "generate the leaderboard site from submissions/, results/ and awards.yml"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("mkdocs", "myst"), default="mkdocs")
    p.add_argument(
        "--out", help="output folder (default: build/docs for mkdocs, build/myst for myst)"
    )
    p.add_argument("--repo", default=".")


def run(args) -> int:
    # Imported when it runs, so that every other command starts without it.
    from scorer.site import build as site

    repo = repo_from(args)
    out = Path(args.out) if args.out else None
    report = site.build_site(repo, fmt=args.format, out=out)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(report, file=sys.stderr)
    return 0
