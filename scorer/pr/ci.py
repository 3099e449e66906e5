"""``tinymlperf ci pr``: the pull-request check that .github/workflows/pr.yml runs.

    tinymlperf ci pr --base origin/main [--head HEAD] [--pr-number 12] [--repeats 3] \\
        [--report pr-report.md] [--summary pr-summary.json] [--repo CHECKOUT]

It diffs the head against its merge base with the base (what GitHub shows as the pull
request's changes) and enforces that the pull request changes exactly one team's folder under
``submissions/`` and nothing else. Then it validates and scores each changed entry with *this*
scorer, the base branch's, which the workflow installs. The pull request's files are read from
git objects and written into a temporary folder as regular files only: nothing of the pull
request is imported, run outside the sandbox, or followed as a link. The baseline and the
current results come from the base commit too, so a pull request cannot move its yardstick.

Writes a Markdown report (every piece of submitted text escaped) and a JSON summary valid
against scorer/contract/schemas/pr-summary.schema.json. Exit 0 when every changed entry is valid and
qualifies, 1 otherwise.

    tinymlperf ci comment --summary pr-summary.json --pr-files files.txt --out comment.md

is what .github/workflows/pr-comment.yml runs on that summary (untrusted: it came back from
the pull request's run): validated, re-rendered, and with ``--pr-files`` (the pull request's
files as GitHub's API lists them) judged again, so a pull request that changes .github/, or
whose files contradict the summary, never gets a pass it cannot vouch for (see vouch()).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import scorer
from scorer.contract import results, review, schema
from scorer.contract.errors import ScorerError, UsageError
from scorer.contract.events import BASELINE_TEAM, EVENT_IDS, EVENTS
from scorer.leaderboard import ranking
from scorer.leaderboard.standing import would_rank
from scorer.scoring import datasets
from scorer.scoring import engine as scoring
from scorer.validate import submission
from scorer.validate.submission import SAFE_NAME, TEAM_ID

# Where a pull request must not go, and what to tell the person who went there.
AREA_HINTS = {
    "scorer": "the scorer is maintained by the maintainers; a submission cannot change how it is scored",
    ".github": "workflows and repository settings are maintainers-only",
    "results": "results/ holds official records that CI writes after the merge; never edit them by hand",
}
REGULAR_MODES = {b"100644", b"100755"}
MARK = {"pass": "✅", "fail": "❌"}
MARKER = "<!-- tinymlperf-pr-check -->"  # finds the bot's one sticky comment again
MAX_SUMMARY_BYTES = 4 * 2**20
MAX_COMMENT_CHARS = 60_000
RUN_URL = re.compile(r"^https://[A-Za-z0-9.-]+/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/actions/runs/[0-9]+(/attempts/[0-9]+)?$")


@dataclass(frozen=True)
class Finding:
    where: str
    message: str
    severity: str = "error"  # "error" fails the check, "warning" is for the reviewers
    kind: str = "scope"      # scope | path | validation | scoring


def shown(text: str, limit: int = 600) -> str:
    """A submitted string made printable (control and non-ASCII-space characters escaped)."""
    # isprintable() is False for control, format (zero-width, bidi override) and odd spaces.
    out = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


# Everything that could start markup, a link, an HTML tag, math or a table cell. Our text
# never starts a line, so line-start markers ('-', '+', '1.') need no escaping.
_MD_ENTITIES = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#!|~<>&\"'$"}


def md(text: object) -> str:
    """Submitted text as inert Markdown and HTML: no markup, links, mentions or table breaks."""
    out = "".join(_MD_ENTITIES.get(c, c) for c in shown(str(text), 2000))
    # A zero-width space after '@' stops GitHub from turning a name into a mention.
    return out.replace("@", "@&#8203;")


def _git(repo: Path, *args: str) -> bytes:
    # --literal-pathspecs: a path from the pull request is a name, never a pattern.
    cmd = ["git", "--literal-pathspecs", "-C", str(repo), *args]
    out = subprocess.run(cmd, capture_output=True, check=False)
    if out.returncode:
        last = out.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
        raise UsageError(f"git {args[0]} in {repo}: {last[0]}")
    return out.stdout


def resolve(repo: Path, ref: str, option: str) -> str:
    """The full commit id of ``ref``, or a UsageError naming the option."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"{option} {ref!r}: not a git ref; name a branch, tag or commit")
    out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise UsageError(f"{option} {ref}: no such commit in {repo}; fetch it first (git fetch origin {ref})")
    return out.stdout.strip()


