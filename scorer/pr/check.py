"""Checking one entry a pull request changes: its files from git, validated, then scored.

The pull request's files are read from git objects and written into a temporary folder as
regular files only (``materialise``): nothing of the pull request is imported, run outside the
sandbox, or followed as a link. The baseline, the current results and the review approvals
come from the base commit, so a pull request cannot move its yardstick. Each entry comes back
as the dict that pr-summary.json lists under ``entries``.
"""

from __future__ import annotations

import os
from pathlib import Path

from scorer.contract import results, review
from scorer.contract.errors import ScorerError, UsageError
from scorer.contract.events import BASELINE_TEAM, EVENT_IDS, EVENTS, entry_folder, entry_path
from scorer.leaderboard import ranking
from scorer.leaderboard.standing import would_rank
from scorer.pr.scope import PATH_LIMIT, Finding, decode_path, git
from scorer.scoring import engine as scoring
from scorer.scoring.options import job_from_args
from scorer.text import one_line
from scorer.validate import submission
from scorer.validate.submission import SAFE_NAME

REGULAR_MODES = {b"100644", b"100755"}


def materialise(repo: Path, commit: str, prefix: str, dest: Path) -> list[Finding]:
    """Write the tree at ``commit:prefix`` under ``dest/prefix`` as regular files only."""
    listing = git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--", prefix + "/")
    problems: list[Finding] = []
    total = count = 0
    for item in filter(None, listing.split(b"\0")):
        meta, raw_path = item.split(b"\t", 1)
        mode, kind, obj, size = meta.split()
        path, bad = decode_path(raw_path)
        rel = path[len(prefix) + 1 :] if path.startswith(prefix + "/") else path
        if bad is None and not all(SAFE_NAME.match(part) for part in rel.split("/")):
            bad = (
                "file names must be ASCII letters, digits, '_', '-' and '.', not hidden; rename it"
            )
        if bad:
            problems.append(Finding(path, bad, kind="path"))
        elif kind == b"commit":
            problems.append(
                Finding(path, "a git submodule; commit the files themselves", kind="path")
            )
        elif mode == b"120000":
            problems.append(
                Finding(
                    path, "a symbolic link (never followed); commit the file itself", kind="path"
                )
            )
        elif kind != b"blob" or mode not in REGULAR_MODES:
            problems.append(Finding(path, "only regular files are allowed", kind="path"))
        else:
            total, count = total + int(size), count + 1
            if count > submission.MAX_FILES or total > submission.MAX_FOLDER_BYTES:
                limit = (
                    f"{submission.MAX_FILES} files and {submission.MAX_FOLDER_BYTES // 2**20} MiB"
                )
                problems.append(
                    Finding(
                        prefix,
                        f"the folder exceeds {limit}; shrink it (quantize or drop weights)",
                        kind="path",
                    )
                )
                break
            target = dest.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL|O_NOFOLLOW: only ever a new regular file, even if the tree were odd.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(git(repo, "cat-file", "blob", obj.decode("ascii")))
    return problems


def _metric(block: dict | None, metric) -> dict | None:
    if not block or block.get("median") is None:
        return None
    out = {
        "key": metric.key,
        "label": metric.label,
        "unit": metric.unit,
        "direction": metric.direction,
        "median": block["median"],
        "min": block.get("min"),
        "max": block.get("max"),
    }
    if "threshold" in block:
        out["threshold"] = block["threshold"]
    return out


def _leader(existing: list[dict], event_id: str, team: str) -> dict | None:
    entries = [
        ranking.entry_from_record(r)
        for r in existing
        if r["event"] == event_id and r["team"] != team
    ]
    board = ranking.build_board(EVENTS[event_id], entries)
    if not board.speed:
        return None
    top = board.speed[0].entry
    return {
        "team": top.team,
        "speed": top.speed,
        "unit": EVENTS[event_id].speed.unit,
        "speedup": top.speedup,
    }


def entry_summary(team: str, event: str, status: str, reason: str, problems: list[Finding]) -> dict:
    return {
        "team": one_line(team, 200),
        "event": one_line(event, 200),
        "path": one_line(entry_path(team, event), PATH_LIMIT),
        "status": status,
        "reason": one_line(reason, 2000),
        "qualified": False,
        "rank": "not ranked",
        "metrics": {"quality": None, "speed": None, "memory": None, "extra": []},
        "baseline": None,
        "claimed": [],
        "leader": None,
        "problems": problems,
    }


FIXES = {
    "below_threshold": "improve the quality until every repeat meets the threshold; check with `tinymlperf run --event {event} --repeats 3`",
    "error": "the submission raised or returned a wrong answer; `tinymlperf run --event {event}` shows the traceback",
    "timeout": "make it finish within the time limit on the Rules page; `tinymlperf profile --event {event}` shows where time goes",
    "memory_limit": "keep the peak memory under the limit on the Rules page; `tinymlperf profile --event {event}` shows where it goes",
    "rule_violation": "follow the rule the reason names (see the Rules page)",
    "invalid": "run `tinymlperf validate {path}` for every problem",
}


