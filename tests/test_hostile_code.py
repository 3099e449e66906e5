"""Submitted code that misbehaves or cheats, scored end to end through ``score_entry``.

Each case is a small ``submission.py`` written into tmp_path/submissions/<team>/<event>/, scored
with one repeat on small synthetic data (``job._data``) and tight ``Limits``, then written to
tmp_path/results/. Every case must end as a record with the expected status and a one-line
reason (no scorer traceback there or on stderr), leave another team's record byte for byte as
it was, and write nothing outside the scorer's own output (results/<team>/). The sandbox's own
unit tests (tests/test_sandbox.py) cover the mechanisms; these cover the whole path a pull
request takes, including the static check that runs first.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from scorer.contract import results, schema
from scorer.contract.limits import Limits
from scorer.scoring.engine import Job, score_entry
from scorer.validate import submission

RECORD_FIXTURE = (
    Path(__file__).resolve().parent / "fixtures" / "records" / "example_mlp_sprint.json"
)
LIMITS = Limits(
    phase_wall_s=8,
    cpu_s=60,
    memory_bytes=512 * 2**20,
    processes=32,
    file_size_bytes=8 * 2**20,
    output_tail_bytes=4096,
)

GOOD_TRAIN = """
def train(x_train, y_train):
    x = x_train.reshape(len(x_train), -1).astype(np.float32)
    return np.stack([x[y_train == c].mean(axis=0) for c in range(10)])
"""
GOOD_PREDICT = """
def predict(model, x):
    x = x.reshape(len(x), -1).astype(np.float32)
    d = (x * x).sum(1)[:, None] - 2 * x @ model.T + (model * model).sum(1)[None, :]
    return np.argmin(d, axis=1)
"""


def synthetic_mnist(seed: int = 0, n_train: int = 300, n_test: int = 200) -> dict:
    """Ten well-separated classes of 28x28 uint8 images: the good entry scores 1.0."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, size=(10, 28, 28))

    def draw(n):
        y = rng.integers(0, 10, size=n).astype(np.uint8)
        x = np.clip(centres[y] + rng.integers(-20, 21, size=(n, 28, 28)), 0, 255).astype(np.uint8)
        return x, y

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def synthetic_cifar(seed: int = 1, n_test: int = 1000) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "x_test": rng.integers(0, 256, size=(n_test, 32, 32, 3), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=n_test).astype(np.uint8),
    }


MNIST = synthetic_mnist()
CIFAR = synthetic_cifar()