def _decode(raw: bytes) -> tuple[str, str | None]:
    """The path as text, and why it is unsafe (None when it is fine)."""
    try:
        path = raw.decode("utf-8")
    except UnicodeDecodeError:
        return shown(raw.decode("utf-8", "backslashreplace")), "the path is not UTF-8; rename it with ASCII letters, digits, '_', '-' and '.'"
    if path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/")):
        return shown(path), "the path is absolute or holds '.' or '..' components; remove it"
    if any(not c.isprintable() for c in path):
        return shown(path), "the path holds control or invisible characters; rename it"
    return path, None


def changed_paths(repo: Path, merge_base: str, head: str) -> list[bytes]:
    """Every path the head changes since the merge base (renames as a delete plus an add)."""
    out = _git(repo, "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", merge_base, head, "--")
    return [p for p in out.split(b"\0") if p]


def scope(paths: list[bytes]) -> tuple[str | None, dict[tuple[str, str], list[str]], list[Finding]]:
    """The one team, its changed entries (team, event) -> paths, and every scope problem."""
    entries: dict[tuple[str, str], list[str]] = {}
    problems: list[Finding] = []
    teams: set[str] = set()
    if not paths:
        problems.append(Finding("(pull request)", "the pull request changes no files; add your entry under submissions/<team-id>/<event-id>/"))
    for raw in paths:
        path, bad = _decode(raw)
        if bad:
            problems.append(Finding(path, bad, kind="path"))
            continue
        parts = path.split("/")
        if parts[0] != "submissions":
            hint = AREA_HINTS.get(parts[0], "a submission pull request changes only submissions/<team-id>/<event-id>/")
            problems.append(Finding(path, f"outside submissions/: {hint}; move this change to a separate pull request"))
            continue
        if len(parts) < 4:
            problems.append(Finding(path, "files go inside submissions/<team-id>/<event-id>/; move it there"))
            continue
        team, event = parts[1], parts[2]
        teams.add(team)
        entries.setdefault((team, event), []).append(path)
        if team == BASELINE_TEAM:
            problems.append(Finding(path, "the baseline team is maintainers-only; put your entry under submissions/<your-team-id>/"))
        elif not TEAM_ID.match(team):
            problems.append(Finding(path, "a team folder is a slug of 2-40 characters a-z, 0-9 and '-'; rename the folder"))
    if len(teams) > 1:
        names = ", ".join(sorted(teams))
        problems.append(Finding("submissions/", f"the pull request changes the folders of {len(teams)} teams ({names}); one pull request changes one team's folder: split it"))
    team = next(iter(teams)) if len(teams) == 1 and TEAM_ID.match(next(iter(teams))) else None
    return team, entries, problems


def with_lib_users(repo: Path, head: str, changed: dict[tuple[str, str], list[str]]
                   ) -> dict[tuple[str, str], list[str]]:
    """A change to a team's shared ``lib/`` changes every entry of the team that imports it:
    replace the ``(team, "lib")`` scope by each of the team's event folders at the head."""
    out = {k: v for k, v in changed.items() if k[1] != submission.LIB}
    for (team, event), paths in changed.items():
        if event != submission.LIB:
            continue
        listing = _git(repo, "ls-tree", "-z", "--name-only", head, "--", f"submissions/{team}/")
        for raw in filter(None, listing.split(b"\0")):
            name = raw.decode("utf-8", "replace").rsplit("/", 1)[-1]
            if name in EVENT_IDS:
                out.setdefault((team, name), []).extend(paths)
    return out


