"""``tinymlperf submit``: check an entry locally, then commit it on its own branch for a pull request.

    tinymlperf submit --event mlp_sprint --team fast-tensors [--from DIR] [--repeats 3]

It validates the entry, runs it once alone (an entry that fails or misses its threshold is
refused before the baseline is timed), runs the same local check as ``tinymlperf run`` and
refuses, with the reason, when the entry is invalid or does not qualify. Otherwise it writes the measured
numbers into ``submission.json``'s ``claimed``, puts the folder at
``submissions/<team>/<event>/`` and creates the branch ``submit/<team>/<event>`` holding
exactly one commit on top of HEAD, then prints the next steps (push, pull request).

The user's current branch, index and other files are left alone: the commit is built with a
temporary index (read-tree, update-index, write-tree, commit-tree), so unrelated work in
progress neither blocks the submission nor slips into it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

import scorer
from scorer.contract import results, schema
from scorer.contract.errors import ScorerError, UsageError
from scorer.contract.events import BASELINE_TEAM, EVENTS, entry_folder, entry_path
from scorer.leaderboard.standing import would_rank
from scorer.scoring import engine as scoring
from scorer.scoring.options import job_from_args
from scorer.text import one_line
from scorer.validate import submission
from scorer.validate.submission import METADATA, TEAM_ID


def _git(
    repo: Path, *args: str, env: dict | None = None, stdin: str | None = None, what: str = ""
) -> str:
    out = subprocess.run(
        ["git", "--literal-pathspecs", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        check=False,
    )
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["failed"])[-1]
        raise ScorerError(f"git {args[0]}: {last}{'; ' + what if what else ''}")
    return out.stdout


def toplevel(path: Path) -> Path:
    out = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise UsageError(
            f"{path.resolve()} is not inside a git checkout; clone your fork and run submit there"
        )
    return Path(out.stdout.strip()).resolve()


def _exists(repo: Path, ref: str) -> bool:
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", ref],
        capture_output=True,
        check=False,
    )
    return out.returncode == 0


def stage(source: Path, staged: Path) -> None:
    """Copy the entry's files (as ``list_files`` sees them: no links, no caches) into ``staged``."""
    files, problems = submission.list_files(source)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ScorerError(
            f"{errors[0]}; run `tinymlperf validate {submission.display(source)}` for every problem"
        )
    for path in files:
        target = staged / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def claimed(record: dict) -> dict:
    """The measured medians under their ``claimed`` keys, to 4 significant digits."""
    event = EVENTS[record["event"]]
    out = {}
    blocks = [
        (event.quality, record["quality"]),
        (event.speed, record["speed"]),
        (event.memory, record["memory"]),
    ]
    blocks += [(m, record["extra"].get(m.key) or {}) for m in event.extra]
    for metric, block in blocks:
        if metric.claimed_key is not None and block.get("median") is not None:
            out[metric.claimed_key] = float(f"{block['median']:.4g}")
    return out


def commit_folder(
    repo: Path, parent: str, staged: Path, rel: str, message: str, scratch: Path
) -> str:
    """A commit on top of ``parent`` whose ``rel`` folder is exactly ``staged``; nothing else moves."""
    env = dict(os.environ, GIT_INDEX_FILE=str(scratch / "index"))
    _git(repo, "read-tree", parent, env=env)
    _git(repo, "rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", rel, env=env)
    files = sorted(p for p in staged.rglob("*") if p.is_file())
    # --no-filters: the blob holds the exact bytes that were checked, whatever .gitattributes says.
    shas = _git(
        repo,
        "hash-object",
        "-w",
        "--no-filters",
        "--stdin-paths",
        stdin="".join(f"{p}\n" for p in files),
    ).split()
    info = "".join(
        f"100644 {sha}\t{rel}/{p.relative_to(staged).as_posix()}\n"
        for sha, p in zip(shas, files, strict=True)
    )
    _git(repo, "update-index", "--add", "--index-info", env=env, stdin=info)
    tree = _git(repo, "write-tree", env=env).strip()
    hint = 'tell git who you are: git config --global user.name "Your Name" && git config --global user.email you@example.com'
    return _git(repo, "commit-tree", tree, "-p", parent, "-m", message, what=hint).strip()


def _outside(repo: Path, commit: str, rel: str) -> list[str]:
    """Files the pull request would also change outside the entry, against the upstream main."""
    for ref in ("refs/remotes/upstream/main", "refs/remotes/origin/main"):
        if _exists(repo, ref):
            base = _git(repo, "merge-base", ref, commit).strip()
            changed = _git(repo, "diff", "--name-only", base, commit).splitlines()
            team_folder = rel.rsplit("/", 1)[0] + "/"
            return [p for p in changed if not p.startswith(team_folder)]
    return []


def precheck(staged: Path, event_id: str, job: scoring.Job, team: str, source: Path) -> None:
    """One run of the entry alone: an entry that fails or misses its own threshold is refused
    before minutes of interleaved timing against the baseline."""
    event = EVENTS[event_id]
    job.progress.note(
        f"{team}/{event_id}: one run to check the threshold before timing the baseline"
    )
    outcome = scoring.run_once(
        staged, event_id, job, np.random.default_rng(secrets.randbits(64))
    ).outcome
    status, reason = outcome.status, one_line(outcome.reason)
    if status == "ok" and (outcome.quality is None or not event.meets_threshold(outcome.quality)):
        relation = "below" if event.quality.direction == "higher" else "above"
        status = "below_threshold"
        reason = (
            f"{event.quality.key} {outcome.quality:.4g} is {relation} the threshold {event.threshold:g}"
            if outcome.quality is not None
            else f"no {event.quality.key} was measured"
        )
    if status != "ok":
        raise ScorerError(
            f"{team}/{event_id} does not qualify ({status}: {reason}); the baseline "
            f"was not timed; fix it and check with `tinymlperf run --event {event_id} --submission {submission.display(source)}`"
        )