def tree_digest(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Every file under root (links not followed) and a hash of its bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        if path.is_symlink() or not path.is_file():
            out[path.relative_to(root).as_posix()] = "dir" if path.is_dir() else "other"
            continue
        out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class Arena:
    """A repository in tmp_path: one hostile entry, another team's record, a fake labels file."""

    def __init__(self, root: Path):
        self.root = root
        self.results = root / "results"
        other = json.loads(RECORD_FIXTURE.read_text())
        self.other_path = results.record_path(self.results, other["team"], other["event"])
        self.other_path.parent.mkdir(parents=True)
        self.other_path.write_text(RECORD_FIXTURE.read_text())
        (self.results / ".lock").touch()  # the scorer's own lock file
        self.labels = root / "data" / "t10k-labels.npy"
        self.labels.parent.mkdir()
        np.save(self.labels, MNIST["y_test"])
        # Another team's submission, which the hostile code may try to overwrite.
        self.victim = root / "submissions" / "victim-team" / "mlp_sprint"
        self.write(
            self.victim,
            "victim-team",
            "mlp_sprint",
            "import numpy as np\n" + GOOD_TRAIN + GOOD_PREDICT,
        )

    @staticmethod
    def write(folder: Path, team: str, event: str, source: str, extra: dict | None = None) -> Path:
        folder.mkdir(parents=True)
        meta = {
            "schema_version": 1,
            "event": event,
            "entrypoint": "submission.py",
            "team": {"id": team, "name": "Hostile", "members": [{"name": "Mallory"}]},
            "title": "A hostile entry",
            "description": "Tests the scorer.",
            "techniques": [],
            "innovation": False,
            "license": "MIT",
            "claimed": {},
            "created": "2026-11-29",
        }
        (folder / "submission.json").write_text(json.dumps(meta))
        (folder / "submission.py").write_text(source)
        for name, data in (extra or {}).items():
            path = folder / name
            if isinstance(data, np.ndarray):
                np.save(path, data)
            else:
                path.write_text(data)
        return folder

    def score(
        self,
        source: str,
        event: str = "mlp_sprint",
        limits: Limits = LIMITS,
        extra: dict | None = None,
        data: dict | None = None,
        team: str = "hostile-team",
        valid: bool = True,
    ) -> dict:
        source = (
            textwrap.dedent(source)
            .replace("__LABELS__", str(self.labels))
            .replace("__RESULTS__", str(self.results))
            .replace("__VICTIM__", str(self.victim))
            .replace("__OTHER__", str(self.other_path))
            .replace("__GOOD_TRAIN__", GOOD_TRAIN)
            .replace("__GOOD_PREDICT__", GOOD_PREDICT)
        )
        folder = self.write(self.root / "submissions" / team / event, team, event, source, extra)
        check = submission.check(folder)
        assert check.ok == valid, [str(p) for p in check.problems]
        self.folder = folder
        before = tree_digest(self.root, skip=self.results / team)
        job = Job(repeats=1, threads=1, limits=limits, repo_root=self.root)
        job.progress.quiet = True
        job._data[event] = data if data is not None else (MNIST if event == "mlp_sprint" else CIFAR)
        record = score_entry(folder, event, job)
        path = results.write_record(self.results, record)
        assert path == self.results / team / f"{event}.json"
        # Nothing changed outside the scorer's own output: not the other record, not the
        # labels, not another submission, not the entry's own folder.
        assert tree_digest(self.root, skip=self.results / team) == before
        assert sorted(p.name for p in (self.results / team).iterdir()) == [f"{event}.json"]
        written = results.load_record(path)
        assert not schema.validate(written, "result")
        reason = written["reason"]
        assert "\n" not in reason and reason.isprintable(), reason
        assert "Traceback" not in reason and "scorer/" not in reason, reason
        assert (written["status"] == "ok") == (reason == "")
        return written


@pytest.fixture
def arena(tmp_path, capfd):
    a = Arena(tmp_path)
    yield a
    out, err = capfd.readouterr()
    # No traceback of the scorer's own code, whatever the submission did.
    assert "Traceback" not in err and "scorer/" not in err, err[-2000:]


def expect(record: dict, status: str, *reason_parts: str) -> None:
    assert record["status"] == status, record["reason"]
    assert not record["qualified"] or status == "ok"
    for part in reason_parts:
        assert part in record["reason"], record["reason"]


# --- control: a well-behaved entry ------------------------------------------------


def test_good_entry_scores_ok(arena):
    rec = arena.score("import numpy as np\n" + GOOD_TRAIN + GOOD_PREDICT)
    expect(rec, "ok")
    assert rec["quality"]["median"] == 1.0 and rec["speed"]["median"] > 0
    assert rec["memory"]["median"] and rec["memory"]["median"] > 0


# --- code that misbehaves ---------------------------------------------------------


def test_raises_at_import(arena):
    rec = arena.score("import numpy as np\n\nraise ImportError('no weights here')\n")
    expect(rec, "error", "import", "submission.py:3: ImportError: no weights here")


def test_raises_in_train(arena):
    rec = arena.score(
        "import numpy as np\n\n\ndef train(x, y):\n    return {}['missing']\n" + GOOD_PREDICT
    )
    expect(rec, "error", "train", "submission.py:5: KeyError")


def test_raises_in_predict(arena):
    rec = arena.score(
        "import numpy as np\n" + GOOD_TRAIN + "\n\ndef predict(m, x):\n    return 1 / 0\n"
    )
    expect(rec, "error", "predict", "ZeroDivisionError: division by zero")


def test_raises_in_load(arena):
    rec = arena.score(
        "import numpy as np\n\n\ndef load(d):\n    raise FileNotFoundError('weights.npz')\n\n\ndef predict(m, x):\n    return 0\n",
        event="cnn_marathon",
    )
    expect(rec, "error", "load", "FileNotFoundError: weights.npz")


def test_missing_function(arena):
    rec = arena.score("import numpy as np\n" + GOOD_TRAIN)
    expect(rec, "error", "predict", "has no function 'predict'")


def test_huge_exception_message_is_cut_to_one_short_line(arena):
    rec = arena.score(
        "import numpy as np\n\n\ndef train(x, y):\n    raise ValueError('A' * 100000 + '\\nsecond line')\n"
    )
    expect(rec, "error", "ValueError: AAAA")
    assert len(rec["reason"]) <= 2000 and "second line" not in rec["reason"]


def test_exception_message_with_terminal_escapes(arena):
    rec = arena.score(
        "import numpy as np\n\n\ndef train(x, y):\n    raise ValueError('\\x1b[2J\\x1b[31mred\\u202e\\x00')\n"
    )
    expect(rec, "error", "ValueError")


def test_system_exit_and_keyboard_interrupt_are_errors(arena):
    rec = arena.score("import numpy as np\n\n\ndef train(x, y):\n    raise SystemExit(0)\n")
    expect(rec, "error", "train", "SystemExit")


@pytest.mark.parametrize(
    "body,want",
    [
        (
            "return np.zeros((len(x), 1), np.int64)",
            "predict returned shape (210, 1); expected (210,)",
        ),
        ("return np.zeros(len(x) - 1, np.int64)", "predict returned shape (209,); expected (210,)"),
        ("return np.zeros(len(x) + 5, np.int64)", "predict returned shape (215,); expected (210,)"),
        ("return np.full(len(x), np.nan)", "labels must be integers"),
        ("return np.full(len(x), 0.5)", "labels must be integers"),
        ("return -np.ones(len(x), np.int64)", "labels outside 0..9"),
        ("return np.full(len(x), 10, np.int64)", "labels outside 0..9"),
        ("return np.full(len(x), 2**62, np.int64)", "labels outside 0..9"),
        ("return np.array(['7'] * len(x))", "dtype <U1"),
        ("return None", "predict"),
        ("return {'labels': [1, 2]}", "returned dict with dtype object"),
        ("return [print] * len(x)", "predict"),
        ("return np.zeros(0, np.int64)", "expected (210,)"),
    ],
)
def test_wrong_answers(arena, body, want):
    rec = arena.score("import numpy as np\n" + GOOD_TRAIN + f"\n\ndef predict(m, x):\n    {body}\n")
    expect(rec, "error", want)


def test_lazy_answer_is_computed_inside_the_timed_phase(arena):
    src = """
    import time

    import numpy as np


    def train(x, y):
        time.sleep(0.6)  # the allowance predict() may take
        return y[:10]


    class Lazy:
        def __init__(self, n):
            self.n = n

        def __array__(self, dtype=None, copy=None):
            time.sleep(0.3)  # the work happens when the scorer looks
            return np.zeros(self.n, np.int64)

        def __len__(self):
            return self.n


    def predict(model, x):
        return Lazy(len(x))
    """
    rec = arena.score(src)
    expect(rec, "below_threshold", "accuracy")
    assert rec["phases"]["predict"] >= 0.3  # the conversion counted towards predict()


def test_lazy_answer_that_raises_on_access(arena):
    src = """
    import numpy as np
    __GOOD_TRAIN__

    class Trap:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError('gotcha')

        def __len__(self):
            return 200


    def predict(model, x):
        return Trap()
    """
    rec = arena.score(src)
    expect(rec, "error", "predict", "RuntimeError: gotcha")


def test_prints_hundreds_of_megabytes(arena):
    src = """
    import numpy as np
    __GOOD_PREDICT__

    def train(x_train, y_train):
        line = "spam " * 200000 + "\\n"   # 1 MB a line
        for _ in range(300):
            print(line, end="")
        x = x_train.reshape(len(x_train), -1).astype(np.float32)
        return np.stack([x[y_train == c].mean(axis=0) for c in range(10)])
    """
    rec = arena.score(src)
    expect(rec, "ok")
    assert arena.other_path.read_text() == RECORD_FIXTURE.read_text()
    assert (arena.results / "hostile-team" / "mlp_sprint.json").stat().st_size < 64 * 1024


def test_sleeps_forever(arena):
    src = "import time\n\nimport numpy as np\n\n\ndef train(x, y):\n    while True:\n        time.sleep(1)\n"
    rec = arena.score(src, limits=Limits(phase_wall_s=1.5, memory_bytes=512 * 2**20))
    expect(rec, "timeout", "train", "exceeded the 1.5 s wall-time limit")


def test_busy_loop_at_import(arena):
    rec = arena.score(
        "import numpy as np\n\nwhile True:\n    pass\n", limits=Limits(phase_wall_s=1.5)
    )
    expect(rec, "timeout", "import", "wall-time limit")


def test_forks_without_end(arena):
    # `import os` is refused by validate; `from os import path` is allowed and path.os is os.
    src = "from os import path\n\nimport numpy as np\n\n\ndef train(x, y):\n    while True:\n        path.os.fork()\n"
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "os.fork")


