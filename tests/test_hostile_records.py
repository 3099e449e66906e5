"""Interrupted and concurrent work on the official records under results/.

A scorer killed mid-run leaves the old record as it was; a half-written or otherwise unreadable
record is named (file and fix) by every command that reads it, with a non-zero exit and no
traceback; two scorers writing at once both land and the history keeps every earlier number;
a re-score moves a corrupt record aside (kept) and writes a fresh one. The unit tests of
scorer/contract/results.py (tests/test_results.py) cover the write/load functions one call at a time;
these go through ``tinymlperf score``/``build``/``plan`` and real processes.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scorer.cli.main import main
from scorer.contract import results
from scorer.contract.errors import RecordError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXAMPLE = json.loads((HERE / "fixtures" / "records" / "example_mlp_sprint.json").read_text())
VALID_ENTRY = HERE / "fixtures" / "submissions" / "valid" / "fast-tensors" / "mlp_sprint"

# Runs the real `tinymlperf score` in a fresh process, with small synthetic MNIST in place of
# the dataset (the same data every time, so the good entry qualifies).
DRIVER = textwrap.dedent("""
    import sys
    import numpy as np
    from scorer.scoring import engine as scoring
    from scorer.cli.main import main

    rng = np.random.default_rng(0)
    centres = rng.integers(0, 256, size=(10, 28, 28))

    def draw(n):
        y = rng.integers(0, 10, size=n).astype(np.uint8)
        x = np.clip(centres[y] + rng.integers(-20, 21, size=(n, 28, 28)), 0, 255).astype(np.uint8)
        return x, y

    x_train, y_train = draw(300)
    x_test, y_test = draw(200)
    DATA = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    scoring.Job.data = lambda self, event_id: DATA
    sys.exit(main(sys.argv[1:]))
""")


def record(team: str = "fast-tensors", **changes) -> dict:
    r = copy.deepcopy(EXAMPLE)
    r["team"] = team
    for key, value in changes.items():
        outer, _, inner = key.partition(".")
        if inner:
            r[outer][inner] = value
        else:
            r[outer] = value
    return r


def repo_with_entry(tmp_path: Path, source: str | None = None) -> Path:
    """tmp_path/repo with submissions/fast-tensors/mlp_sprint and an official record for it."""
    import shutil

    repo = tmp_path / "repo"
    folder = repo / "submissions" / "fast-tensors" / "mlp_sprint"
    shutil.copytree(VALID_ENTRY, folder)
    if source is not None:
        (folder / "submission.py").write_text(textwrap.dedent(source))
    results.write_record(repo / "results", record())
    results.write_record(repo / "results", record(team="other-team"))
    (tmp_path / "driver.py").write_text(DRIVER)
    return repo


def score_cmd(tmp_path: Path, repo: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(tmp_path / "driver.py"),
        "score",
        "--repo",
        str(repo),
        "--submission",
        str(repo / "submissions" / "fast-tensors" / "mlp_sprint"),
        "--repeats",
        "1",
        "--threads",
        "1",
        *extra,
    ]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def no_traceback(err: str) -> None:
    assert "Traceback" not in err, err[-3000:]


# --- the scorer killed mid-run ------------------------------------------------------


def test_scorer_killed_mid_run_leaves_the_old_record(tmp_path):
    repo = repo_with_entry(
        tmp_path,
        """
        import time
        import numpy as np


        def train(x, y):
            time.sleep(60)


        def predict(m, x):
            return np.zeros(len(x), np.int64)
    """,
    )
    before = snapshot(repo / "results")
    proc = subprocess.Popen(
        score_cmd(tmp_path, repo),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen = ""
    deadline = time.monotonic() + 60
    while "entry ..." not in seen and time.monotonic() < deadline:  # the round has started
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert "entry ..." in seen, seen
    time.sleep(1.0)  # inside train()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(repo / "results") == before  # no partial record, no temporary file
    assert [r["team"] for r in results.load_records(repo / "results")] == [
        "fast-tensors",
        "other-team",
    ]


def test_scorer_killed_between_writing_and_renaming(tmp_path):
    """SIGKILL after the new record's bytes are written but before the rename: the official
    record is still the old one, and the stray temporary file is not read as a record."""
    repo = tmp_path / "repo"
    results.write_record(repo / "results", record())
    before = (repo / "results" / "fast-tensors" / "mlp_sprint.json").read_bytes()
    code = textwrap.dedent(f"""
        import json, os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from scorer.contract import results
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
        rec = json.loads(Path({str(HERE / "fixtures/records/example_mlp_sprint.json")!r}).read_text())
        rec["team"] = "fast-tensors"
        rec["speed"]["median"] = 0.001
        results.write_record(Path({str(repo / "results")!r}), rec)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (repo / "results" / "fast-tensors" / "mlp_sprint.json").read_bytes() == before
    leftovers = list((repo / "results" / "fast-tensors").glob(".mlp_sprint.json.*.tmp"))
    assert len(leftovers) == 1
    loaded = results.load_records(repo / "results")
    assert len(loaded) == 1 and loaded[0]["speed"]["median"] == EXAMPLE["speed"]["median"]
    # The next write is not disturbed by the stray file, and the lock was released by the kill.
    results.write_record(repo / "results", record(**{"speed.median": 0.002}))
    assert (
        results.load_records(repo / "results")[0]["history"][-1]["speed"]
        == EXAMPLE["speed"]["median"]
    )


