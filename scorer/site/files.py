"""Files in and out of ``tinymlperf build``: the validation cache, a process-pool map and the
incremental writer. Split from ``scorer.site.build`` so that module reads as the build's stages.

At 10,000 records the build's cost is jsonschema validation (20,000 files) and writing 23,000
small files; these helpers make a rebuild validate and write only what changed, and spread the
pure work (validation, badges, charts) over the cores.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import shutil
from pathlib import Path

from scorer.contract import schema
from scorer.contract.errors import SubmissionError, UsageError
from scorer.contract.results import load_record
from scorer.validate.submission import load_metadata

MARKER = ".tinymlperf-build"  # marks a folder the build owns and may empty
PARALLEL_MIN = 400  # items before a process pool pays for its start


class ValidationCache:
    """Remembers the SHA-256 of every input file that passed schema validation.

    Validating 10,000 records with jsonschema takes most of a cold build; a file whose bytes
    (and the schemas) are unchanged since it last validated is only parsed. The cache lives in
    build/ (never committed, absent on a fresh CI checkout, so CI always validates in full),
    and a file that is new or changed goes through ``load_record`` / ``load_metadata`` as usual,
    with their errors.
    """

    def __init__(self, path: Path):
        self.path = path
        self.key = hashlib.sha256(
            b"".join(
                json.dumps(schema.load_schema(n), sort_keys=True).encode()
                for n in ("result", "submission")
            )
        ).hexdigest()
        self.seen: dict[str, str] = {}  # path -> digest of every file read this build
        self.valid: set[str] = set()  # paths validated this build (cache misses that passed)
        self.known: dict[str, str] = {}
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("key") == self.key:
                self.known = dict(data["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no cache or a broken one: validate everything

    def _check(self, path: Path) -> tuple[bytes, bool]:
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        hit = self.known.get(str(path)) == digest
        self.seen[str(path)] = digest
        if hit:
            self.valid.add(str(path))
        return raw, hit

    def records(self, results_dir: Path) -> list[dict]:
        """Like ``scorer.contract.results.load_records``: sorted, every record valid or a RecordError."""
        paths = sorted(results_dir.glob("*/*.json")) if results_dir.is_dir() else []
        out: list[dict | None] = []
        misses = []
        for path in paths:
            raw, hit = self._check(path)
            data = json.loads(raw) if hit else None
            if data is None or (data.get("team"), data.get("event")) != (
                path.parent.name,
                path.stem,
            ):
                misses.append((len(out), path))
                data = None
            out.append(data)
        # load_record validates and raises RecordError naming the file, as load_records does.
        for (i, _path), data in zip(
            misses, parallel_map(load_record, [p for _, p in misses]), strict=True
        ):
            out[i] = data
        for _, path in misses:
            self.valid.add(str(path))
        return out

    def metadata(self, folders: list[Path]) -> list[dict | str]:
        """Each folder's submission.json (validated), or the SubmissionError's message."""
        out: list[dict | str | None] = []
        misses = []
        for folder in folders:
            path = folder / "submission.json"
            if path.is_file() and not path.is_symlink():
                raw, hit = self._check(path)
                if hit:
                    out.append(json.loads(raw))
                    continue
            misses.append((len(out), folder))
            out.append(None)
        for (i, folder), data in zip(
            misses, parallel_map(_metadata, [f for _, f in misses]), strict=True
        ):
            out[i] = data
            if isinstance(data, dict):
                self.valid.add(str(folder / "submission.json"))
        return out

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            files = {p: d for p, d in self.seen.items() if p in self.valid}
            tmp.write_text(json.dumps({"key": self.key, "files": files}, sort_keys=True))
            tmp.replace(self.path)
        except OSError:
            pass  # a read-only checkout still builds, just without the cache


def _metadata(folder: Path) -> dict | str:
    try:
        return load_metadata(folder)
    except SubmissionError as err:
        return str(err)


def parallel_map(func, items: list) -> list:
    """``[func(x) for x in items]``, on every core when there is enough work to pay for it.

    Badges and team charts are pure functions of small arguments; at 10,000 records they are
    half the build. Results come back in input order, so the output stays deterministic.
    """
    workers = min(os.cpu_count() or 1, 4)
    if len(items) < PARALLEL_MIN or workers < 2 or "fork" not in mp.get_all_start_methods():
        return [func(x) for x in items]
    with mp.get_context("fork").Pool(workers) as pool:
        return pool.map(func, items, chunksize=max(1, len(items) // (workers * 4)))


def _prepare(out: Path) -> None:
    """Make ``out`` if needed; refuse a non-empty folder that the build did not make."""
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file()):
            raise UsageError(
                f"{out} exists and was not made by tinymlperf build; "
                "choose an empty or new folder with --out"
            )
    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    if not marker.is_file():
        marker.write_text("made by tinymlperf build; its contents are replaced on every build\n")


def write_tree(
    out: Path, files: dict[str, str | bytes], *, copy_from: Path | None, records_from: Path | None
) -> None:
    """Make ``out`` hold exactly ``files`` plus the copies, touching only what changed.

    A rebuild of 10,000 records rewrites a handful of files instead of 20,000, and a file that
    no input produces any more (a removed team's page, say) is deleted.
    """
    _prepare(out)
    wanted: dict[str, bytes | Path] = {}
    if copy_from is not None and copy_from.is_dir():
        for src in sorted(copy_from.rglob("*")):
            if src.is_file():
                wanted[src.relative_to(copy_from).as_posix()] = src
    if records_from is not None and records_from.is_dir():
        for src in sorted(records_from.glob("*/*.json")):
            wanted[f"data/results/{src.parent.name}/{src.name}"] = src
    for rel, content in files.items():
        wanted[rel] = content.encode("utf-8") if isinstance(content, str) else content
    for dirpath, _dirs, filenames in os.walk(out, topdown=False):
        base = Path(dirpath)
        for name in filenames:
            rel = (base / name).relative_to(out).as_posix()
            if rel not in wanted and rel != MARKER:
                (base / name).unlink()
        if base != out and not any(base.iterdir()):
            base.rmdir()
    made: set[Path] = set()
    for rel in sorted(wanted):
        src, path = wanted[rel], out / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        if isinstance(src, Path) and src.is_relative_to(records_from or out):
            _link(src, path)
            continue
        data = src.read_bytes() if isinstance(src, Path) else src
        try:
            st = path.stat()
            if st.st_size == len(data) and st.st_nlink == 1 and path.read_bytes() == data:
                continue
            path.unlink()  # never write through a hard link into an official record
        except FileNotFoundError:
            pass
        path.write_bytes(data)


def _link(src: Path, dst: Path) -> None:
    """Put the record ``src`` at ``dst`` as a hard link (one metadata operation instead of a
    read and a write: 10,000 records are a third of a cold build's I/O), or a copy where the
    file system cannot link. MkDocs copies the bytes into site/, so the site holds copies."""
    try:
        if os.path.samefile(src, dst):
            return
        dst.unlink()
    except FileNotFoundError:
        pass
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