def test_threads_without_end(arena):
    src = """
    import threading
    import time

    import numpy as np


    def train(x, y):
        while True:
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    """
    rec = arena.score(src)
    assert rec["status"] in ("error", "rule_violation", "memory_limit"), rec["reason"]
    assert "train" in rec["reason"]


def test_allocates_past_the_memory_limit(arena):
    src = "import numpy as np\n\n\ndef train(x, y):\n    blocks = []\n    while True:\n        blocks.append(np.ones(64 * 2**20, np.uint8))\n"
    rec = arena.score(src, limits=Limits(phase_wall_s=20, memory_bytes=384 * 2**20))
    expect(rec, "memory_limit", "train", "memory limit")


def test_one_huge_allocation(arena):
    rec = arena.score(
        "import numpy as np\n\n\ndef train(x, y):\n    return np.ones(2**40, np.uint8)\n",
        limits=Limits(phase_wall_s=20, memory_bytes=384 * 2**20),
    )
    expect(rec, "memory_limit", "train")


def test_one_file_past_the_file_size_limit(arena):
    src = """
    import numpy as np


    def train(x, y):
        with open("fill.bin", "wb") as fh:
            while True:
                fh.write(b"\\0" * 2**20)
    """
    rec = arena.score(src)
    expect(rec, "error", "train", "File too large", "file-size limit 8 MiB")


