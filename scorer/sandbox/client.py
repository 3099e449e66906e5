"""Run an untrusted submission in an isolated child process, one timed call at a time.

The events (``scorer/scoring/events/``) drive a submission through this API::

    with Sandbox(folder, limits=Limits(phase_wall_s=600)) as sb:
        r = sb.start()                       # import submission.py (a timed phase)
        sb.put("x_train", x)                 # inputs travel as .npy files, untimed
        r = sb.call("train", "x_train", keep_as="model", want_value=False)
        r = sb.call("predict", "model", "x_test")   # r.value: the returned array
        report = sb.close()                  # peak memory, what isolation was in force

Training (``scorer/scoring/reproduce.py``) uses the same child with ``train=True``: the copy of the
folder is read-only, the ``out_dir`` folder (the name the child knows it by) is the only
writable one, and ``collect()`` takes what the call wrote there before ``close()``::

    with Sandbox(folder, "train.py", train=True, limits=...) as sb:
        sb.start(); sb.put("x_train", x); sb.put("y_train", y)
        r = sb.call("fit", {"x_train": "x_train", "y_train": "y_train"}, "out_dir",
                    {"wall_s": 7200.0, "cpu_s": 14400.0}, want_value=False)
        sb.collect(Path("weights-out"))

The child is a fresh interpreter running ``scorer/sandbox/child.py`` (never imported here)
inside the strongest isolation this machine offers (``scorer/sandbox/launcher.py``:
bubblewrap or unshare namespaces, ``cgroup.py``, rlimits in ``process.py``) with an audit
hook as a second line. The parent times every call itself, enforces the wall-time limit,
drains the child's output (keeping only the tail) and never lets anything the
submission does raise here: every outcome is a ``CallResult.status``.

The child is hostile: it controls everything inside its process, the runner's
code and state included (it can reach the runner's globals, forge a reply, switch
the audit hook off). So the parent trusts only its own clock, the kernel's
accounting of the child (CPU time and memory of its cgroup, VmHWM it reads from
/proc itself) and answers it checks. CPU the child uses outside the timed calls
(receiving inputs, the import, between a reply and the next command: threads that
outlive a call, work after a forged early reply) beyond small allowances
(``CPU_ALLOWANCE_*`` in ``scorer/sandbox/accounting.py``) ends the run as a ``rule_violation``.

This module is the public API and the child's lifecycle; ``Sandbox`` mixes in the
launch (``spawn.py``), the wire protocol's parent side (``exchange.py``, the messages
themselves documented in ``protocol.py``) and the kernel's accounting (``accounting.py``).
The limits and the import allowlist are the contract's (``scorer/contract/limits.py``).

Tests: ``.venv/bin/python -m pytest tests/test_sandbox.py tests/exploits``; overhead figures:
``.venv/bin/python benchmarks/harness_overhead.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from scorer.contract.limits import DEFAULT_STDLIB_ALLOWLIST, Limits
from scorer.sandbox.accounting import Accounting
from scorer.sandbox.cgroup import Cgroup
from scorer.sandbox.exchange import Exchange
from scorer.sandbox.launcher import Launcher, describe
from scorer.sandbox.process import ChildProcess
from scorer.sandbox.protocol import (
    ARG_DICT,
    ARG_LIT,
    ARG_REF,
    FATAL,
    NAME,
    OP_CALL,
    OP_EXIT,
    OP_IMPORT,
    OP_PUT,
    STATUS_CRASHED,
    STATUS_ERROR,
    STATUS_OK,
    STATUS_READY,
)
from scorer.sandbox.results import CallResult, SandboxReport
from scorer.sandbox.spawn import Spawning

__all__ = ["Sandbox"]


def _wire(a) -> list:
    if isinstance(a, str):
        return [ARG_REF, a]
    if isinstance(a, (bool, int, float, np.integer, np.floating)):
        return [ARG_LIT, a.item() if isinstance(a, np.generic) else a]
    raise TypeError(f"call() args must be str (a name), a number or a dict of those, not {type(a)}")


class Sandbox(Spawning, Exchange, Accounting):
    """One submission in one child process; a context manager that closes itself."""

    def __init__(
        self,
        submission_dir: Path,
        entrypoint: str = "submission.py",
        *,
        limits: Limits = Limits(),  # noqa: B008 - frozen
        threads: int = 2,
        blas_threads: int | None = None,
        allowed_stdlib: frozenset[str] = DEFAULT_STDLIB_ALLOWLIST,
        lib: Path | None = None,
        train: bool = False,
    ):
        self.submission_dir = Path(submission_dir)
        # Training: the copy is read-only, out_dir the only writable folder, and CPU outside
        # the calls is not a violation (nothing is ranked by time; the total is reported).
        self.train = train
        # The team's shared framework (submissions/<team>/lib/), importable beside the entry.
        self.lib = Path(lib) if lib is not None else None
        self.entrypoint = entrypoint
        self.limits = limits
        self.threads = threads
        self.blas_threads = blas_threads  # the entry's BLAS pool (submission.json), <= threads
        self.allowed_stdlib = frozenset(allowed_stdlib)
        self._child: ChildProcess | None = None
        self._tmp: str | None = None
        self._dead: CallResult | None = None
        self._report: SandboxReport | None = None
        self._cgroup: Cgroup | None = None
        self._launcher: Launcher | None = None
        self._cmd_w: int | None = None
        self._rep_r: int | None = None
        self._buf = bytearray()
        self._seq = 0
        self._vmhwm = 0
        self._cgroup_joined = False
        self._disk_quota = 0
        self._next_disk_check = 0.0
        # Kernel-counted CPU of the child (seconds) at the last reply, and where it went.
        self._cpu_joined = False
        self._freezer_joined = False  # the child is in a cgroup whose freezer pauses it
        self._paused = False
        self._cpu_last: float | None = None
        self._cpu_prev = "startup"
        self._cpu_start: float | None = None
        self._cpu_calls = 0.0
        self._cpu_outside = 0.0
        self._cpu_import = 0.0
        self._parent_vmhwm = 0  # VmHWM of the child's processes, read by the parent
        self.violation: CallResult | None = None
        self.cpu_log: list[tuple] = []  # (kind, phase, CPU s) of every uncharged stretch
        self._put_bytes = 0  # size of the input being put (its allowance grows with it)
        self._put_bytes_total = 0  # all inputs put so far (the run's budget grows with them)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- public API -----------------------------------------------------------

    def start(self) -> CallResult:
        """Copy the folder, spawn the child, import the entrypoint (timed, limited)."""
        if self._dead is not None:
            return self._repeat_dead()
        if self._child is not None:
            raise RuntimeError("Sandbox.start() called twice")
        entry = Path(self.entrypoint)
        if entry.suffix != ".py" or entry.is_absolute() or ".." in entry.parts:
            raise ValueError(f"entrypoint must be a relative .py path, not {self.entrypoint!r}")
        if not (self.submission_dir / entry).is_file():
            return self._die(
                CallResult(
                    STATUS_ERROR, 0.0, None, f"{self.entrypoint}: file not found in the submission"
                ),
                kill=False,
            )
        try:
            self._spawn()
        except (OSError, subprocess.SubprocessError, shutil.Error) as exc:
            return self._die(
                CallResult(STATUS_CRASHED, 0.0, None, f"could not start the sandbox: {exc}"),
                kill=True,
            )
        ready = self._await(time.monotonic() + max(60.0, self.limits.phase_wall_s))
        if not isinstance(ready, dict) or ready.get("status") != STATUS_READY:
            return self._classify_failure(ready, "startup", 0.0, self.limits.phase_wall_s)
        # The runner's own start (Python, numpy) is not the submission's: count from here.
        self._cpu_start = self._cpu_last = self._cpu_now()
        module = ".".join(entry.with_suffix("").parts)
        return self._roundtrip(
            {"op": OP_IMPORT, "module": module}, OP_IMPORT, self.limits.phase_wall_s
        )

    def put(self, name: str, array: np.ndarray) -> None:
        """Hand ``array`` to the child under ``name`` (an .npy file in a read-only folder)."""
        if not NAME.match(name):
            raise ValueError(f"put() name must be an identifier, not {name!r}")
        if self._dead is not None or self._child is None:
            return
        self._seq += 1
        path = os.path.join(self._tmp, "exchange", f"{name}-{self._seq}.npy")
        tmp = path + ".part"
        with open(tmp, "wb") as fh:
            np.save(fh, np.asarray(array), allow_pickle=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        self._put_bytes = os.path.getsize(path)
        self._put_bytes_total += self._put_bytes
        r = self._roundtrip(
            {"op": OP_PUT, "name": name, "file": path},
            f"put {name}",
            max(60.0, self.limits.phase_wall_s),
        )
        os.unlink(path)
        if r.status == STATUS_OK:
            return
        if r.status not in FATAL:
            self._die(
                CallResult(
                    STATUS_CRASHED, r.seconds, None, f"could not load input {name!r}: {r.message}"
                ),
                kill=True,
            )

    def call(
        self,
        fn: str,
        *args: str | int | float | dict,
        keep_as: str | None = None,
        want_value: bool = True,
        timeout_s: float | None = None,
        profile: bool = False,
    ) -> CallResult:
        """Call the entry module's ``fn``; str args name kept objects, numbers are literals,
        and a dict of those becomes a dict in the child (``fit``'s train_split and budget)."""
        if not NAME.match(fn) or (keep_as is not None and not NAME.match(keep_as)):
            raise ValueError(f"bad function or keep_as name: {fn!r}, {keep_as!r}")
        wire = []
        for a in args:
            if isinstance(a, dict):
                if not all(isinstance(k, str) and NAME.match(k) for k in a):
                    raise ValueError(f"call() dict keys must be identifiers: {sorted(a)!r}")
                wire.append([ARG_DICT, [[k, _wire(v)] for k, v in a.items()]])
            else:
                wire.append(_wire(a))
        if self._dead is not None:
            return self._repeat_dead()
        if self._child is None:
            raise RuntimeError("Sandbox.call() before start()")
        self._seq += 1
        cmd = {
            "op": OP_CALL,
            "fn": fn,
            "args": wire,
            "keep_as": keep_as,
            "want_value": want_value,
            "profile": profile,
            "seq": self._seq,
            "entry": self.entrypoint,
            "out": os.path.join(self._tmp, "out"),
        }
        limit = self.limits.phase_wall_s if timeout_s is None else timeout_s
        return self._roundtrip(cmd, fn, limit)

    @property
    def running(self) -> bool:
        """Whether the child was started and neither died nor was closed."""
        return self._child is not None and self._report is None and self._dead is None

    @property
    def can_pause(self) -> bool:
        """Whether ``pause()`` can stop the child: it runs, inside a cgroup with a freezer."""
        return self.running and self._cgroup is not None and self._freezer_joined

    def pause(self) -> bool:
        """Freeze every process of the child (while another sandbox's call is timed).

        False when it cannot be paused (no freezer, not started, closed or dead) or the kernel
        did not report it frozen in time; the caller decides what that means."""
        if not self.can_pause:
            return False
        assert self._cgroup is not None
        self._paused = True
        return self._cgroup.freeze()

    def resume(self) -> None:
        """Undo ``pause()`` (nothing when the child is not paused)."""
        if self._paused and self._cgroup is not None:
            self._cgroup.thaw()
        self._paused = False

    def cpu_seconds(self) -> float | None:
        """The child's kernel-counted CPU seconds so far (for progress lines while a call runs)."""
        return self._cpu_now()

    def output_tail(self) -> str:
        """The tail of the child's stdout and stderr so far (submitted text: escape it to show)."""
        return self._tail_text()

    def collect(self, dest: Path) -> list[str]:
        """Copy what the child wrote to ``out_dir`` into ``dest`` (call before ``close``).

        Only regular files and folders are copied, links never followed; returns the
        relative paths copied, sorted. ``dest`` must not exist yet.
        """
        if self._tmp is None:
            raise RuntimeError("Sandbox.collect() before start()")
        src = os.path.join(self._tmp, "out")
        copied = []
        dest = Path(dest)
        dest.mkdir(parents=True)
        for root, dirs, files in os.walk(src, followlinks=False):
            rel = os.path.relpath(root, src)
            dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(root, d)))
            for d in dirs:
                (dest / rel / d).mkdir()
            for name in sorted(files):
                path = os.path.join(root, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                shutil.copyfile(path, dest / rel / name, follow_symlinks=False)
                copied.append(os.path.normpath(os.path.join(rel, name)))
        return sorted(copied)

    def close(self) -> SandboxReport:
        """End the child (whole process group and cgroup), measure, clean up. Idempotent."""
        if self._report is not None:
            return self._report
        child = self._child
        cpu = None
        self.resume()  # a paused child could not read the exit command
        if child is not None:
            if self._dead is None:
                bad = self._charge(self._cpu_now(), "the end of the run", "close")
                if bad is not None:
                    self._dead = self.violation = bad
            end = self._cpu_now()
            if end is not None and self._cpu_start is not None:
                total = max(0.0, end - self._cpu_start)
                cpu = {
                    "method": self._cpu_method(),
                    "total_s": round(total, 4),
                    "calls_s": round(self._cpu_calls, 4),
                    "outside_s": round(max(0.0, total - self._cpu_calls), 4),
                    "import_s": round(self._cpu_import, 4),
                }
            self._sample_memory()
            if child.alive():
                self._send({"op": OP_EXIT})
                child.wait_exit(1.0)
            self._kill()
            child.reap(5.0)
            child.finish()
        peak, method = self._peak()
        iso = describe(
            self._launcher,
            self._cgroup if self._cgroup_joined else None,
            self.limits,
            self.threads,
            self._cpu_method(),
        )
        if self._cgroup is not None:
            self._cgroup.remove()
        for fd in (self._cmd_w, self._rep_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._cmd_w = self._rep_r = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        self._report = SandboxReport(
            peak,
            method,
            iso,
            self._tail_text(),
            child.exit if child is not None else "not started",
            cpu,
            self.violation.message if self.violation else "",
        )
        return self._report

    def _tail_text(self) -> str:
        return self._child.tail_text() if self._child is not None else ""

    def _die(self, result: CallResult, *, kill: bool) -> CallResult:
        if kill:
            self._kill()
        self._dead = result
        return result

    def _repeat_dead(self) -> CallResult:
        d = self._dead
        return CallResult(d.status, 0.0, None, d.message, d.traceback_tail)

    def _kill(self) -> None:
        if self._child is not None:
            self._child.kill_group()
        if self._cgroup is not None:
            self._cgroup.kill_all()