def materialise(repo: Path, commit: str, prefix: str, dest: Path) -> list[Finding]:
    """Write the tree at ``commit:prefix`` under ``dest/prefix`` as regular files only."""
    listing = _git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--", prefix + "/")
    problems: list[Finding] = []
    total = count = 0
    for item in filter(None, listing.split(b"\0")):
        meta, raw_path = item.split(b"\t", 1)
        mode, kind, obj, size = meta.split()
        path, bad = _decode(raw_path)
        rel = path[len(prefix) + 1:] if path.startswith(prefix + "/") else path
        if bad is None and not all(SAFE_NAME.match(part) for part in rel.split("/")):
            bad = "file names must be ASCII letters, digits, '_', '-' and '.', not hidden; rename it"
        if bad:
            problems.append(Finding(path, bad, kind="path"))
        elif kind == b"commit":
            problems.append(Finding(path, "a git submodule; commit the files themselves", kind="path"))
        elif mode == b"120000":
            problems.append(Finding(path, "a symbolic link (never followed); commit the file itself", kind="path"))
        elif kind != b"blob" or mode not in REGULAR_MODES:
            problems.append(Finding(path, "only regular files are allowed", kind="path"))
        else:
            total, count = total + int(size), count + 1
            if count > submission.MAX_FILES or total > submission.MAX_FOLDER_BYTES:
                limit = f"{submission.MAX_FILES} files and {submission.MAX_FOLDER_BYTES // 2**20} MiB"
                problems.append(Finding(prefix, f"the folder exceeds {limit}; shrink it (quantize or drop weights)", kind="path"))
                break
            target = dest.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL|O_NOFOLLOW: only ever a new regular file, even if the tree were odd.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(_git(repo, "cat-file", "blob", obj.decode("ascii")))
    return problems


def _metric(block: dict | None, metric) -> dict | None:
    if not block or block.get("median") is None:
        return None
    out = {"key": metric.key, "label": metric.label, "unit": metric.unit, "direction": metric.direction,
           "median": block["median"], "min": block.get("min"), "max": block.get("max")}
    if "threshold" in block:
        out["threshold"] = block["threshold"]
    return out


def _leader(existing: list[dict], event_id: str, team: str) -> dict | None:
    entries = [ranking.entry_from_record(r) for r in existing if r["event"] == event_id and r["team"] != team]
    board = ranking.build_board(EVENTS[event_id], entries)
    if not board.speed:
        return None
    top = board.speed[0].entry
    return {"team": top.team, "speed": top.speed, "unit": EVENTS[event_id].speed.unit, "speedup": top.speedup}


def _entry(team: str, event: str, status: str, reason: str, problems: list[Finding]) -> dict:
    return {"team": shown(team, 200), "event": shown(event, 200), "path": shown(f"submissions/{team}/{event}"),
            "status": status, "reason": shown(reason, 2000), "qualified": False, "rank": "not ranked",
            "metrics": {"quality": None, "speed": None, "memory": None, "extra": []},
            "baseline": None, "claimed": [], "leader": None, "problems": problems}


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
    if not _git(repo, "ls-tree", base, "--", "results"):
        return [], []
    materialise(repo, base, "results", work / "base")
    try:
        return results.load_records(work / "base" / "results"), []
    except ScorerError as err:
        return [], [Finding("results/", f"the base branch's records are unreadable, so ranks are not shown: {err}", "warning", "scoring")]


def _unroot(text: str, root: Path) -> str:
    """Paths in a message as the repository has them, not as the temporary copy does."""
    for prefix in {str(root) + "/", submission.display(root) + "/"}:
        text = text.replace(prefix, "")
    return text