def test_many_files_fill_the_disk(arena):
    """Many files each under RLIMIT_FSIZE: the sandbox's disk quota on the writable copy
    (its own size + 4 x file_size_bytes) stops it (this was open until the quota landed)."""
    src = """
    import numpy as np


    __GOOD_PREDICT__


    def train(x_train, y_train):
        block = b"\\0" * 2**20
        for i in range(48):          # 48 files of 4 MiB: 192 MiB, 6x the quota below
            with open(f"fill{i}.bin", "wb") as fh:
                for _ in range(4):
                    fh.write(block)
        x = x_train.reshape(len(x_train), -1).astype(np.float32)
        return np.stack([x[y_train == c].mean(axis=0) for c in range(10)])
    """
    rec = arena.score(
        src, limits=Limits(phase_wall_s=20, memory_bytes=512 * 2**20, file_size_bytes=8 * 2**20)
    )
    # The quota is polled: a fast writer is caught in train() or, if train() returned before
    # the poll, at the next phase (reported to the sandbox's owner: it should be train()).
    expect(rec, "error", "exceeded the disk quota of its folder")


# --- code that cheats ---------------------------------------------------------------


def test_opens_a_socket(arena):
    # `import socket` is refused by validate; logging.handlers is allowed and imports it.
    src = """
    import logging.handlers

    import numpy as np


    def train(x, y):
        logging.handlers.socket.create_connection(("127.0.0.1", 80), timeout=1)
    """
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "socket")


def test_resolves_a_host(arena):
    src = """
    import logging.handlers

    import numpy as np


    def train(x, y):
        logging.handlers.socket.getaddrinfo("example.com", 443)
    """
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "socket.getaddrinfo")