def base_context(repo: Path, base: str, work: Path) -> tuple[list[dict], list[Finding]]:
    """The base branch's result records, read from git objects (never from the pull request)."""
    if not git(repo, "ls-tree", base, "--", "results"):
        return [], []
    materialise(repo, base, "results", work / "base")
    try:
        return results.load_records(work / "base" / "results"), []
    except ScorerError as err:
        return [], [
            Finding(
                "results/",
                f"the base branch's records are unreadable, so ranks are not shown: {err}",
                "warning",
                "scoring",
            )
        ]


def _unroot(text: str, root: Path) -> str:
    """Paths in a message as the repository has them, not as the temporary copy does."""
    for prefix in {str(root) + "/", submission.display(root) + "/"}:
        text = text.replace(prefix, "")
    return text


def check_entry(
    repo: Path, base: str, head: str, team: str, event: str, work: Path, existing: list[dict], args
) -> dict:
    """Materialise, validate and (when valid) score one changed entry."""
    prefix = entry_path(team, event)
    if event not in EVENT_IDS:
        msg = f"{event!r} is not an event; rename the folder to one of {', '.join(EVENT_IDS)}"
        return entry_summary(team, event, "invalid", msg, [Finding(prefix, msg, kind="validation")])
    if not git(repo, "ls-tree", head, "--", prefix):
        msg = "the pull request deletes this entry; to withdraw an entry, ask the maintainers in an issue"
        return entry_summary(team, event, "deleted", msg, [Finding(prefix, msg, kind="scoring")])
    root = work / "head"
    problems = materialise(repo, head, prefix, root)
    lib = f"submissions/{team}/{submission.LIB}"
    if git(repo, "ls-tree", head, "--", lib) and not (root / lib).exists():
        problems += materialise(repo, head, lib, root)  # the team's framework, shared by its events
    folder = entry_folder(root, team, event)
    folder.mkdir(parents=True, exist_ok=True)
    report = submission.check(folder, train_contract=True)
    problems += [
        Finding(_unroot(p.where, root), _unroot(p.message, root), p.severity, "validation")
        for p in report.problems
    ]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        fix = FIXES["invalid"].format(path=prefix)
        return entry_summary(
            team,
            event,
            "invalid",
            f"{len(errors)} problem(s), first {errors[0].where}: {errors[0].message}; {fix}",
            problems,
        )
    # The yardstick comes from the base commit, never from the pull request.
    baseline = None
    if git(repo, "ls-tree", base, "--", entry_path(BASELINE_TEAM, event)):
        materialise(repo, base, entry_path(BASELINE_TEAM, event), work / "base")
        candidate = entry_folder(work / "base", BASELINE_TEAM, event)
        baseline = candidate if (candidate / submission.METADATA).is_file() else None
    job = job_from_args(args, root)
    record = scoring.score_entry(folder, event, job, baseline)
    ev = EVENTS[event]
    out = entry_summary(team, event, record["status"], _unroot(record["reason"], root), problems)
    if record["status"] != "ok":
        fix = FIXES.get(record["status"], FIXES["invalid"]).format(event=event, path=prefix)
        out["problems"].append(
            Finding(prefix, f"{record['status']}: {out['reason']}; {fix}", kind="scoring")
        )
    out["qualified"] = record["qualified"]
    out["rank"] = would_rank(record, existing)
    # An answer-table flag holds the entry back until the base branch's reviews.yml approves
    # this exact content hash; the pull request itself cannot approve (it may not touch the file).
    held = review.awaiting(record, review.approvals(base_reviews(repo, base)))
    if held:
        out["qualified"], out["rank"] = False, review.AWAITING
        out["problems"].append(
            Finding(prefix, _unroot(review.reason(record, held), root), "warning", "scoring")
        )
    out["metrics"] = {
        "quality": _metric(record["quality"], ev.quality),
        "speed": _metric(record["speed"], ev.speed),
        "memory": _metric(record["memory"], ev.memory),
        "extra": [m for m in (_metric(record["extra"].get(x.key), x) for x in ev.extra) if m],
    }
    block = record.get("baseline")
    out["baseline"] = (
        {"speedup": block["speedup"], "memory_ratio": block["memory_ratio"]} if block else None
    )
    out["claimed"] = [
        {k: row[k] for k in ("metric", "claimed", "measured", "relative")}
        for row in record["claimed"]
    ]
    out["leader"] = _leader(existing, event, team)
    return out


def base_reviews(repo: Path, base: str) -> list[dict]:
    """The approvals in the base commit's reviews.yml (none when it has no such file)."""
    try:
        raw = git(repo, "show", f"{base}:{review.REVIEWS_FILE}")
    except UsageError:
        return []
    return review.parse_reviews(raw, f"{base[:12]}:{review.REVIEWS_FILE}")
