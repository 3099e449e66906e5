"""Tests for scorer/sandbox/client.py: every way a submission can misbehave ends as a status.

Fixture submissions live in tests/fixtures/sandbox/<case>/; ``misbehave`` has one
function per misbehaviour. Run: ``.venv/bin/python -m pytest tests/test_sandbox.py``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from scorer.contract.limits import DEFAULT_STDLIB_ALLOWLIST, Limits
from scorer.sandbox import launcher
from scorer.sandbox.accounting import Accounting
from scorer.sandbox.client import Sandbox

FIXTURES = Path(__file__).parent / "fixtures" / "sandbox"
BASIC = FIXTURES / "basic"
MISBEHAVE = FIXTURES / "misbehave"
SMALL = Limits(
    phase_wall_s=20, memory_bytes=512 * 1024**2, file_size_bytes=8 * 1024**2, processes=16
)
METHODS = {"cgroup-v2-memory.peak+VmHWM", "cgroup-v1-max_usage+VmHWM", "rusage-maxrss+VmHWM"}


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8)


def run_one(fn, *args, folder=MISBEHAVE, limits=SMALL, inputs=None, **kw):
    """Start a sandbox, call one function, close; returns (start, call, after, report)."""
    with Sandbox(folder, limits=limits, **kw.pop("sandbox_kw", {})) as sb:
        started = sb.start()
        assert started.status == "ok", started
        for name, value in (inputs or {}).items():
            sb.put(name, value)
        result = sb.call(fn, *args, **kw)
        after = sb.call("noop", want_value=False)
    return started, result, after, sb.close()


# --- normal operation ----------------------------------------------------------


def test_ok_call_returns_value_and_parent_timing():
    with Sandbox(BASIC) as sb:
        started = sb.start()
        assert started.status == "ok" and started.seconds > 0
        sb.put("x", np.arange(5))
        r = sb.call("double", "x")
        report = sb.close()
    assert r.status == "ok", r
    np.testing.assert_array_equal(r.value, np.arange(5) * 2)
    assert 0 < r.seconds < 5
    assert report.memory_method in METHODS
    assert report.exit == "exit code 0"
    assert sb.close() is report  # idempotent


@pytest.mark.parametrize(
    "threads,asked,started",
    [(2, None, 2), (2, 1, 1), (2, 2, 2), (2, 8, 2), (1, 1, 1), (4, 3, 3)],
)
def test_blas_threads_are_the_entrys_choice_up_to_its_cores(threads, asked, started):
    with Sandbox(BASIC, threads=threads, blas_threads=asked) as sb:
        assert sb.start().status == "ok"
        r = sb.call("blas_env")
    assert r.status == "ok", r
    assert r.value.tolist() == [started] * 3


def test_keep_as_and_references():
    with Sandbox(BASIC) as sb:
        sb.start()
        sb.put("x", np.arange(3))
        kept = sb.call("double", "x", keep_as="y", want_value=False)
        assert kept.status == "ok" and kept.value is None
        r = sb.call("add", "y", 10)
        missing = sb.call("add", "nope", 1)
    np.testing.assert_array_equal(r.value, [10, 12, 14])
    assert missing.status == "error" and "'nope'" in missing.message


def test_error_at_import_points_into_the_submission():
    with Sandbox(FIXTURES / "import_error") as sb:
        r = sb.start()
        again = sb.call("anything")
    assert r.status == "error"
    assert r.message == "submission.py:4: ValueError: cannot load weights"
    assert again.status == "error" and again.seconds == 0


def test_error_in_call_has_file_line_and_clean_traceback():
    with Sandbox(BASIC) as sb:
        sb.start()
        r = sb.call("boom", 3)
        still = sb.call("add", 1, 2)  # an exception does not end the child
    assert r.status == "error"
    assert r.message == "helper.py:6: ZeroDivisionError: integer division or modulo by zero"
    assert 'File "submission.py", line 23, in boom' in r.traceback_tail
    assert "child.py" not in r.traceback_tail
    assert still.status == "ok" and still.value == 3


def test_submission_dir_names_the_copy_of_the_folder():
    with Sandbox(BASIC) as sb:
        sb.start()
        r = sb.call("has_helper", "submission_dir")
    assert r.status == "ok" and bool(r.value) is True


def test_missing_function_is_an_error():
    with Sandbox(BASIC) as sb:
        sb.start()
        r = sb.call("no_such_function")
    assert r.status == "error" and "no_such_function" in r.message


@pytest.mark.parametrize("fn", ["bad_object", "bad_string", "bad_dict"])
def test_wrong_return_type_is_invalid_output(fn):
    with Sandbox(BASIC) as sb:
        sb.start()
        r = sb.call(fn)
        ok = sb.call("add", 1, 1)
    assert r.status == "invalid_output" and r.value is None
    assert fn in r.message
    assert ok.status == "ok"


def test_lazy_result_is_computed_inside_the_timed_window():
    with Sandbox(BASIC) as sb:
        sb.start()
        lazy = sb.call("lazy", 4)
    np.testing.assert_array_equal(lazy.value, np.arange(4))
    _, slow, _, _ = run_one("slow_lazy")
    assert slow.status == "ok" and slow.seconds >= 0.3


def test_threads_started_by_a_call_count_towards_it():
    _, r, _, _ = run_one("background_thread")
    assert r.status == "ok" and r.seconds >= 0.3


def test_profile_lists_hot_functions_and_allocations():
    with Sandbox(BASIC) as sb:
        sb.start()
        sb.put("x", np.arange(1000))
        r = sb.call("double", "x", profile=True)
    assert r.status == "ok"
    assert any(
        row["function"] == "double" and row["where"].startswith("submission.py:")
        for row in r.profile["hot_functions"]
    )
    assert {"where", "size_bytes", "count"} <= set(r.profile["allocations"][0])
    assert len(r.profile["hot_functions"]) <= 20


# --- resources -----------------------------------------------------------------


def test_fifty_megabytes_of_output_keeps_only_the_tail():
    _, r, after, report = run_one("print_lots", 50 * 1024**2)
    assert r.status == "ok" and r.value == 7
    assert after.status == "ok"
    assert report.output_tail.endswith("THE-END\n")
    assert len(report.output_tail) <= SMALL.output_tail_bytes


def test_sleeping_forever_times_out_naming_phase_and_limit():
    t0 = time.monotonic()
    _, r, after, report = run_one("forever", timeout_s=1)
    assert r.status == "timeout"
    assert r.message == "phase 'forever' exceeded the 1 s wall-time limit"
    assert 1 <= r.seconds < 3
    assert after.status == "timeout" and after.seconds == 0
    assert "SIGKILL" in report.exit
    assert time.monotonic() - t0 < 10


def test_cpu_time_limit_is_a_timeout():
    limits = Limits(phase_wall_s=20, cpu_s=1, memory_bytes=512 * 1024**2)
    _, r, _, _ = run_one("spin", 10, limits=limits)
    assert r.status == "timeout", r
    assert "1 s CPU-time limit" in r.message and r.seconds < 5


def test_a_child_that_dies_is_crashed():
    _, r, after, report = run_one("hard_exit")
    assert r.status == "crashed" and "exit code 3" in r.message
    assert after.status == "crashed"
    assert report.exit == "exit code 3"


def test_fork_bomb_is_stopped():
    _, r, after, _ = run_one("fork_bomb")
    assert r.status == "rule_violation" and "os.fork" in r.message
    assert r.message.startswith("submission.py:20:")
    assert after.status == "rule_violation"


def test_os_system_is_refused():
    _, r, _, _ = run_one("os_system")
    assert r.status == "rule_violation" and "os.system" in r.message


def test_thread_count_is_limited_by_the_processes_limit():
    with Sandbox(MISBEHAVE, limits=SMALL) as sb:
        sb.start()
        r = sb.call("many_threads", 40)
        report = sb.close()
    if "not enforced" in report.isolation["limits"]["processes_by"]:
        pytest.skip("no pids cgroup and running as root: RLIMIT_NPROC does not apply")
    assert r.status == "error" and "can't start new thread" in r.message


@pytest.mark.parametrize("fn", ["alloc_huge", "alloc_gradual"])
def test_allocating_past_the_limit_is_memory_limit(fn):
    _, r, after, _ = run_one(fn, 2 * 1024**3)
    assert r.status == "memory_limit", r
    assert "512 MiB memory limit" in r.message
    assert after.status == "memory_limit"


def test_peak_memory_is_measured():
    _, r, _, report = run_one("touch", 200 * 1024**2)
    assert r.status == "ok"
    assert report.peak_memory_bytes >= 200 * 1024**2
    assert report.peak_memory_bytes < SMALL.memory_bytes + 256 * 1024**2


def test_huge_file_is_stopped_by_the_file_size_limit():
    _, r, after, _ = run_one("big_file")
    assert r.status == "error"
    assert "File too large" in r.message and "8 MiB" in r.message
    assert after.status == "ok"


def test_many_files_are_stopped_by_the_disk_quota():
    _, r, after, _ = run_one("many_files")
    assert r.status == "error" and "disk quota" in r.message, r
    assert after.status == "error"


def test_a_fast_writer_is_caught_when_its_phase_ends():
    _, r, _, _ = run_one("quick_fill")
    assert r.status == "error" and "phase 'quick_fill' exceeded the disk quota" in r.message, r


def test_the_allowlisted_thread_pool_can_be_used():
    _, r, _, _ = run_one("thread_pool")
    assert r.status == "ok" and r.value == 6, r


# --- isolation -----------------------------------------------------------------


def test_cannot_connect_even_with_socket_allowlisted():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    try:
        _, r, _, _ = run_one(
            "connect", port, sandbox_kw={"allowed_stdlib": DEFAULT_STDLIB_ALLOWLIST | {"socket"}}
        )
        assert r.status in {"rule_violation", "error"}, r
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()


def test_cannot_resolve_a_host():
    _, r, _, _ = run_one(
        "resolve", sandbox_kw={"allowed_stdlib": DEFAULT_STDLIB_ALLOWLIST | {"socket"}}
    )
    assert r.status == "rule_violation" and "socket" in r.message


@pytest.mark.parametrize("target", ["labels", "/etc/passwd"])
def test_cannot_read_outside_its_folder(tmp_path, target):
    if target == "labels":
        labels = tmp_path / "labels.txt"
        labels.write_text("SECRET-LABELS")
        target = str(labels)
    _, r, _, report = run_one("read_path", "p", inputs={"p": _bytes(target)})
    assert r.status == "rule_violation" and "reading" in r.message
    assert r.message.startswith("submission.py:")
    assert "SECRET" not in report.output_tail and "root:" not in report.output_tail


def test_cannot_write_outside_its_folder(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    record = results / "record.json"
    record.write_text('{"score": 1}')
    _, r, _, _ = run_one("write_path", "p", inputs={"p": _bytes(str(record))})
    assert r.status == "rule_violation" and "writing" in r.message
    assert record.read_text() == '{"score": 1}'


def test_bubblewrap_hides_host_files(tmp_path):
    if launcher.probe().level != "bwrap":
        pytest.skip("bubblewrap is not available here")
    labels = tmp_path / "labels.txt"
    labels.write_text("SECRET")
    repo = Path(__file__).resolve().parent.parent
    with Sandbox(MISBEHAVE, limits=SMALL) as sb:
        sb.start()
        for path in (labels, Path("/etc/passwd"), repo / "pyproject.toml", repo / "results"):
            assert path.exists()
            sb.put("p", _bytes(str(path)))
            r = sb.call("exists", "p")
            assert r.status == "ok" and not r.value, path


def test_symlinks_out_of_the_folder_are_not_copied(tmp_path):
    secret = tmp_path / "labels.txt"
    secret.write_text("SECRET")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "submission.py").write_text(
        "import pathlib\n\ndef has_link():\n    return pathlib.Path('link.txt').exists()\n"
    )
    (sub / "link.txt").symlink_to(secret)
    with Sandbox(sub) as sb:
        sb.start()
        r = sb.call("has_link")
    assert r.status == "ok" and not r.value


@pytest.mark.parametrize(
    "module,line", [("subprocess", 92), ("ctypes", 98), ("socket", 104), ("torch", 110)]
)
def test_imports_outside_the_allowlist_are_import_errors(module, line):
    # An ImportError, not a refusal that ends the run: code with a fallback for a missing module
    # (try: import psutil / except ImportError) carries on; what reaches outside (processes,
    # sockets, native code) is still refused when it is done.
    _, r, after, _ = run_one(f"import_{module}")
    assert r.status == "error"
    assert r.message.startswith(
        f"submission.py:{line}: ModuleNotFoundError: No module named '{module}' in the sandbox"
    )
    assert after.status == "ok"


def test_imports_through_exec_are_import_errors_too():
    _, r, _, _ = run_one("exec_import")
    assert r.status == "error" and "No module named 'subprocess' in the sandbox" in r.message, r


def test_spoofed_file_names_are_refused():
    _, r, _, _ = run_one("spoofed_compile")
    assert r.status == "rule_violation" and r.message.startswith("submission.py:"), r


def test_runner_state_is_not_reachable_through_the_import_guard():
    _, r, _, _ = run_one("reach_runner_state")
    assert r.status == "ok" and r.value == 0, r
    _, r, _, _ = run_one("unguarded_import")
    assert r.status == "rule_violation" and "subprocess" in r.message, r


def test_clear_refs_is_refused():
    _, r, _, _ = run_one("clear_refs")
    assert r.status == "rule_violation" and "clear_refs" in r.message


def test_patching_the_clock_does_not_change_parent_timing():
    _, r, _, _ = run_one("patched_clock")
    assert r.status == "ok" and r.seconds >= 0.3


def test_report_records_isolation_and_method():
    _, _, _, report = run_one("noop", want_value=False)
    iso = report.isolation
    assert iso["audit_hook"] is True
    assert iso["network"] in {"bwrap", "netns-unshare", "none"}
    assert iso["filesystem"] in {"bwrap-ro-binds", "tmp-copy+audit-hook"}
    assert iso["limits"]["memory_bytes"] == SMALL.memory_bytes
    assert report.memory_method in METHODS
    assert report.peak_memory_bytes and report.peak_memory_bytes > 1024**2


@pytest.mark.parametrize("level", ["unshare", "none"])
def test_weaker_isolation_levels_still_contain(monkeypatch, tmp_path, level):
    monkeypatch.setenv("TINYMLPERF_SANDBOX", level)
    launcher.probe.cache_clear()
    try:
        labels = tmp_path / "labels.txt"
        labels.write_text("SECRET")
        _, ok, _, report = run_one("touch", 1024)
        _, read, _, _ = run_one("read_path", "p", inputs={"p": _bytes(str(labels))})
        _, imp, _, _ = run_one("os_system")
    finally:
        launcher.probe.cache_clear()
    assert ok.status == "ok"
    assert report.isolation["filesystem"] == "tmp-copy+audit-hook"
    assert read.status == "rule_violation" and imp.status == "rule_violation"


def test_without_a_cgroup_rlimits_and_rusage_take_over(monkeypatch):
    monkeypatch.setenv("TINYMLPERF_SANDBOX_CGROUP", "0")
    _, big, _, _ = run_one("alloc_gradual", 2 * 1024**3)
    _, ok, _, report = run_one("touch", 200 * 1024**2)
    assert big.status == "memory_limit"
    assert ok.status == "ok"
    assert report.memory_method == "rusage-maxrss+VmHWM"
    assert report.peak_memory_bytes >= 200 * 1024**2
    assert report.isolation["limits"]["memory_by"] == "RLIMIT_AS"


def test_leftovers_of_a_killed_scorer_are_removed():
    repo = str(Path(__file__).resolve().parent.parent)
    code = (
        f"import json, sys, time; sys.path.insert(0, {repo!r})\n"
        "from scorer.sandbox.client import Sandbox\n"
        f"sb = Sandbox({str(BASIC)!r}); sb.start()\n"
        "cg = [str(d) for d in sb._cgroup.dirs] if sb._cgroup else []\n"
        "print(json.dumps([sb._tmp, cg]), flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        tmp, cgroups = json.loads(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert Path(tmp).is_dir()
    time.sleep(0.5)  # bwrap --die-with-parent / EOF on the command pipe end the child
    with Sandbox(BASIC) as sb:
        assert sb.start().status == "ok"
    assert not Path(tmp).exists()
    for d in cgroups:
        assert not Path(d).exists(), d


class _Charged(Accounting):
    """Only the state ``_charge`` reads: the CPU reading before the stretch and the run's log."""

    def __init__(self):
        self._cpu_last, self._cpu_prev, self.cpu_log = 0.0, "train", []
        self._cpu_import = self._cpu_outside = 0.0
        self._put_bytes = self._put_bytes_total = 0
        self.train = False