def check_entry(repo: Path, base: str, head: str, team: str, event: str, work: Path, existing: list[dict], args) -> dict:
    """Materialise, validate and (when valid) score one changed entry."""
    prefix = f"submissions/{team}/{event}"
    if event not in EVENT_IDS:
        msg = f"{event!r} is not an event; rename the folder to one of {', '.join(EVENT_IDS)}"
        return _entry(team, event, "invalid", msg, [Finding(prefix, msg, kind="validation")])
    if not _git(repo, "ls-tree", head, "--", prefix):
        msg = "the pull request deletes this entry; to withdraw an entry, ask the maintainers in an issue"
        return _entry(team, event, "deleted", msg, [Finding(prefix, msg, kind="scoring")])
    root = work / "head"
    problems = materialise(repo, head, prefix, root)
    lib = f"submissions/{team}/{submission.LIB}"
    if _git(repo, "ls-tree", head, "--", lib) and not (root / lib).exists():
        problems += materialise(repo, head, lib, root)  # the team's framework, shared by its events
    folder = root / "submissions" / team / event
    folder.mkdir(parents=True, exist_ok=True)
    report = submission.check(folder, train_contract=True)
    problems += [Finding(_unroot(p.where, root), _unroot(p.message, root), p.severity, "validation") for p in report.problems]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        fix = FIXES["invalid"].format(path=prefix)
        return _entry(team, event, "invalid", f"{len(errors)} problem(s), first {errors[0].where}: {errors[0].message}; {fix}", problems)
    # The yardstick comes from the base commit, never from the pull request.
    baseline = None
    if _git(repo, "ls-tree", base, "--", f"submissions/{BASELINE_TEAM}/{event}"):
        materialise(repo, base, f"submissions/{BASELINE_TEAM}/{event}", work / "base")
        candidate = work / "base" / "submissions" / BASELINE_TEAM / event
        baseline = candidate if (candidate / submission.METADATA).is_file() else None
    job = scoring.Job(repeats=args.repeats, threads=args.threads,
                      data_folder=datasets.data_dir(args.data), repo_root=root)
    record = scoring.score_entry(folder, event, job, baseline)
    ev = EVENTS[event]
    out = _entry(team, event, record["status"], _unroot(record["reason"], root), problems)
    if record["status"] != "ok":
        fix = FIXES.get(record["status"], FIXES["invalid"]).format(event=event, path=prefix)
        out["problems"].append(Finding(prefix, f"{record['status']}: {out['reason']}; {fix}", kind="scoring"))
    out["qualified"] = record["qualified"]
    out["rank"] = would_rank(record, existing)
    # An answer-table flag holds the entry back until the base branch's reviews.yml approves
    # this exact content hash; the pull request itself cannot approve (it may not touch the file).
    held = review.awaiting(record, review.approvals(base_reviews(repo, base)))
    if held:
        out["qualified"], out["rank"] = False, review.AWAITING
        out["problems"].append(Finding(prefix, _unroot(review.reason(record, held), root), "warning", "scoring"))
    out["metrics"] = {"quality": _metric(record["quality"], ev.quality), "speed": _metric(record["speed"], ev.speed),
                      "memory": _metric(record["memory"], ev.memory),
                      "extra": [m for m in (_metric(record["extra"].get(x.key), x) for x in ev.extra) if m]}
    block = record.get("baseline")
    out["baseline"] = {"speedup": block["speedup"], "memory_ratio": block["memory_ratio"]} if block else None
    out["claimed"] = [{k: row[k] for k in ("metric", "claimed", "measured", "relative")} for row in record["claimed"]]
    out["leader"] = _leader(existing, event, team)
    return out


def base_reviews(repo: Path, base: str) -> list[dict]:
    """The approvals in the base commit's reviews.yml (none when it has no such file)."""
    try:
        raw = _git(repo, "show", f"{base}:{review.REVIEWS_FILE}")
    except UsageError:
        return []
    return review.parse_reviews(raw, f"{base[:12]}:{review.REVIEWS_FILE}")


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:.4g}"
    return f"{text} {md(unit)}" if unit and unit not in ("fraction", "perplexity", "score") else text


