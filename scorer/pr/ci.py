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
whose files contradict the summary, never gets a pass it cannot vouch for (see
scorer.pr.scope.vouch()).

This module runs the two commands; scorer.pr.scope finds what the pull request changes,
scorer.pr.check checks each changed entry, and scorer.pr.report renders the report.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import scorer
from scorer.contract import results, schema
from scorer.contract.errors import ScorerError, UsageError
from scorer.pr.check import base_context, check_entry, entry_summary
from scorer.pr.report import MARK, render, render_unvouched
from scorer.pr.scope import (
    changed_paths,
    decode_path,
    git,
    read_pr_files,
    resolve,
    scope,
    vouch,
    with_lib_users,
)
from scorer.text import github_md, one_line

MARKER = "<!-- tinymlperf-pr-check -->"  # finds the bot's one sticky comment again
MAX_SUMMARY_BYTES = 4 * 2**20
MAX_COMMENT_CHARS = 60_000
RUN_URL = re.compile(
    r"^https://[A-Za-z0-9.-]+/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/actions/runs/[0-9]+(/attempts/[0-9]+)?$"
)


def comment(args) -> int:
    """``tinymlperf ci comment``: the bot's comment, re-rendered from an untrusted summary.

    With ``--pr-files`` (the pull request's files as GitHub lists them), a summary whose
    scope the file list contradicts, or any pull request that changes .github/, gets a
    failing comment without the run's verdict: see vouch().
    """
    path = Path(args.summary)
    try:
        if path.stat().st_size > MAX_SUMMARY_BYTES:
            raise ScorerError(
                f"{path}: larger than {MAX_SUMMARY_BYTES:,} bytes; not a summary this scorer wrote"
            )
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ScorerError(
            f"{path}: not a readable JSON summary ({one_line(str(err), 200)}); nothing to post"
        ) from err
    problems = schema.validate(data, "pr-summary")
    if problems:
        raise ScorerError(
            f"{path}: {one_line(str(problems[0]), 300)}; it does not match pr-summary.schema.json, so nothing is posted"
        )
    files = read_pr_files(Path(args.pr_files)) if getattr(args, "pr_files", None) else None
    doubts = vouch(data, files) if files is not None else []
    verdict = "fail (not vouched for)" if doubts else data["verdict"]
    body = render_unvouched(data, files, doubts) if doubts else render(data)
    if len(body) > MAX_COMMENT_CHARS:  # GitHub refuses comments over 65,536 characters
        body = (
            body[:MAX_COMMENT_CHARS].rsplit("\n", 1)[0]
            + "\n\n*(report truncated; the workflow run has all of it)*\n"
        )
    footer = f"\n<sub>Commit {data['head']['sha'][:10]} checked by scorer {github_md(data['scorer_version'])}"
    footer += (
        f" · [workflow run]({args.run_url})</sub>\n"
        if RUN_URL.match(args.run_url or "")
        else "</sub>\n"
    )
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
    merge_base = git(repo, "merge-base", base, head).decode().strip()
    paths = changed_paths(repo, merge_base, head)
    team, changed, problems = scope(paths)
    changed = with_lib_users(repo, head, changed)
    entries = []
    work = Path(tempfile.mkdtemp(prefix="tinymlperf-pr-")).resolve()
    try:
        existing, notes = base_context(repo, base, work) if changed and not problems else ([], [])
        problems += notes
        for t, event in sorted(changed):
            if any(p.severity == "error" for p in problems):
                # A pull request out of scope is not scored: the answer comes fast and clear.
                entries.append(
                    entry_summary(
                        t,
                        event,
                        "not_scored",
                        "not scored: fix the pull request's problems first",
                        [],
                    )
                )
            else:
                entries.append(check_entry(repo, base, head, t, event, work, existing, args))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = (
        not any(p.severity == "error" for p in problems)
        and bool(entries)
        and all(
            e["qualified"] and not any(p.severity == "error" for p in e["problems"])
            for e in entries
        )
    )
    summary = {
        "schema_version": 1,
        "pr_number": args.pr_number,
        "base": {"ref": one_line(args.base, 255), "sha": base},
        "head": {"ref": one_line(args.head, 255), "sha": head},
        "merge_base": merge_base,
        "scorer_version": scorer.__version__,
        "verdict": "pass" if ok else "fail",
        "team": team,
        "changed_files": [decode_path(p)[0] for p in paths[:500]],
        "changed_files_count": len(paths),
        "entries": entries,
        "problems": [asdict(p) for p in problems[:500]],
    }
    for e in entries:
        e["problems"] = [
            asdict(p)
            for p in sorted(set(e["problems"]), key=lambda p: (p.severity != "error", p.where))
        ][:200]
    invalid = schema.validate(summary, "pr-summary")
    if invalid:  # we built it: a bug, so it keeps its traceback
        raise ValueError(f"refusing to write an invalid pr summary: {invalid[0]}")
    results.atomic_write_text(Path(args.report), render(summary))
    results.atomic_write_text(
        Path(args.summary), json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    )
    print(
        f"{MARK[summary['verdict']]} {summary['verdict']}: wrote {args.report} and {args.summary}"
    )
    return 0 if ok else 1