@pytest.mark.parametrize(
    "mib,used,verdict",
    [
        (45, 0.23, None),  # MNIST's x_train, the slowest honest put measured (0.23 s)
        (45, 0.42, None),  # 0.20 s + 45 MiB x 5 ms = 0.425 s
        (45, 0.43, "rule_violation"),
        (1, 0.20, None),  # a CNN batch: 0.20 s + 5 ms
        (1, 0.21, "rule_violation"),
        (45, 1.52, "rule_violation"),  # the docs' example: work done while receiving
    ],
)
def test_a_puts_allowance_grows_with_its_size(mib, used, verdict):
    acct = _Charged()
    acct._put_bytes = acct._put_bytes_total = mib * 2**20
    result = acct._charge(used, "put x_train", "put")
    assert (result.status if result else None) == verdict


def test_the_runs_budget_counts_what_its_puts_may_take():
    # Outside the calls a run may use 0.40 s + 5 ms per stretch + 5 ms per MiB put.
    acct = _Charged()
    acct._put_bytes = acct._put_bytes_total = 45 * 2**20
    assert acct._charge(0.23, "put x_train", "put") is None  # the slowest honest put
    assert acct._charge(0.37, "predict", "gap") is None  # a 0.14 s gap: 0.37 s so far
    # Two stretches and 45 MiB: 0.40 + 0.01 + 0.225 = 0.635 s. Had earlier stretches used
    # 0.49 s, this 0.14 s gap would be 0.63 s in all (the budget is then 0.64 s with three
    # stretches), and with 0.51 s, 0.65 s: over it.
    acct._cpu_outside, acct._cpu_last = 0.49, 0.0
    assert acct._charge(0.14, "predict", "gap") is None
    acct._cpu_outside, acct._cpu_last = 0.51, 0.0
    assert acct._charge(0.14, "predict", "gap").status == "rule_violation"