def render(summary: dict) -> str:
    """The Markdown report from a summary: numbers formatted here, every string through md().

    The comment workflow renders a summary that came back from a pull request's run, so
    nothing in it is trusted: only its schema-checked numbers, enums and hex ids go in raw.
    """
    verdict = summary["verdict"]
    lines = [f"## {MARK[verdict]} TinyMLPerf check: {'passed' if verdict == 'pass' else 'failed'}", ""]
    pr = f"pull request #{summary['pr_number']} · " if summary["pr_number"] else ""
    lines += [f"{pr}base `{summary['base']['sha'][:10]}` · head `{summary['head']['sha'][:10]}` · "
              f"scorer {md(summary['scorer_version'])} · {summary['changed_files_count']} changed file(s)", ""]
    if summary["problems"]:
        lines += ["### Problems with this pull request", ""]
        lines += [f"- **{md(p['where'])}**: {md(p['message'])}" for p in summary["problems"]]
        lines.append("")
    for e in summary["entries"]:
        event = EVENTS.get(e["event"])
        lines += [f"### {md(e['team'])} · {md(event.name if event else e['event'])}", ""]
        if e["qualified"]:
            lines.append(f"**{MARK['pass']} Qualifies.** Would rank: {md(e['rank'])}.")
        else:
            lines.append(f"**{MARK['fail']} {md(e['status'])}**: {md(e['reason'])}")
        lines.append("")
        claims = {c["metric"]: c for c in e["claimed"]}
        leader = e["leader"]
        metrics = [m for m in (e["metrics"]["quality"], e["metrics"]["speed"], e["metrics"]["memory"], *e["metrics"]["extra"]) if m]
        if metrics:
            lines += ["| Metric | Measured | Range | Threshold | Claimed | Claimed vs measured |", "|---|---|---|---|---|---|"]
            for m in metrics:
                unit = m["unit"]
                threshold = "–"
                if m.get("threshold") is not None:
                    threshold = f"{'≥' if m['direction'] == 'higher' else '≤'} {m['threshold']:g}"
                c = claims.get(m["key"])
                claimed = _num(c["claimed"], unit) if c else "–"
                rel = f"{c['relative']:+.1%}" if c and c["relative"] is not None else "–"
                lines.append(f"| {md(m['label'])} | **{_num(m['median'], unit)}** | {_num(m['min'])} – {_num(m['max'])} | {threshold} | {claimed} | {rel} |")
            lines.append("")
        if e["baseline"] and e["baseline"]["speedup"] is not None:
            ratio = f"{e['baseline']['speedup']:.2f}x the baseline's speed"
            if e["baseline"]["memory_ratio"] is not None:
                ratio += f", {e['baseline']['memory_ratio']:.2f}x its memory"
            lines += [f"Versus the baseline: {ratio}.", ""]
        if leader:
            lines += [f"Current leader: **{md(leader['team'])}** at {_num(leader['speed'], leader['unit'])}"
                      + (f" ({leader['speedup']:.2f}x the baseline)." if leader["speedup"] is not None else "."), ""]
        elif e["metrics"]["speed"]:
            lines += ["No qualified entry in this event yet: a qualifying entry takes first place.", ""]
        if e["problems"]:
            lines += ["Problems:", ""]
            for p in e["problems"]:
                tag = "warning: " if p["severity"] == "warning" else ""
                lines.append(f"- **{md(p['where'])}**: {tag}{md(p['message'])}")
            lines.append("")
    lines += ["### What happens next", ""]
    if verdict == "pass":
        lines.append("A maintainer reviews the code and merges. After the merge, CI scores the entry officially "
                     "(more repeats, interleaved with the baseline) and the leaderboard updates.")
    else:
        lines.append("Fix the problems above, run `tinymlperf run` (or `tinymlperf ci pr --base main`) locally, "
                     "then commit and push: this check runs again and this comment updates.")
    return "\n".join(lines) + "\n"