# --- a half-written or unreadable record --------------------------------------------------

CORRUPT = {
    "truncated": lambda text: text[: len(text) // 2],
    "empty": lambda text: "",
    "not-utf8": lambda text: (
        text.replace('"baseline"', '"fast-tensors"').encode("utf-8")[:40] + b"\xff\xfe"
    ),
    "nul-bytes": lambda text: "\0" * 64,
    "huge-integer": lambda text: text.replace(
        '"schema_version": 1', '"schema_version": ' + "9" * 5000
    ),
    "deeply-nested": lambda text: "[" * 100_000,
    "not-an-object": lambda text: "[]",
    "wrong-schema": lambda text: text.replace('"status": "ok"', '"status": "pwned"'),
}


def write_corrupt(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = CORRUPT[kind](json.dumps(record(), indent=2))
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_load_records_names_the_corrupt_file_and_the_fix(tmp_path, kind):
    path = tmp_path / "results" / "fast-tensors" / "mlp_sprint.json"
    write_corrupt(path, kind)
    with pytest.raises(RecordError) as err:
        results.load_records(tmp_path / "results")
    message = str(err.value)
    assert str(path) in message and "git checkout" in message and "tinymlperf score" in message
    assert "\n" not in message


@pytest.mark.parametrize("kind", ["directory", "dangling-symlink"])
def test_a_record_path_that_is_not_a_readable_file(tmp_path, kind):
    """Fixed in scorer/contract/results.py: an OSError (a folder named like a record, a dangling link)
    and a 5,000-digit number escaped load_record as tracebacks instead of RecordError."""
    results_dir = tmp_path / "results"
    path = results_dir / "fast-tensors" / "mlp_sprint.json"
    path.parent.mkdir(parents=True)
    if kind == "directory":
        path.mkdir()
        (path / "x").write_text("x")
    else:
        path.symlink_to(tmp_path / "gone.json")
    with pytest.raises(RecordError) as err:
        results.load_records(results_dir)
    assert str(path) in str(err.value) and "git checkout" in str(err.value)
    # A re-score replaces it with a fresh record, keeping what was there aside.
    results.write_record(results_dir, record())
    assert results.load_records(results_dir)[0]["team"] == "fast-tensors"


def test_build_with_a_half_written_record_exits_non_zero_naming_it(tmp_path):
    sys.path.insert(0, str(HERE / "fixtures" / "site"))
    import sitefixture

    root = sitefixture.make_root(tmp_path)
    victim = root / "results" / "slowpoke" / "mlp_sprint.json"
    victim.write_bytes(victim.read_bytes()[:100])
    proc = subprocess.run(
        [sys.executable, "-m", "scorer", "build", "--repo", str(root)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 1
    no_traceback(proc.stderr)
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("tinymlperf build: error: ")
    assert "slowpoke/mlp_sprint.json" in last and "git checkout" in last
    assert not (root / "build").exists() or not any((root / "build").rglob("*.md"))


def test_plan_and_run_survive_a_corrupt_record(tmp_path, capsys):
    repo = repo_with_entry(tmp_path)
    write_corrupt(repo / "results" / "fast-tensors" / "mlp_sprint.json", "truncated")
    assert main(["plan", "--repo", str(repo), "--json"]) == 0
    out, err = capsys.readouterr()
    assert [e["team"] for e in json.loads(out)] == ["fast-tensors"]  # stale: to be re-scored
    no_traceback(err)


# --- two scorers at once ----------------------------------------------------------------

WRITER = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from scorer.contract import results
    rec = json.loads(Path(sys.argv[2]).read_text())
    rec["team"] = "fast-tensors"
    for i in range(int(sys.argv[5])):
        rec["speed"]["median"] = float(sys.argv[4]) + i
        rec["submission"]["content_hash"] = "sha256:" + ("%064x" % (int(sys.argv[4]) * 1000 + i))
        results.write_record(Path(sys.argv[3]), rec)
""")


def test_two_scorers_writing_at_once_both_land(tmp_path):
    results_dir = tmp_path / "results"
    results.write_record(results_dir, record())
    results.write_record(results_dir, record(team="other-team"))
    other = (results_dir / "other-team" / "mlp_sprint.json").read_bytes()
    writer = tmp_path / "writer.py"
    writer.write_text(WRITER)
    n = 15
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(writer),
                str(REPO),
                str(HERE / "fixtures/records/example_mlp_sprint.json"),
                str(results_dir),
                str(base),
                str(n),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for base in (1000, 2000)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    final = results.load_record(results_dir / "fast-tensors" / "mlp_sprint.json")
    speeds = [h["speed"] for h in final["history"]] + [final["speed"]["median"]]
    # Every write landed exactly once, in order per writer: nothing lost, nothing doubled.
    assert speeds[0] == EXAMPLE["speed"]["median"]
    assert sorted(speeds[1:]) == sorted(
        [1000.0 + i for i in range(n)] + [2000.0 + i for i in range(n)]
    )
    for base in (1000, 2000):
        mine = [s for s in speeds if base <= s < base + n]
        assert mine == sorted(mine)
    assert (results_dir / "other-team" / "mlp_sprint.json").read_bytes() == other
    assert not list(results_dir.rglob("*.tmp"))


# --- a corrupt record re-scored; history through the command ------------------------------


def test_rescore_moves_a_corrupt_record_aside_and_history_grows(tmp_path):
    repo = repo_with_entry(tmp_path)
    path = repo / "results" / "fast-tensors" / "mlp_sprint.json"
    other = (repo / "results" / "other-team" / "mlp_sprint.json").read_bytes()

    def score() -> dict:
        proc = subprocess.run(
            score_cmd(tmp_path, repo), capture_output=True, text=True, cwd=REPO, timeout=120
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        no_traceback(proc.stderr)
        return results.load_record(path)

    first = score()  # over the good record: its numbers move into history
    assert first["status"] == "ok", first["reason"]
    assert [h["finished_at"] for h in first["history"]] == [EXAMPLE["finished_at"]]

    write_corrupt(path, "truncated")
    broken = path.read_bytes()
    second = score()
    kept = sorted(path.parent.glob("mlp_sprint.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == broken  # moved aside, byte for byte
    assert second["status"] == "ok" and second["history"] == []  # the corrupt file had none to give

    third = score()
    assert [h["finished_at"] for h in third["history"]] == [second["finished_at"]]
    assert (repo / "results" / "other-team" / "mlp_sprint.json").read_bytes() == other
    assert [r["team"] for r in results.load_records(repo / "results")] == [
        "fast-tensors",
        "other-team",
    ]


def test_two_corrupt_records_in_one_second_are_both_kept(tmp_path):
    """Fixed in scorer/contract/results.py: the aside name had a one-second stamp, so a second corrupt
    record moved aside within the same second replaced the first."""
    results_dir = tmp_path / "results"
    path = results_dir / "fast-tensors" / "mlp_sprint.json"
    blobs = []
    for i in range(3):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'{{"broken": {i}')
        blobs.append(path.read_bytes())
        results.write_record(results_dir, record())
    kept = sorted(p.read_bytes() for p in path.parent.glob("mlp_sprint.json.corrupt-*"))
    assert kept == sorted(blobs)