def test_reads_the_test_labels(arena):
    src = """
    import numpy as np
    __GOOD_TRAIN__

    def predict(model, x):
        return np.load("__LABELS__")
    """
    rec = arena.score(src)
    expect(rec, "rule_violation", "predict", "refused", "t10k-labels.npy")


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "/proc/1/environ",
        "__OTHER__",
        "__VICTIM__/submission.py",
        "/root/.ssh/id_rsa",
    ],
)
def test_reads_files_outside_its_folder(arena, path):
    src = f"""
    import numpy as np


    def train(x, y):
        with open("{path}", "rb") as fh:
            return np.frombuffer(fh.read(), np.uint8)
    """
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "refused")


def test_lists_folders_outside_its_own(arena):
    src = "import glob\n\nimport numpy as np\n\n\ndef train(x, y):\n    return glob.glob('/*/*')\n"
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "refused")


@pytest.mark.parametrize("module", ["torch", "ctypes", "subprocess", "socket", "importlib"])
def test_forbidden_imports_are_invalid_before_running(arena, module):
    rec = arena.score(
        f"import numpy as np\nimport {module}\n" + GOOD_TRAIN + GOOD_PREDICT, valid=False
    )
    expect(rec, "invalid", f"imports '{module}', which is not allowed")
    assert rec["repeats"] == 0


@pytest.mark.parametrize("module", ["sys", "os", "pickle"])
def test_os_sys_and_pickle_imports_are_allowed_the_os_sandbox_is_the_boundary(arena, module):
    rec = arena.score(f"import numpy as np\nimport {module}\n" + GOOD_TRAIN + GOOD_PREDICT)
    expect(rec, "ok")


def test_loads_a_shared_library_through_numpy(arena):
    # numpy.ctypeslib hands out ctypes without an import statement the validator could see.
    src = "import numpy as np\n\n\ndef train(x, y):\n    return np.ctypeslib.ctypes.CDLL('libc.so.6').getpid()\n"
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "ctypes")


def test_starts_a_process_through_an_allowed_module(arena):
    src = """
    from concurrent import futures

    import numpy as np


    def train(x, y):
        with futures.ProcessPoolExecutor(2) as pool:
            return list(pool.map(abs, [-1, -2]))
    """
    rec = arena.score(src)
    expect(rec, "rule_violation", "refused")


def test_thread_pool_from_the_allowlist_can_be_used(arena):
    """'concurrent.futures' is allow-listed and passes validate; the child's import check once
    refused its parent package 'concurrent', so the documented thread pool ended as a
    rule_violation at import (fixed in scorer/sandbox/child.py by the sandbox's owner)."""
    src = """
    from concurrent import futures

    import numpy as np

    __GOOD_PREDICT__


    def train(x_train, y_train):
        x = x_train.reshape(len(x_train), -1).astype(np.float32)
        with futures.ThreadPoolExecutor(2) as pool:
            means = list(pool.map(lambda c: x[y_train == c].mean(axis=0), range(10)))
        return np.stack(means)
    """
    rec = arena.score(src)
    expect(rec, "ok")


def test_runs_a_command_through_os_path(arena):
    src = "from os import path\n\nimport numpy as np\n\n\ndef train(x, y):\n    path.os.system('touch /tmp/pwned')\n"
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "os.system")
    assert not Path("/tmp/pwned").exists()


def test_patches_the_clock_and_the_runner_functions_it_can_reach(arena):
    src = """
    import json
    import time

    import numpy as np

    _real_dumps = json.dumps


    def _dumps(obj, *a, **k):
        if isinstance(obj, dict) and "vmhwm" in obj:
            obj = dict(obj, vmhwm=1)  # claim 1 byte of peak memory
        return _real_dumps(obj, *a, **k)


    def train(x_train, y_train):
        time.perf_counter = time.monotonic = time.time = time.process_time = lambda: 0.0
        time.perf_counter_ns = time.monotonic_ns = time.time_ns = lambda: 0
        json.dumps = _dumps
        np.save = lambda *a, **k: None  # the runner saves answers with np.save
        big = np.ones(64 * 2**20, np.uint8)  # 64 MiB touched
        time.sleep(0.4)
        x = x_train.reshape(len(x_train), -1).astype(np.float32) + big[:1]
        return np.stack([x[y_train == c].mean(axis=0) for c in range(10)])
    __GOOD_PREDICT__
    """
    rec = arena.score(src)
    # Timing and memory are measured by the parent and the kernel, not in the child.
    assert rec["speed"]["median"] is None or rec["speed"]["median"] >= 0.4
    if rec["status"] == "ok":
        assert rec["memory"]["median"] >= 64
    else:  # the patched np.save leaves no answer file: an error, never a forged result
        expect(rec, "error", "predict")


