"""A submission folder: find it, read its metadata safely, hash it, and validate it.

A submission is ``submissions/<team-id>/<event-id>/`` holding ``submission.json``, the team's
Python code, optional ``.npz``/``.npy`` weights and a ``README.md``. Nothing here imports or
runs submission code: the checks read bytes, JSON and Python syntax trees only.

    tinymlperf validate                      # every submission in the repository
    tinymlperf validate submissions/me/mlp_sprint
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from scorer.contract import schema
from scorer.contract.errors import SubmissionError
from scorer.contract.events import EVENT_IDS, EVENTS
from scorer.contract.problems import Problem, display
from scorer.validate import answers, source, training, weights

METADATA = "submission.json"
MAX_METADATA_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
MAX_FOLDER_BYTES = 25 * 1024 * 1024
MAX_FILES = 200
ALLOWED_SUFFIXES = (".py", ".json", ".md", ".npz", ".npy", ".txt", ".yaml", ".yml", ".toml", ".cfg")
ALLOWED_PLAIN_NAMES = ("LICENSE",)
LIB = "lib"  # submissions/<team>/lib/: one copy of a team's own framework for all its events
# One path component: safe ASCII, no leading dot (hidden files) and no "..".
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
TEAM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# Local caches that a team's own test runs leave behind; they never enter the sandbox copy.
IGNORED_DIRS = ("__pycache__",)


@dataclass
class Report:
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    metadata: dict | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def find_submissions(submissions_dir: Path) -> list[Path]:
    """Every ``<team>/<event>`` folder under ``submissions/``, sorted, links not followed
    (a team's shared ``lib/`` is not an entry)."""
    found = []
    if not submissions_dir.is_dir():
        return found
    for team in sorted(submissions_dir.iterdir()):
        if team.name.startswith(".") or team.is_symlink() or not team.is_dir():
            continue
        for event in sorted(team.iterdir()):
            if event.is_dir() and not event.is_symlink() and event.name != LIB:
                found.append(event)
    return found


def _depth(value: object, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


class _BadNumber(ValueError):
    pass


def _no_constant(name: str) -> float:
    raise _BadNumber(f"{name} is not a JSON number; write a finite number")


def _int(digits: str) -> int:
    if len(digits) > 64:  # Python refuses to convert > 4300 digits with a bare ValueError
        raise _BadNumber(f"a {len(digits):,}-digit number; write a number of sensible size")
    return int(digits)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(f"{text[:40]} overflows to infinity; write a finite number")
    return value


def read_metadata(folder: Path) -> tuple[dict | None, list[Problem]]:
    """Parse ``submission.json`` defensively: size, encoding, syntax and depth come first."""
    path = folder / METADATA
    where = display(path)
    if path.is_symlink() or not path.is_file():
        return None, [
            Problem(
                where,
                f"missing {METADATA}; create it with `tinymlperf new` or copy the example in the docs",
            )
        ]
    size = path.stat().st_size
    if size == 0:
        return None, [
            Problem(
                where,
                "the file is empty; it must hold a JSON object (see the Submission format page)",
            )
        ]
    if size > MAX_METADATA_BYTES:
        return None, [
            Problem(
                where,
                f"the file is {size:,} bytes; the limit is {MAX_METADATA_BYTES:,}: keep only the metadata in it",
            )
        ]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return None, [Problem(where, f"not UTF-8 (byte {err.start}); save the file as UTF-8")]
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_int=_int, parse_float=_float)
    except RecursionError:
        return None, [
            Problem(
                where, f"JSON nested too deeply; the format needs at most {MAX_JSON_DEPTH} levels"
            )
        ]
    except json.JSONDecodeError as err:
        return None, [
            Problem(f"{where}:{err.lineno}", f"not valid JSON: {err.msg} at column {err.colno}")
        ]
    except _BadNumber as err:
        return None, [Problem(where, f"not valid JSON: {err}")]
    if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        return None, [
            Problem(
                where, f"JSON nested too deeply; the format needs at most {MAX_JSON_DEPTH} levels"
            )
        ]
    problems = [
        Problem(f"{where}: {p.path}", p.message) for p in schema.validate(data, "submission")
    ]
    return data, problems


def load_metadata(folder: Path) -> dict:
    """The metadata of a submission that must be valid (the site and the scorer read it)."""
    data, problems = read_metadata(folder)
    if data is None or problems:
        first = problems[0] if problems else Problem(display(folder / METADATA), "unreadable")
        raise SubmissionError(
            f"{first}; run `tinymlperf validate {display(folder)}` for every problem"
        )
    return data


def list_files(folder: Path) -> tuple[list[Path], list[Problem]]:
    """The submission's files (sorted), and every problem with the folder's layout."""
    files: list[Path] = []
    problems: list[Problem] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS)
        for name in sorted(dirnames) + sorted(filenames):
            path = here / name
            where = display(path)
            if not SAFE_NAME.match(name) or name.startswith("."):
                shown = name.encode("unicode_escape").decode("ascii")
                problems.append(
                    Problem(
                        display(here) + "/" + shown,
                        "file names must be ASCII letters, digits, '_', '-' and '.', not hidden and not '..'; rename it",
                    )
                )
                if name in dirnames:
                    dirnames.remove(name)
                continue
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                problems.append(
                    Problem(where, "symbolic links are not allowed; commit the file itself")
                )
                if name in dirnames:
                    dirnames.remove(name)
                continue
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                problems.append(Problem(where, "only regular files are allowed"))
                continue
            if not (name.endswith(ALLOWED_SUFFIXES) or name in ALLOWED_PLAIN_NAMES):
                problems.append(
                    Problem(
                        where,
                        f"file type not allowed; allowed: {', '.join(ALLOWED_SUFFIXES)} and LICENSE",
                    )
                )
                continue
            total += path.stat().st_size
            files.append(path)
            if len(files) > MAX_FILES:
                problems.append(
                    Problem(
                        display(folder),
                        f"more than {MAX_FILES} files; the limit keeps reviews possible",
                    )
                )
                return files, problems
    if total > MAX_FOLDER_BYTES:
        problems.append(
            Problem(
                display(folder),
                f"the folder holds {total / 2**20:.1f} MiB; the limit is {MAX_FOLDER_BYTES / 2**20:.0f} MiB (shrink or quantize the weights)",
            )
        )
    return files, problems