def submit(args) -> int:
    repo = toplevel(Path(args.repo))
    team, event_id = args.team, args.event
    event = EVENTS[event_id]
    if not TEAM_ID.match(team):
        raise UsageError(f"--team {team!r}: a team id is 2-40 characters of a-z, 0-9 and '-'")
    if team == BASELINE_TEAM:
        raise UsageError(
            "--team baseline: the baseline team is maintainers-only; use your own team id"
        )
    rel = entry_path(team, event_id)
    target = repo / rel
    source = Path(args.source).resolve() if args.source else target
    if not (source / METADATA).is_file():
        raise UsageError(
            f"{source}: no {METADATA} there; start one with `tinymlperf new --event {event_id} --team {team}` or name the folder with --from DIR"
        )
    branch = f"submit/{team}/{event_id}"
    # The cheap refusals come first, before minutes of scoring.
    if not _exists(repo, "HEAD^{commit}"):
        raise ScorerError(
            f"{repo} has no commit yet; clone your fork of the repository and submit from there"
        )
    if _exists(repo, f"refs/heads/{branch}"):
        raise ScorerError(
            f"branch {branch} already exists; push it (git push -u origin {branch}) or delete it (git branch -D {branch}) and submit again"
        )
    if source != target:
        dirty = _git(repo, "status", "--porcelain", "--untracked-files=all", "--", rel)
        if dirty.strip():
            raise ScorerError(
                f"{rel} has uncommitted changes that --from would overwrite; commit or stash them (git stash -u) first"
            )
    head = _git(repo, "rev-parse", "HEAD").strip()
    with tempfile.TemporaryDirectory(prefix="tinymlperf-submit-") as tmp:
        scratch = Path(tmp).resolve()
        staged = entry_folder(scratch, team, event_id)
        stage(source, staged)
        report = submission.check(staged, train_contract=True)
        if not report.ok:
            first = str(report.errors[0]).replace(str(scratch) + "/", "")
            raise ScorerError(
                f"the entry is invalid: {first}; run `tinymlperf validate {submission.display(source)}` for all {len(report.errors)} problem(s)"
            )
        job = job_from_args(args, repo)
        job.repo_root = scratch
        baseline = entry_folder(repo, BASELINE_TEAM, event_id)
        baseline = baseline if (baseline / METADATA).is_file() else None
        if baseline is not None:
            precheck(staged, event_id, job, team, source)
        record = scoring.score_entry(staged, event_id, job, baseline)
        if not record["qualified"]:
            raise ScorerError(
                f"{team}/{event_id} does not qualify ({record['status']}: {record['reason']}); "
                f"fix it and check with `tinymlperf run --event {event_id} --submission {submission.display(source)}`"
            )
        meta = json.loads((staged / METADATA).read_text(encoding="utf-8"))
        meta["claimed"] = claimed(record)
        problems = schema.validate(meta, "submission")
        if problems:
            raise ScorerError(
                f"{rel}/{METADATA}: {problems[0]} after writing the measured numbers; fix the file and submit again"
            )
        text = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
        (staged / METADATA).write_text(text, encoding="utf-8")
        q, s, m = record["quality"]["median"], record["speed"]["median"], record["memory"]["median"]
        numbers = f"{event.quality.key} {q:.4g} (threshold {event.threshold:g}), {event.speed.key} {s:.4g} {event.speed.unit}, peak memory {m:.0f} MiB"
        message = (
            f"Submit {team}/{event_id}: {numbers}\n\n"
            f"Checked locally with `tinymlperf submit` (scorer {scorer.__version__}, {record['repeats']} repeat(s)).\n"
        )
        commit = commit_folder(repo, head, staged, rel, message, scratch)
        # An empty old value makes the update fail if someone created the branch meanwhile.
        _git(repo, "update-ref", "-m", "tinymlperf submit", f"refs/heads/{branch}", commit, "")
        if source == target:
            results.atomic_write_text(target / METADATA, text)
        else:
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(staged, target)
    try:
        existing = results.load_records(repo / "results")
    except ScorerError:
        existing = []
    current = _git(repo, "branch", "--show-current").strip() or "a detached HEAD"
    print(
        f"Created branch {branch} with one commit ({commit[:10]}) on top of {head[:10]}; you are still on {current}."
    )
    print(f"Measured: {numbers}; would rank {would_rank(record, existing)}.")
    print(
        f'The numbers are now in {rel}/{METADATA} ("claimed"), in the commit and in your work tree.'
    )
    for path in _outside(repo, commit, rel)[:5]:
        print(
            f"warning: the branch also changes {path} against main; the pull-request check will fail: "
            "make the branch from an up-to-date main (git fetch upstream && git switch main && git merge upstream/main)"
        )
    print(f"""
Next steps:
  1. Push the branch to your fork:
       git push -u origin {branch}
  2. Open a pull request from {branch} into main of the TinyMLPerf repository
     (on the page git push prints, or: gh pr create --fill --head {branch}).
  3. The check re-runs your entry with the official scorer and the TinyMLPerf bot comments once
     with the verdict, the measured numbers, the rank it would take and any problem to fix;
     every push updates that comment.
  4. A maintainer reviews and merges; CI then scores the entry officially and the leaderboard updates.""")
    return 0