def test_resets_its_peak_memory(arena):
    src = "import numpy as np\n\n\ndef train(x, y):\n    with open('/proc/self/clear_refs', 'w') as fh:\n        fh.write('5')\n"
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "clear_refs")


@pytest.mark.parametrize(
    "target",
    [
        "__RESULTS__/hostile-team/mlp_sprint.json",
        "__OTHER__",
        "__VICTIM__/submission.py",
        "__RESULTS__/../submissions/hostile-team/mlp_sprint/submission.json",
        "/tmp/tinymlperf-owned.txt",
    ],
)
def test_writes_outside_its_folder(arena, target):
    src = f"""
    import numpy as np


    def train(x, y):
        with open("{target}", "w") as fh:
            fh.write('{{"status": "ok", "qualified": true}}')
    """
    rec = arena.score(src)
    expect(rec, "rule_violation", "train", "refused")
    assert not Path("/tmp/tinymlperf-owned.txt").exists()


def test_writes_into_its_own_copy_only(arena):
    src = """
    import numpy as np
    __GOOD_PREDICT__

    def train(x_train, y_train):
        with open("submission.py", "a") as fh:
            fh.write("\\nCHEATED = True\\n")
        with open("submission.json", "w") as fh:
            fh.write("{}")
        x = x_train.reshape(len(x_train), -1).astype(np.float32)
        return np.stack([x[y_train == c].mean(axis=0) for c in range(10)])
    """
    rec = arena.score(src)  # also asserts the folder in the repository is unchanged
    expect(rec, "ok")
    assert not (arena.folder / "submission.py").read_text().endswith("CHEATED = True\n")
    assert rec["submission"]["content_hash"] == submission.content_hash(arena.folder)


def test_memorised_table_is_flagged_and_fails_on_shuffled_order(arena):
    """An answer table keyed by position: validate flags it, and since the scorer shuffles the
    test set with a fresh seed every run, the table scores at chance level."""
    table = MNIST["y_test"].tolist()
    literal = "TABLE = [" + ", ".join(map(str, table * 51)) + "]\n"  # 10,200 elements
    src = (
        "import numpy as np\n\n"
        + literal
        + GOOD_TRAIN
        + "\n\ndef predict(m, x):\n    return np.array(TABLE[:len(x)])\n"
    )
    rec = arena.score(src)
    warnings = [str(p) for p in submission.check(arena.folder).warnings]
    assert any(
        "embeds a literal table of 10,200 elements; flagged for review" in w for w in warnings
    ), warnings
    assert "large_literal" in rec["flags"]
    # Shuffled, relabelled and mixed with noisy canary copies: the table agrees with itself on
    # about one canary in ten, far below any honest model.
    expect(rec, "rule_violation", "answers depend on the exact input bytes")


def test_data_file_with_as_many_rows_as_the_test_set_is_flagged(arena):
    src = "import numpy as np\n\n\ndef load(d):\n    return None\n\n\ndef predict(m, x):\n    return np.zeros(len(x), np.int64)\n"
    rec = arena.score(
        src,
        event="cnn_marathon",
        extra={"answers.npy": np.zeros(10_000, np.uint8), "answers.txt": "0\n" * 600_000},
    )
    warnings = [str(p) for p in submission.check(arena.folder).warnings]
    assert any(
        "an array with 10,000 rows, as many as the test set; flagged for review" in w
        for w in warnings
    )
    assert any("data file; flagged for review" in w for w in warnings)
    assert "large_literal" in rec["flags"]