def blas_threads(meta: dict | None) -> int | None:
    """The BLAS pool an entry's parsed ``submission.json`` asks for (``blas_threads``), if any.

    Read for the sandbox's environment only; a manifest the validator rejected is never run,
    so anything but a positive integer here means "not asked".
    """
    value = meta.get("blas_threads") if isinstance(meta, dict) else None
    return value if type(value) is int and value >= 1 else None


def team_lib(folder: Path) -> Path | None:
    """The team's shared framework folder beside the entry (``../lib``), when there is one.

    The sandbox puts it on the entry's import path, the validator checks its files with the
    entry's and the content hash covers it, so a change there re-scores every event using it.
    """
    lib = Path(folder).parent / LIB
    return lib if lib.is_dir() and not lib.is_symlink() else None


def _hashed_files(folder: Path) -> list[tuple[str, Path]]:
    files, _ = list_files(folder)
    named = [(p.relative_to(folder).as_posix(), p) for p in files]
    lib = team_lib(folder)
    if lib is not None:
        # "../lib/..." cannot collide with a path inside the folder.
        named += [(f"../{LIB}/{p.relative_to(lib).as_posix()}", p) for p in list_files(lib)[0]]
    return sorted(named)


def content_hash(folder: Path) -> str:
    """sha256 over every file's relative path and bytes, in sorted order: what was scored
    (the team's shared ``lib/`` included, as ``../lib/...``)."""
    digest = hashlib.sha256()
    for name, path in _hashed_files(folder):
        rel = name.encode()
        # Streamed: the same digest as hashing the whole file, without holding it in memory
        # (score_entry hashes invalid folders too, whose files may be gigabytes).
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            digest.update(len(rel).to_bytes(8, "big") + rel + size.to_bytes(8, "big"))
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def check(folder: Path, train_contract: bool = False) -> Report:
    """Every problem of one submission folder; never imports or runs its code.

    ``train_contract``: also hold a weights-loading entry to the training contract (a train.py
    with a top-level ``fit``, itself within the sandbox's import allowlist), as ``tinymlperf
    validate``, ``run``, ``reproduce``, ``submit`` and ``ci pr`` do. Off for the scoring engine, which scores the
    shipped weights either way (whether they were reproduced is the record's provenance).
    """
    report = Report(folder)
    if folder.is_symlink() or not folder.is_dir():
        report.problems.append(
            Problem(
                display(folder),
                "not a submission folder; expected submissions/<team-id>/<event-id>/",
            )
        )
        return report
    data, problems = read_metadata(folder)
    report.metadata = data
    report.problems += problems
    files, layout = list_files(folder)
    report.problems += layout
    lib = team_lib(folder)
    lib_files: list[Path] = []
    if lib is not None:
        lib_files, lib_layout = list_files(lib)
        report.problems += lib_layout
    meta_where = display(folder / METADATA)
    # The names as written, not as resolved: a team folder that links to another team's would
    # otherwise pass as that team and be scored under the link's name.
    named = Path(os.path.abspath(folder))
    event_dir, team_dir = named.name, named.parent.name
    if named.parent.is_symlink():
        report.problems.append(
            Problem(
                str(folder.parent), "the team folder is a symbolic link; commit the folder itself"
            )
        )
    if event_dir not in EVENT_IDS:
        report.problems.append(
            Problem(
                display(folder),
                f"folder {event_dir!r} is not an event; use one of {', '.join(EVENT_IDS)}",
            )
        )
    if not TEAM_ID.match(team_dir):
        report.problems.append(
            Problem(
                display(folder.parent), "team folder must be a slug of 2-40 characters [a-z0-9-]"
            )
        )
    entry = "submission.py"
    if isinstance(data, dict):
        team = data.get("team") if isinstance(data.get("team"), dict) else {}
        if isinstance(team.get("id"), str) and team.get("id") != team_dir:
            report.problems.append(
                Problem(
                    f"{meta_where}: $.team.id",
                    f"{team['id']!r} does not match the folder {team_dir!r}; make them equal",
                )
            )
        if isinstance(data.get("event"), str) and data.get("event") != event_dir:
            report.problems.append(
                Problem(
                    f"{meta_where}: $.event",
                    f"{data['event']!r} does not match the folder {event_dir!r}; move the folder or fix the event",
                )
            )
        if isinstance(data.get("entrypoint"), str):
            entry = data["entrypoint"]
        if data.get("innovation") is True and not (folder / "README.md").is_file():
            report.problems.append(
                Problem(
                    display(folder / "README.md"),
                    "the Innovation Track needs a README.md write-up; add one or set innovation to false",
                )
            )
    entry_path = folder / entry
    if ".." in Path(entry).parts or Path(entry).is_absolute():
        report.problems.append(
            Problem(f"{meta_where}: $.entrypoint", "must be a path inside the submission folder")
        )
    elif entry_path not in files:
        report.problems.append(
            Problem(
                f"{meta_where}: $.entrypoint",
                f"{entry!r} is not a Python file in the folder; add it or fix the name",
            )
        )
    rest = [p for p in report.problems if p not in problems]
    event = EVENTS.get(event_dir)
    train = None
    if train_contract and event is not None and event.loads_weights:
        rest += training.check_train(folder, event.name)
        train = folder / training.TRAIN_FILE if folder / training.TRAIN_FILE in files else None
    rest += source.check_code(
        folder, files + lib_files, entry_path if entry_path in files else None, lib, train
    )
    rest += weights.check_weights(folder, files + lib_files)
    rest += answers.check_answer_tables(folder, files + lib_files)
    # The schema's best match stays the headline; everything else is sorted, errors first.
    report.problems = problems + sorted(
        set(rest), key=lambda p: (p.severity != "error", p.where, p.message)
    )
    return report
