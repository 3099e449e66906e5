"""Which entries a pull request touches: the git diff against the base, and its scope.

A submission pull request changes exactly one team's folder under ``submissions/`` and nothing
else; ``scope`` says which (team, event) entries it changes and every way it goes outside
that. ``vouch`` judges the same scope again from the pull request's file list as GitHub's API
gives it, for the comment workflow. Paths from the pull request are names only: never a git
pattern, never shown unescaped (``scorer.text.one_line``, ``decode_path``).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scorer.contract.errors import ScorerError, UsageError
from scorer.contract.events import BASELINE_TEAM, EVENT_IDS
from scorer.text import one_line
from scorer.validate import submission
from scorer.validate.submission import TEAM_ID

# Characters of a submitted path shown in the summary and the report.
PATH_LIMIT = 600

# Where a pull request must not go, and what to tell the person who went there.
AREA_HINTS = {
    "scorer": "the scorer is maintained by the maintainers; a submission cannot change how it is scored",
    ".github": "workflows and repository settings are maintainers-only",
    "results": "results/ holds official records that CI writes after the merge; never edit them by hand",
}


@dataclass(frozen=True)
class Finding:
    where: str
    message: str
    severity: str = "error"  # "error" fails the check, "warning" is for the reviewers
    kind: str = "scope"  # scope | path | validation | scoring


def git(repo: Path, *args: str) -> bytes:
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
    out = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            f"{ref}^{{commit}}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise UsageError(
            f"{option} {ref}: no such commit in {repo}; fetch it first (git fetch origin {ref})"
        )
    return out.stdout.strip()


def decode_path(raw: bytes) -> tuple[str, str | None]:
    """The path as text, and why it is unsafe (None when it is fine)."""
    try:
        path = raw.decode("utf-8")
    except UnicodeDecodeError:
        return one_line(
            raw.decode("utf-8", "backslashreplace"), PATH_LIMIT
        ), "the path is not UTF-8; rename it with ASCII letters, digits, '_', '-' and '.'"
    if path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/")):
        return one_line(
            path, PATH_LIMIT
        ), "the path is absolute or holds '.' or '..' components; remove it"
    if any(not c.isprintable() for c in path):
        return one_line(
            path, PATH_LIMIT
        ), "the path holds control or invisible characters; rename it"
    return path, None


def changed_paths(repo: Path, merge_base: str, head: str) -> list[bytes]:
    """Every path the head changes since the merge base (renames as a delete plus an add)."""
    out = git(
        repo,
        "diff",
        "--name-only",
        "-z",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        merge_base,
        head,
        "--",
    )
    return [p for p in out.split(b"\0") if p]


def scope(paths: list[bytes]) -> tuple[str | None, dict[tuple[str, str], list[str]], list[Finding]]:
    """The one team, its changed entries (team, event) -> paths, and every scope problem."""
    entries: dict[tuple[str, str], list[str]] = {}
    problems: list[Finding] = []
    teams: set[str] = set()
    if not paths:
        problems.append(
            Finding(
                "(pull request)",
                "the pull request changes no files; add your entry under submissions/<team-id>/<event-id>/",
            )
        )
    for raw in paths:
        path, bad = decode_path(raw)
        if bad:
            problems.append(Finding(path, bad, kind="path"))
            continue
        parts = path.split("/")
        if parts[0] != "submissions":
            hint = AREA_HINTS.get(
                parts[0], "a submission pull request changes only submissions/<team-id>/<event-id>/"
            )
            problems.append(
                Finding(
                    path,
                    f"outside submissions/: {hint}; move this change to a separate pull request",
                )
            )
            continue
        if len(parts) < 4:
            problems.append(
                Finding(path, "files go inside submissions/<team-id>/<event-id>/; move it there")
            )
            continue
        team, event = parts[1], parts[2]
        teams.add(team)
        entries.setdefault((team, event), []).append(path)
        if team == BASELINE_TEAM:
            problems.append(
                Finding(
                    path,
                    "the baseline team is maintainers-only; put your entry under submissions/<your-team-id>/",
                )
            )
        elif not TEAM_ID.match(team):
            problems.append(
                Finding(
                    path,
                    "a team folder is a slug of 2-40 characters a-z, 0-9 and '-'; rename the folder",
                )
            )
    if len(teams) > 1:
        names = ", ".join(sorted(teams))
        problems.append(
            Finding(
                "submissions/",
                f"the pull request changes the folders of {len(teams)} teams ({names}); one pull request changes one team's folder: split it",
            )
        )
    team = next(iter(teams)) if len(teams) == 1 and TEAM_ID.match(next(iter(teams))) else None
    return team, entries, problems


def with_lib_users(
    repo: Path, head: str, changed: dict[tuple[str, str], list[str]]
) -> dict[tuple[str, str], list[str]]:
    """A change to a team's shared ``lib/`` changes every entry of the team that imports it:
    replace the ``(team, "lib")`` scope by each of the team's event folders at the head."""
    out = {k: v for k, v in changed.items() if k[1] != submission.LIB}
    for (team, event), paths in changed.items():
        if event != submission.LIB:
            continue
        listing = git(repo, "ls-tree", "-z", "--name-only", head, "--", f"submissions/{team}/")
        for raw in filter(None, listing.split(b"\0")):
            name = raw.decode("utf-8", "replace").rsplit("/", 1)[-1]
            if name in EVENT_IDS:
                out.setdefault((team, name), []).extend(paths)
    return out


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
                    raise ValueError(f"{one_line(line, 80)} is not a JSON string")
                names.append(name)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ScorerError(
            f"{path}: not a list of the pull request's files ({one_line(str(err), 200)}); nothing to post"
        ) from err
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
        doubts.append(
            Finding(
                ".github/",
                "this pull request changes .github/, so the check ran a workflow the pull request "
                "may have altered and its report is not evidence; maintainers, review it by hand",
            )
        )
    if len(files) >= MAX_API_FILES:
        doubts.append(
            Finding(
                "(pull request)",
                f"GitHub lists only the first {MAX_API_FILES:,} changed files; split the pull request",
            )
        )
    listed = [decode_path(f.encode("utf-8", "surrogateescape"))[0] for f in files]
    if data["changed_files_count"] != len(files) or (
        len(files) <= 500 and sorted(data["changed_files"]) != sorted(listed)
    ):
        doubts.append(
            Finding(
                "(pull request)",
                f"the check's summary lists {data['changed_files_count']} changed file(s), "
                f"GitHub lists {len(files)} for this pull request: the report is not evidence",
            )
        )
    _, _, scoped = scope([f.encode("utf-8", "surrogateescape") for f in files])
    scoped = [p for p in scoped if p.severity == "error"]
    # A failing summary that agrees with GitHub's list is the base workflow's honest refusal:
    # it is shown as it is. A pass that the list contradicts is not.
    if doubts or (scoped and data["verdict"] == "pass"):
        return doubts + scoped
    return []
