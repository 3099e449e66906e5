"""What each ``tinymlperf`` subcommand does, in a few lines each, calling the modules that work.

``scorer.cli.main`` parses the arguments and catches errors; this file turns arguments into calls.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scorer.contract import results
from scorer.contract.errors import ScorerError, SubmissionError, UsageError
from scorer.contract.events import BASELINE_TEAM, EVENT_IDS, EVENTS
from scorer.leaderboard.standing import would_rank
from scorer.scoring import datasets, smoke
from scorer.scoring import engine as scoring
from scorer.scoring.options import job_from_args
from scorer.validate import submission


def _repo(args) -> Path:
    root = Path(getattr(args, "repo", ".")).resolve()
    if not root.is_dir():
        raise UsageError(f"--repo {root}: not a folder")
    return root


def _baseline(repo: Path, event_id: str) -> Path | None:
    folder = repo / "submissions" / BASELINE_TEAM / event_id
    return folder if (folder / submission.METADATA).is_file() else None


def cmd_validate(args) -> int:
    repo = _repo(args)
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


def cmd_data(args) -> int:
    folder = datasets.data_dir(args.data)
    where = str(folder) if folder else f"the cache ({datasets.cache_dir()})"
    for name, dataset in datasets.DATASETS.items():
        paths = datasets.ensure(name, folder)
        print(f"{dataset.title}: {len(paths)} file(s) verified (SHA-256) in {where}")
    if folder is not None and datasets.remember(folder):
        print(f"remembered {folder} for later commands run without ${datasets.ENV_VAR} or --data")
    return 0


def cmd_new(args) -> int:
    from scorer.validate import starter

    repo = _repo(args)
    target = Path(args.dir) if args.dir else repo / "submissions" / args.team / args.event
    if getattr(args, "framework", None):
        lib = starter.add_framework(target.parent, Path(args.framework))
        print(f"copied the framework {Path(args.framework).name!r} into {lib}")
    starter.write(target, args.event, args.team)
    print(f"wrote a starter {EVENTS[args.event].name} submission to {target}")
    print(f"next: edit {target / 'submission.py'}, then `tinymlperf run --event {args.event} --submission {target}`")
    if EVENTS[args.event].loads_weights:
        print(f"your weights must come from {target / 'train.py'}'s fit(): the scorer retrains them "
              f"with it (`tinymlperf reproduce --submission {target}`)")
    return 0


def _resolve(repo: Path, event_id: str, args) -> Path:
    if args.submission:
        folder = Path(args.submission)
    elif args.team:
        folder = repo / "submissions" / args.team / event_id
    elif (Path.cwd() / submission.METADATA).is_file():
        folder = Path.cwd()
    else:
        folder = repo / "submissions" / BASELINE_TEAM / event_id
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such submission folder; name one with --submission DIR or --team T")
    return folder


def _row(record: dict, rank: str = "") -> dict:
    event = EVENTS[record["event"]]
    q, s, m = record["quality"]["median"], record["speed"]["median"], record["memory"]["median"]
    base = record.get("baseline") or {}
    ratio = ""
    if base.get("speedup") is not None:
        ratio = f"{base['speedup']:.2f}x speed"
        if base.get("memory_ratio") is not None:
            ratio += f", {base['memory_ratio']:.2f}x memory"
    return {
        "entry": f"{record['team']}/{record['event']}",
        "status": record["status"] if record["status"] == "ok" else f"{record['status']}: {record['reason']}",
        "quality": "" if q is None else f"{event.quality.key} {q:.4g} (threshold {event.threshold:g})",
        "speed": "" if s is None else f"{s:.4g} {event.speed.unit}",
        "memory": "" if m is None else f"{m:.0f} MiB",
        "vs baseline": ratio,
        "rank": rank,
    }


def _print_problems(folder: Path, repo: Path) -> None:
    """Every validation problem of the entry, one per line, before the summary's one cell; a
    weights-loading entry's training contract too (the shipped weights are scored either way,
    `tinymlperf reproduce` refuses the entry)."""
    problems = submission.check(folder, train_contract=True).problems
    if problems:
        print(f"{submission.display(folder, repo)}: {len(problems)} problem(s):", file=sys.stderr)
        # Paths relative to the entry, which the heading names, so each line reads on its own.
        prefixes = sorted({f"{folder}/", f"{folder.resolve()}/"}, key=len, reverse=True)
        for problem in problems:
            text = str(problem)
            for prefix in prefixes:
                text = text.replace(prefix, "")
            print(f"  {text}", file=sys.stderr)


def cmd_run(args) -> int:
    repo = _repo(args)
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
        todo = [(e, repo / "submissions" / team / e) for e in events]
        skipped = [e for e, folder in todo if not folder.is_dir()]
        todo = [(e, folder) for e, folder in todo if folder.is_dir()]
        if not todo:
            raise UsageError(f"team {team} has no entry under {repo / 'submissions' / team}/ for any event "
                             f"({', '.join(events)}); name the team with --team T")
        if skipped:
            print(f"skipped {', '.join(skipped)}: team {team} has no entry for "
                  f"{'it' if len(skipped) == 1 else 'them'}", file=sys.stderr)
    else:
        todo = [(args.event, _resolve(repo, args.event, args))]
    records = []
    for event_id, folder in todo:
        _print_problems(folder, repo)
        if not getattr(args, "no_smoke", False) and submission.check(folder).ok:
            # Minutes of waiting for a timeout are worth a second of smoke run first.
            projection = smoke.project(folder, event_id, job)
            if projection is not None and projection.over:
                raise UsageError(f"{submission.display(folder, repo)}: {projection.message()} "
                                 "(rerun with --no-smoke to try the full run anyway)")
            if projection is not None:
                print(f"warning: {submission.display(folder, repo)}: {projection.message()}",
                      file=sys.stderr)
        records.append(scoring.score_entry(folder, event_id, job, _baseline(repo, event_id)))
    job.progress.summary([_row(r, would_rank(r, existing)) for r in records], title="tinymlperf run")
    if args.json:
        payload = records[0] if len(records) == 1 else records
        results.atomic_write_text(Path(args.json), json.dumps(payload, indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0 if all(r["qualified"] for r in records) else 1


def cmd_profile(args) -> int:
    from scorer.scoring import profile

    repo = _repo(args)
    args.repeats = 1
    job = job_from_args(args, repo)
    folder = _resolve(repo, args.event, args)
    return profile.profile(folder, args.event, job)


def stale_entries(repo: Path, force: bool = False) -> list[tuple[Path, str]]:
    """Submissions whose record is missing, unreadable, or measured other files/scorer/data."""
    import scorer

    todo = []
    for folder in submission.find_submissions(repo / "submissions"):
        event_id = folder.name
        if event_id not in EVENTS:
            continue
        path = results.record_path(repo / "results", folder.parent.name, event_id)
        try:
            record = results.load_record(path) if path.exists() else None
        except ScorerError:
            record = None
        current = results.is_current(record, submission.content_hash(folder), scorer.__version__, datasets.hashes(EVENTS[event_id].dataset))
        if force or not current:
            todo.append((folder, event_id))
    return todo


def _changed_since(repo: Path, ref: str) -> set[Path]:
    import subprocess

    out = subprocess.run(["git", "-C", str(repo), "diff", "--name-only", f"{ref}...HEAD", "--", "submissions/"],
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise UsageError(f"--changed-since {ref}: git could not compare ({out.stderr.strip().splitlines()[-1:]})")
    return {(repo / Path(*Path(line).parts[:3])).resolve() for line in out.stdout.splitlines() if len(Path(line).parts) >= 4}


def cmd_score(args) -> int:
    repo = _repo(args)
    job = job_from_args(args, repo)
    if args.submission:
        todo = [(Path(p), Path(p).name) for p in args.submission]
    else:
        todo = stale_entries(repo, args.force)
        if args.changed_since:
            changed = _changed_since(repo, args.changed_since)
            todo = [(f, e) for f, e in todo if f.resolve() in changed]
    if not todo:
        print("every record is current; nothing to score", file=sys.stderr)
        return 0
    # Baselines first: everyone else's ratios are measured against them in the same job.
    todo.sort(key=lambda fe: (fe[0].parent.name != BASELINE_TEAM, str(fe[0])))
    job.progress.note(f"scoring {len(todo)} entr{'y' if len(todo) == 1 else 'ies'}")

    def one(item):
        folder, event_id = item
        record = scoring.score_entry(folder, event_id, job, _baseline(repo, event_id))
        path = results.write_record(repo / "results", record)
        job.progress.note(f"wrote {path.relative_to(repo) if path.is_relative_to(repo) else path}")
        return record

    if args.jobs > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(args.jobs) as pool:
            records = list(pool.map(one, todo))
    else:
        records = [one(item) for item in todo]
    job.progress.summary([_row(r) for r in records], title="tinymlperf score")
    return 0


def cmd_plan(args) -> int:
    repo = _repo(args)
    if args.reproduce or args.team or args.event:
        from scorer.scoring import reproduce

        if not args.reproduce:
            raise UsageError("--team and --event name an entry to retrain: add --reproduce")
        todo = reproduce.plan(repo, args.team, args.event)
    else:
        todo = [{"team": f.parent.name, "event": e, "path": submission.display(f, repo)} for f, e in stale_entries(repo)]
    if args.json:
        print(json.dumps(todo))
    else:
        for item in todo:
            print(item["path"])
        what = "to retrain" if args.reproduce else "missing or stale"
        print(f"{len(todo)} record(s) {what}", file=sys.stderr)
    return 0


def cmd_build(args) -> int:
    from scorer.site import build as site

    repo = _repo(args)
    out = Path(args.out) if args.out else None
    report = site.build_site(repo, fmt=args.format, out=out)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(report, file=sys.stderr)
    return 0


def cmd_ci(args) -> int:
    from scorer.pr import ci

    return getattr(ci, args.ci_command)(args)


def cmd_submit(args) -> int:
    from scorer.pr import submit

    return submit.submit(args)


def cmd_reproduce(args) -> int:
    from scorer.scoring import reproduce

    repo = _repo(args)
    args.repeats = 1
    job = job_from_args(args, repo)
    budget = reproduce.Budget.from_wall(args.budget)
    folder = Path(args.submission)
    if args.record:
        # Before hours of training: the record must exist and be of these very files.
        results.check_provenance_target(repo / "results", folder, submission.content_hash(folder))
    try:
        outcome = reproduce.reproduce(folder, job, budget)
    except SubmissionError as err:
        if args.record:  # an entry that breaks the training contract is not reproduced
            block = reproduce.refused(folder, budget, str(err))
            path = results.write_provenance(repo / "results", folder.parent.name, folder.name, block)
            print(f"wrote the provenance into {path}", file=sys.stderr)
        raise
    block = outcome["provenance"]
    if args.record:
        # Official provenance, like official records, only from the full sandbox.
        results.refuse_weak(outcome["shipped"])
    event = EVENTS[folder.name]
    key = event.quality.key

    def fmt(value):
        return "" if value is None else f"{value:.4g}"

    cpu = f", {block['train_cpu_s']:.0f} s CPU" if "train_cpu_s" in block else ""
    print(f"{submission.display(folder, repo)}: {block['status'].replace('_', ' ')}")
    print(f"  {key}: shipped {fmt(block.get('shipped_quality'))}, retrained "
          f"{fmt(block.get('reproduced_quality'))} (tolerance {event.tolerance.describe()})")
    print(f"  training: {block['train_wall_s']:.0f} s wall{cpu} (budget {budget.wall_s:g} s wall, "
          f"{budget.cpu_s:g} s CPU)")
    print(f"  reason: {block['reason']}")
    if args.json:
        results.atomic_write_text(Path(args.json), json.dumps(outcome, indent=2, sort_keys=True, allow_nan=False) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    if args.record:
        path = results.write_provenance(repo / "results", folder.parent.name, folder.name, block)
        print(f"wrote the provenance into {path}", file=sys.stderr)
    return 0 if block["status"] == "reproduced" else 1