MAX_API_FILES = 3000  # GitHub's REST API lists at most 3,000 files of a pull request


def read_pr_files(path: Path) -> list[str]:
    """The pull request's file names as GitHub's API lists them: one JSON string a line.

    That is what ``gh api --paginate repos/R/pulls/N/files --jq '.[].filename | @json'``
    prints; a JSON string keeps a name with a newline in it one name.
    """
    names = []
    try:
        for line in path.read_bytes().decode("utf-8").splitlines():
            if line.strip():
                name = json.loads(line)
                if not isinstance(name, str):
                    raise ValueError(f"{shown(line, 80)} is not a JSON string")
                names.append(name)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ScorerError(f"{path}: not a list of the pull request's files ({shown(str(err), 200)}); nothing to post") from err
    return names


def vouch(data: dict, files: list[str]) -> list[Finding]:
    """Why the summary's verdict is not evidence, judged from the pull request's own file list.

    The check's run (pr.yml) is the pull request's: a pull request that changes .github/ may
    have changed the very workflow that wrote the summary. So the comment workflow reads the
    changed files from GitHub (never from the artifact), recomputes the scope with this
    scorer, and refuses to show a verdict the file list contradicts. Empty means vouched for.
    """
    doubts = []
    if any(f == ".github" or f.startswith(".github/") for f in files):
        doubts.append(Finding(".github/", "this pull request changes .github/, so the check ran a workflow the pull request "
                                          "may have altered and its report is not evidence; maintainers, review it by hand"))
    if len(files) >= MAX_API_FILES:
        doubts.append(Finding("(pull request)", f"GitHub lists only the first {MAX_API_FILES:,} changed files; split the pull request"))
    listed = [_decode(f.encode("utf-8", "surrogateescape"))[0] for f in files]
    if data["changed_files_count"] != len(files) or (len(files) <= 500 and sorted(data["changed_files"]) != sorted(listed)):
        doubts.append(Finding("(pull request)", f"the check's summary lists {data['changed_files_count']} changed file(s), "
                                                f"GitHub lists {len(files)} for this pull request: the report is not evidence"))
    _, _, scoped = scope([f.encode("utf-8", "surrogateescape") for f in files])
    scoped = [p for p in scoped if p.severity == "error"]
    # A failing summary that agrees with GitHub's list is the base workflow's honest refusal:
    # it is shown as it is. A pass that the list contradicts is not.
    if doubts or (scoped and data["verdict"] == "pass"):
        return doubts + scoped
    return []


def render_unvouched(data: dict, files: list[str], problems: list[Finding]) -> str:
    """The comment when the pull request's own file list contradicts the check: no verdict of the run's."""
    pr = f"pull request #{data['pr_number']} · " if data["pr_number"] else ""
    lines = [f"## {MARK['fail']} TinyMLPerf check: failed (the check's report is not evidence)", "",
             "> [!WARNING]",
             "> What this pull request changes, as GitHub lists it, is outside what the check can vouch for, "
             "so the check run's own verdict and numbers are not shown. Maintainers, review it by hand.", "",
             f"{pr}head `{data['head']['sha'][:10]}` · {len(files)} changed file(s) according to GitHub", "",
             "### Problems with this pull request", ""]
    lines += [f"- **{md(p.where)}**: {md(p.message)}" for p in problems[:200]]
    lines += ["", "### What happens next", "",
              "A submission pull request changes only submissions/<team-id>/<event-id>/: move every other change "
              "to a separate pull request, then push; the check runs again and this comment updates."]
    return "\n".join(lines) + "\n"


