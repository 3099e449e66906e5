"""``tinymlperf run --event E | --all-events``: score entries locally, exactly as CI does (exit 1
if one does not qualify), after a short smoke run that warns about code too slow for the limits."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scorer.cli.common import (
    add_round_options,
    add_run_options,
    baseline_folder,
    print_problems,
    repo_from,
    resolve_folder,
    summary_row,
)
from scorer.contract import results
from scorer.contract.errors import ScorerError, UsageError
from scorer.contract.events import BASELINE_TEAM, EVENT_IDS, entry_folder
from scorer.leaderboard.standing import would_rank
from scorer.scoring import engine as scoring
from scorer.scoring import smoke
from scorer.scoring.options import job_from_args
from scorer.validate import submission

NAME = "run"
HELP = "score a submission locally, exactly as CI does"


def add_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--event", choices=EVENT_IDS)
    group.add_argument("--all-events", action="store_true")
    p.add_argument(
        "--submission", help="the submission folder (default: submissions/<team>/<event>)"
    )
    p.add_argument("--team", default=None, help="team id (default: baseline)")
    add_round_options(p)
    p.add_argument("--json", help="write the result record (as CI writes it) to this file")
    p.add_argument(
        "--no-smoke",
        action="store_true",
        help="skip the short timed smoke run that warns early about code too slow for the phase limit",
    )
    add_run_options(p)


def run(args) -> int:
    repo = repo_from(args)
    events = EVENT_IDS if args.all_events else (args.event,)
    if args.all_events and args.submission:
        raise UsageError("--submission names one folder; use --team with --all-events")
    job = job_from_args(args, repo)
    try:
        existing = results.load_records(repo / "results")
    except ScorerError:
        existing = []  # a corrupt record must not stop a participant's local check
    if args.all_events:
        team = args.team or BASELINE_TEAM
        todo = [(e, entry_folder(repo, team, e)) for e in events]
        skipped = [e for e, folder in todo if not folder.is_dir()]
        todo = [(e, folder) for e, folder in todo if folder.is_dir()]
        if not todo:
            raise UsageError(
                f"team {team} has no entry under {repo / 'submissions' / team}/ for any event "
                f"({', '.join(events)}); name the team with --team T"
            )
        if skipped:
            print(
                f"skipped {', '.join(skipped)}: team {team} has no entry for "
                f"{'it' if len(skipped) == 1 else 'them'}",
                file=sys.stderr,
            )
    else:
        todo = [(args.event, resolve_folder(repo, args.event, args))]
    records = []
    for event_id, folder in todo:
        print_problems(folder, repo)
        if not getattr(args, "no_smoke", False) and submission.check(folder).ok:
            # Minutes of waiting for a timeout are worth a second of smoke run first.
            projection = smoke.project(folder, event_id, job)
            if projection is not None and projection.over:
                raise UsageError(
                    f"{submission.display(folder, repo)}: {projection.message()} "
                    "(rerun with --no-smoke to try the full run anyway)"
                )
            if projection is not None:
                print(
                    f"warning: {submission.display(folder, repo)}: {projection.message()}",
                    file=sys.stderr,
                )
        records.append(scoring.score_entry(folder, event_id, job, baseline_folder(repo, event_id)))
    job.progress.summary(
        [summary_row(r, would_rank(r, existing)) for r in records], title="tinymlperf run"
    )
    if args.json:
        payload = records[0] if len(records) == 1 else records
        results.atomic_write_text(
            Path(args.json), json.dumps(payload, indent=2, sort_keys=True) + "\n"
        )
        print(f"wrote {args.json}", file=sys.stderr)
    return 0 if all(r["qualified"] for r in records) else 1