def test_test_order_is_shuffled_per_run():
    """The order the child sees comes from the run's rng, a fresh secret seed each run."""
    from scorer.scoring.events import mlp_sprint

    class Recorder:
        def __init__(self):
            self.inputs = {}

        def put(self, name, value):
            self.inputs[name] = np.asarray(value).copy()

        def call(self, fn, *args, **kw):
            from scorer.sandbox.results import CallResult

            value = np.zeros(len(self.inputs["x_test"]), np.int64) if fn == "predict" else None
            return CallResult("ok", 0.01, value)

    seen = []
    for seed in (1, 2):
        rec = Recorder()
        mlp_sprint.run(rec, MNIST, np.random.default_rng(seed), LIMITS)
        seen.append(rec.inputs["x_test"])
    canaries = round(mlp_sprint.CANARY_FRACTION * len(MNIST["x_test"]))
    assert seen[0].shape == (len(MNIST["x_test"]) + canaries, *MNIST["x_test"].shape[1:])
    assert not np.array_equal(seen[0], seen[1])
    assert not np.array_equal(seen[0], MNIST["x_test"])
    # score_entry draws each run's seed from the OS: two jobs never share an order.
    import inspect

    from scorer.scoring import engine as scoring

    assert "secrets.randbits" in inspect.getsource(scoring.score_entry)


def test_training_inside_predict_is_charged_to_the_ranked_time(arena):
    src = """
    import time

    import numpy as np
    __GOOD_PREDICT__

    _good_predict = predict


    def train(x_train, y_train):
        return (x_train, y_train)   # no work where the clock looks


    def predict(model, x):
        x_train, y_train = model
        time.sleep(0.3)             # the real (slow) training, untimed
        xt = x_train.reshape(len(x_train), -1).astype(np.float32)
        means = np.stack([xt[y_train == c].mean(axis=0) for c in range(10)])
        return _good_predict(means, x)
    """
    rec = arena.score(src)
    # train() + predict() is the ranked time: the moved training is still on the clock.
    expect(rec, "ok")
    assert rec["speed"]["median"] >= 0.3 and rec["phases"]["predict"] >= 0.3


def test_training_at_import_is_timed_as_import_not_hidden(arena):
    """Work done at import is outside train(); the record keeps the import phase time so a
    reviewer sees it (MLP Sprint gets no data before train(), so nothing to learn there)."""
    src = "import time\n\nimport numpy as np\n\ntime.sleep(0.3)\n" + GOOD_TRAIN + GOOD_PREDICT
    rec = arena.score(src)
    expect(rec, "ok")
    assert rec["phases"]["import"] >= 0.3


def synthetic_text(seed: int = 2) -> dict:
    rng = np.random.default_rng(seed)
    val = rng.integers(0, 65, size=3 * 513 + 200).astype(np.int64)
    return {
        "val": val,
        "vocab": "".join(chr(32 + i) for i in range(65)),
        "window_starts": np.arange(3) * 513,
        "bleu_starts": np.array([0, 700]),
    }


def test_transformer_logits_with_nan(arena):
    src = "import numpy as np\n\n\ndef load(d):\n    return None\n\n\ndef logits(m, t):\n    return np.full((*t.shape, 65), np.nan, np.float32)\n\n\ndef generate(m, p, n):\n    return np.zeros(n, np.int64)\n"
    rec = arena.score(src, event="transformer_decathlon", data=synthetic_text())
    expect(rec, "error", "logits returned NaN or infinite values")


def test_transformer_reading_the_next_token_is_caught(arena):
    """A model that reads the answer from the next input token: the causality probe fails it."""
    src = """
    import numpy as np


    def load(d):
        return None


    def logits(m, tokens):
        nxt = np.roll(tokens, -1, axis=-1)
        out = np.zeros((*tokens.shape, 65), np.float32)
        np.put_along_axis(out, nxt[..., None], 30.0, axis=-1)
        return out


    def generate(m, prompt, n):
        return np.zeros(n, np.int64)
    """
    rec = arena.score(src, event="transformer_decathlon", data=synthetic_text())
    expect(rec, "rule_violation", "changed by", "causal attention")