def comment(args) -> int:
    """``tinymlperf ci comment``: the bot's comment, re-rendered from an untrusted summary.

    With ``--pr-files`` (the pull request's files as GitHub lists them), a summary whose
    scope the file list contradicts, or any pull request that changes .github/, gets a
    failing comment without the run's verdict: see vouch().
    """
    path = Path(args.summary)
    try:
        if path.stat().st_size > MAX_SUMMARY_BYTES:
            raise ScorerError(f"{path}: larger than {MAX_SUMMARY_BYTES:,} bytes; not a summary this scorer wrote")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ScorerError(f"{path}: not a readable JSON summary ({shown(str(err), 200)}); nothing to post") from err
    problems = schema.validate(data, "pr-summary")
    if problems:
        raise ScorerError(f"{path}: {shown(str(problems[0]), 300)}; it does not match pr-summary.schema.json, so nothing is posted")
    files = read_pr_files(Path(args.pr_files)) if getattr(args, "pr_files", None) else None
    doubts = vouch(data, files) if files is not None else []
    verdict = "fail (not vouched for)" if doubts else data["verdict"]
    body = render_unvouched(data, files, doubts) if doubts else render(data)
    if len(body) > MAX_COMMENT_CHARS:  # GitHub refuses comments over 65,536 characters
        body = body[:MAX_COMMENT_CHARS].rsplit("\n", 1)[0] + "\n\n*(report truncated; the workflow run has all of it)*\n"
    footer = f"\n<sub>Commit {data['head']['sha'][:10]} checked by scorer {md(data['scorer_version'])}"
    footer += f" · [workflow run]({args.run_url})</sub>\n" if RUN_URL.match(args.run_url or "") else "</sub>\n"
    results.atomic_write_text(Path(args.out), f"{MARKER}\n{body}{footer}")
    print(f"wrote {args.out} ({verdict})")
    return 0


def pr(args) -> int:
    repo = Path(getattr(args, "repo", ".")).resolve()
    if args.repeats < 1 or args.threads < 1:
        raise UsageError("--repeats and --threads must be at least 1")
    if args.pr_number is not None and args.pr_number < 1:
        raise UsageError("--pr-number must be a positive integer")
    base = resolve(repo, args.base, "--base")
    head = resolve(repo, args.head, "--head")
    merge_base = _git(repo, "merge-base", base, head).decode().strip()
    paths = changed_paths(repo, merge_base, head)
    team, changed, problems = scope(paths)
    changed = with_lib_users(repo, head, changed)
    entries = []
    work = Path(tempfile.mkdtemp(prefix="tinymlperf-pr-")).resolve()
    try:
        existing, notes = base_context(repo, base, work) if changed and not problems else ([], [])
        problems += notes
        for (t, event) in sorted(changed):
            if any(p.severity == "error" for p in problems):
                # A pull request out of scope is not scored: the answer comes fast and clear.
                entries.append(_entry(t, event, "not_scored", "not scored: fix the pull request's problems first", []))
            else:
                entries.append(check_entry(repo, base, head, t, event, work, existing, args))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = (not any(p.severity == "error" for p in problems) and bool(entries)
          and all(e["qualified"] and not any(p.severity == "error" for p in e["problems"]) for e in entries))
    summary = {
        "schema_version": 1, "pr_number": args.pr_number,
        "base": {"ref": shown(args.base, 255), "sha": base}, "head": {"ref": shown(args.head, 255), "sha": head},
        "merge_base": merge_base, "scorer_version": scorer.__version__, "verdict": "pass" if ok else "fail",
        "team": team, "changed_files": [_decode(p)[0] for p in paths[:500]], "changed_files_count": len(paths),
        "entries": entries, "problems": [asdict(p) for p in problems[:500]],
    }
    for e in entries:
        e["problems"] = [asdict(p) for p in sorted(set(e["problems"]), key=lambda p: (p.severity != "error", p.where))][:200]
    invalid = schema.validate(summary, "pr-summary")
    if invalid:  # we built it: a bug, so it keeps its traceback
        raise ValueError(f"refusing to write an invalid pr summary: {invalid[0]}")
    results.atomic_write_text(Path(args.report), render(summary))
    results.atomic_write_text(Path(args.summary), json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"{MARK[summary['verdict']]} {summary['verdict']}: wrote {args.report} and {args.summary}")
    return 0 if ok else 1

