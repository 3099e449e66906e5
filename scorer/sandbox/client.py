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
inside the strongest isolation this machine offers (``scorer/sandbox/isolation.py``:
bubblewrap or unshare namespaces, a cgroup, rlimits) with an audit hook as a
second line. The parent times every call itself, enforces the wall-time limit,
drains the child's output (keeping only the tail) and never lets anything the
submission does raise here: every outcome is a ``CallResult.status``.

The child is hostile: it controls everything inside its process, the runner's
code and state included (it can reach the runner's globals, forge a reply, switch
the audit hook off). So the parent trusts only its own clock, the kernel's
accounting of the child (CPU time and memory of its cgroup, VmHWM it reads from
/proc itself) and answers it checks. CPU the child uses outside the timed calls
(receiving inputs, the import, between a reply and the next command: threads that
outlive a call, work after a forged early reply) beyond small allowances
(``CPU_ALLOWANCE_*``) ends the run as a ``rule_violation``.

Tests: ``.venv/bin/python -m pytest tests/test_sandbox.py tests/exploits``; overhead figures:
``.venv/bin/python benchmarks/harness_overhead.py``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scorer.sandbox import isolation

__all__ = ["DEFAULT_STDLIB_ALLOWLIST", "CallResult", "Limits", "Sandbox", "SandboxReport"]

# Standard-library modules a submission may import besides numpy and its own files.
# The single source of truth for the validator's static check and the child's
# import guard. Submodules of a listed module are allowed too. Everything listed
# is still subject to the child's audit hook (no processes, sockets, native code,
# files outside the submission folder), so this list is about intent, not safety.
DEFAULT_STDLIB_ALLOWLIST: frozenset[str] = frozenset({
    # pure computation
    "__future__", "math", "cmath", "numbers", "fractions", "decimal", "statistics",
    "random", "operator", "functools", "itertools", "heapq", "bisect", "array",
    "struct", "copy", "string", "re", "textwrap", "unicodedata", "difflib",
    "collections",  # incl. collections.abc
    "dataclasses", "enum", "typing", "types", "abc", "contextlib", "warnings",
    "weakref", "datetime", "calendar", "time", "timeit", "pprint", "reprlib",
    "keyword", "colorsys",
    # reading/writing the submission's own files (paths are checked at run time)
    "json", "csv", "io", "pathlib", "os", "glob", "fnmatch", "tempfile", "shutil",
    "gzip", "zlib", "bz2", "lzma", "zipfile", "hashlib", "base64", "binascii",
    "pickle", "copyreg",
    # what a student's framework (TinyTorch) imports for its profiler, config and logging
    "sys", "gc", "platform", "tracemalloc", "argparse", "logging",
    # threads are the permitted parallelism; CPU a thread spends outside the timed calls is
    # charged by the parent's kernel accounting
    "threading", "queue", "concurrent.futures",
})
# Why os, sys and pickle are allowed: the child is assumed hostile anyway (it controls its own
# interpreter), so the boundary is the operating system (namespaces, read-only binds, cgroup,
# rlimits) and the parent trusts only its own clock and the kernel. What reaches outside is still
# refused at run time: processes, sockets, native code, files outside the folder.
# Deliberately absent, as statements of intent the validator can report early:
#   subprocess, multiprocessing, pty, signal  (no processes; signals are the scorer's)
#   socket, ssl, select, selectors, asyncio, urllib, http, ftplib, smtplib  (no network)
#   ctypes, cffi, importlib, pkgutil, runpy, zipimport  (no native code, no import tricks)
#   inspect, traceback  (frame walking, which the child's audit hook refuses at run time)


@dataclass(frozen=True)
class Limits:
    phase_wall_s: float = 600.0  # per call
    cpu_s: float = 3600.0  # RLIMIT_CPU for the child
    memory_bytes: int = 4 * 1024**3  # address-space/cgroup limit
    processes: int = 64  # RLIMIT_NPROC (where meaningful) / cgroup pids
    file_size_bytes: int = 256 * 1024**2  # RLIMIT_FSIZE
    open_files: int = 256  # RLIMIT_NOFILE
    output_tail_bytes: int = 16 * 1024  # how much of the child's stdout+stderr is kept


@dataclass
class CallResult:
    status: str  # ok | error | timeout | memory_limit | rule_violation | invalid_output | crashed
    seconds: float  # wall time measured by the parent: command sent -> reply received
    # (the reply follows the value's conversion with numpy.asarray and its saving)
    value: np.ndarray | None = None
    message: str = ""
    traceback_tail: str = ""
    profile: dict | None = None  # only for call(..., profile=True)


@dataclass
class SandboxReport:
    peak_memory_bytes: int | None
    memory_method: str
    isolation: dict = field(default_factory=dict)
    output_tail: str = ""
    exit: str = ""
    # Kernel-counted CPU seconds of the child: {"method", "total_s", "calls_s",
    # "outside_s", "import_s"} (None when no counter could be read).
    cpu: dict | None = None
    violation: str = ""  # a rule broken after the last call (only close() saw it)


# Statuses after which the child is gone; later calls repeat the status at once.
_FATAL = frozenset({"timeout", "memory_limit", "crashed", "rule_violation"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TIMEOUT = object()
_OVER_QUOTA = object()
_TOO_LONG = object()
_GARBAGE = object()
# RLIMIT_FSIZE bounds one file; many files are bounded by a quota on the whole
# writable area (the copy's own size plus this many times file_size_bytes),
# checked by the parent this often while it waits for a reply.
DISK_QUOTA_FILES = 4
DISK_CHECK_S = 0.5
# A reply is one JSON line of a few hundred bytes (values travel as .npy files):
# a longer one ends the child instead of growing the scorer's buffer.
MAX_REPLY_BYTES = 1024**2
# CPU (user+system, kernel-counted over the child's whole cgroup) the child may use
# while no timed call runs. Calibrated on the three baselines (docs/security.md,
# "The child is hostile"), quiet and beside two CPU burners: largest gap 0.072 s
# (OpenBLAS worker threads spin for a while after a BLAS call; making them sleep at
# once with OPENBLAS_THREAD_TIMEOUT=4 slowed the CNN and transformer calls 5-7x, so
# it is not set), largest put 0.12 s (np.load of MNIST's x_train), import 0.006 s,
# whole run outside the calls 0.26 s (transformer, 155 stretches, loaded).
CPU_ALLOWANCE_GAP_S = 0.15  # between a reply and the next command
CPU_ALLOWANCE_PUT_S = 0.20  # one put, plus CPU_ALLOWANCE_PUT_PER_MIB per MiB of input
CPU_ALLOWANCE_PUT_PER_MIB = 0.0005
CPU_ALLOWANCE_IMPORT_S = 1.0  # importing the submission (weights, tables)
# Over a run, outside the calls and the import: this plus CPU_ALLOWANCE_PER_STRETCH
# for every gap and put (each costs the runner a few ms of its own).
CPU_ALLOWANCE_TOTAL_S = 0.40
CPU_ALLOWANCE_PER_STRETCH = 0.005
_IGNORED_COPY = ("__pycache__", ".git")
LIB_COPY = ".team-lib"  # where the team's lib/ goes inside the child's copy (on sys.path)
_NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".pyc", ".pyo")


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.4g} {unit}"
    return f"{n} B"


def _wire(a) -> list:
    if isinstance(a, str):
        return ["ref", a]
    if isinstance(a, (bool, int, float, np.integer, np.floating)):
        return ["lit", a.item() if isinstance(a, np.generic) else a]
    raise TypeError(f"call() args must be str (a name), a number or a dict of those, not {type(a)}")


def _ignore(folder: str, names: list[str]) -> set[str]:
    # Symlinks could point at the datasets; compiled and native files would load
    # instead of the reviewed .py source.
    return {n for n in names
            if n in _IGNORED_COPY or n.endswith(_NATIVE_SUFFIXES)
            or os.path.islink(os.path.join(folder, n))}


class Sandbox:
    """One submission in one child process; a context manager that closes itself."""

    def __init__(self, submission_dir: Path, entrypoint: str = "submission.py", *,
                 limits: Limits = Limits(), threads: int = 2,  # noqa: B008 - frozen
                 allowed_stdlib: frozenset[str] = DEFAULT_STDLIB_ALLOWLIST,
                 lib: Path | None = None, train: bool = False):
        self.submission_dir = Path(submission_dir)
        # Training: the copy is read-only, out_dir the only writable folder, and CPU outside
        # the calls is not a violation (nothing is ranked by time; the total is reported).
        self.train = train
        # The team's shared framework (submissions/<team>/lib/), importable beside the entry.
        self.lib = Path(lib) if lib is not None else None
        self.entrypoint = entrypoint
        self.limits = limits
        self.threads = threads
        self.allowed_stdlib = frozenset(allowed_stdlib)
        self._child: isolation.ChildProcess | None = None
        self._tmp: str | None = None
        self._dead: CallResult | None = None
        self._report: SandboxReport | None = None
        self._cgroup: isolation.Cgroup | None = None
        self._launcher: isolation.Launcher | None = None
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
            return self._die(CallResult("error", 0.0, None,
                                        f"{self.entrypoint}: file not found in the submission"),
                             kill=False)
        try:
            self._spawn()
        except (OSError, subprocess.SubprocessError, shutil.Error) as exc:
            return self._die(CallResult("crashed", 0.0, None,
                                        f"could not start the sandbox: {exc}"), kill=True)
        ready = self._await(time.monotonic() + max(60.0, self.limits.phase_wall_s))
        if not isinstance(ready, dict) or ready.get("status") != "ready":
            return self._classify_failure(ready, "startup", 0.0, self.limits.phase_wall_s)
        # The runner's own start (Python, numpy) is not the submission's: count from here.
        self._cpu_start = self._cpu_last = self._cpu_now()
        module = ".".join(entry.with_suffix("").parts)
        return self._roundtrip({"op": "import", "module": module}, "import",
                               self.limits.phase_wall_s)

    def put(self, name: str, array: np.ndarray) -> None:
        """Hand ``array`` to the child under ``name`` (an .npy file in a read-only folder)."""
        if not _NAME.match(name):
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
        r = self._roundtrip({"op": "put", "name": name, "file": path}, f"put {name}",
                            max(60.0, self.limits.phase_wall_s))
        os.unlink(path)
        if r.status == "ok":
            return
        if r.status not in _FATAL:
            self._die(CallResult("crashed", r.seconds, None,
                                 f"could not load input {name!r}: {r.message}"), kill=True)

    def call(self, fn: str, *args: str | int | float | dict, keep_as: str | None = None,
             want_value: bool = True, timeout_s: float | None = None,
             profile: bool = False) -> CallResult:
        """Call the entry module's ``fn``; str args name kept objects, numbers are literals,
        and a dict of those becomes a dict in the child (``fit``'s train_split and budget)."""
        if not _NAME.match(fn) or (keep_as is not None and not _NAME.match(keep_as)):
            raise ValueError(f"bad function or keep_as name: {fn!r}, {keep_as!r}")
        wire = []
        for a in args:
            if isinstance(a, dict):
                if not all(isinstance(k, str) and _NAME.match(k) for k in a):
                    raise ValueError(f"call() dict keys must be identifiers: {sorted(a)!r}")
                wire.append(["dict", [[k, _wire(v)] for k, v in a.items()]])
            else:
                wire.append(_wire(a))
        if self._dead is not None:
            return self._repeat_dead()
        if self._child is None:
            raise RuntimeError("Sandbox.call() before start()")
        self._seq += 1
        cmd = {"op": "call", "fn": fn, "args": wire, "keep_as": keep_as,
               "want_value": want_value, "profile": profile, "seq": self._seq,
               "entry": self.entrypoint, "out": os.path.join(self._tmp, "out")}
        limit = self.limits.phase_wall_s if timeout_s is None else timeout_s
        return self._roundtrip(cmd, fn, limit)

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
        if child is not None:
            if self._dead is None:
                bad = self._charge(self._cpu_now(), "the end of the run", "close")
                if bad is not None:
                    self._dead = self.violation = bad
            end = self._cpu_now()
            if end is not None and self._cpu_start is not None:
                total = max(0.0, end - self._cpu_start)
                cpu = {"method": self._cpu_method(), "total_s": round(total, 4),
                       "calls_s": round(self._cpu_calls, 4),
                       "outside_s": round(max(0.0, total - self._cpu_calls), 4),
                       "import_s": round(self._cpu_import, 4)}
            self._sample_memory()
            if child.alive():
                self._send({"op": "exit"})
                child.wait_exit(1.0)
            self._kill()
            child.reap(5.0)
            child.finish()
        peak, method = self._peak()
        iso = isolation.describe(self._launcher, self._cgroup if self._cgroup_joined else None,
                                 self.limits, self.threads, self._cpu_method())
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
        self._report = SandboxReport(peak, method, iso, self._tail_text(),
                                     child.exit if child is not None else "not started", cpu,
                                     self.violation.message if self.violation else "")
        return self._report

    # --- spawning -------------------------------------------------------------

    def _spawn(self) -> None:
        self._launcher = launcher = isolation.probe()
        prefix = "tinymlperf-sandbox-"
        isolation.remove_stale(Path(tempfile.gettempdir()), cgroup=False, prefix=prefix)
        self._tmp = tmp = tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-")
        work, exchange, out = (os.path.join(tmp, d) for d in ("work", "exchange", "out"))
        shutil.copytree(self.submission_dir, work, ignore=_ignore)
        roots = [Path(work)]
        if self.lib is not None:
            # Inside the copy, so every rule for the submission's own files holds for it too;
            # a hidden name cannot collide with anything the validator lets a folder hold.
            shutil.copytree(self.lib, os.path.join(work, LIB_COPY), ignore=_ignore)
            roots.append(Path(work) / LIB_COPY)
        os.mkdir(exchange, 0o755)
        os.mkdir(out, 0o700)
        if launcher.user == "nobody" and launcher.level != "bwrap":
            # The child runs as nobody: it owns its copy and the out folder only.
            os.chmod(tmp, 0o711)
            for d in (out,) if self.train else (work, out):
                os.chown(d, isolation.NOBODY, isolation.NOBODY)
                for root, dirs, files in os.walk(d):
                    for n in dirs + files:
                        os.lchown(os.path.join(root, n), isolation.NOBODY, isolation.NOBODY)
        own = sorted({p.stem for r in roots for p in r.glob("*.py")}
                     | {p.name for r in roots for p in r.iterdir()
                        if p.is_dir() and _NAME.match(p.name) and any(p.rglob("*.py"))})
        self._disk_quota = self._disk_used() + DISK_QUOTA_FILES * self.limits.file_size_bytes
        self._cgroup = isolation.Cgroup(self.limits.memory_bytes, self.limits.processes)
        if self._cgroup.version is None:
            self._cgroup = None
        child_py = str(isolation.CHILD_PY)
        argv = [*isolation.interpreter_argv(), child_py]
        if launcher.level == "bwrap":
            argv = [*isolation.bwrap_argv(shutil.which("bwrap") or "bwrap", work, exchange,
                                          out, child_py, work_writable=not self.train), *argv]
        else:
            argv = [*launcher.prefix, *argv]
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        argv += [str(cmd_r), str(rep_w)]
        try:
            self._child = isolation.ChildProcess(
                argv, cwd=work, env=isolation.base_env(work, self.threads),
                pass_fds=(cmd_r, rep_w), tail_bytes=self.limits.output_tail_bytes,
                wrapped=launcher.level != "none",
                preexec=isolation.make_preexec(self.limits, self._cgroup,
                                               enforce_as=self._cgroup is None))
        finally:
            os.close(cmd_r)
            os.close(rep_w)
        self._cmd_w, self._rep_r = cmd_w, rep_r
        if self._cgroup is not None:
            try:
                procs = Path(self._cgroup.procs_files[0]).read_text().split()
            except OSError:
                procs = []
            self._cgroup_joined = str(self._child.pid) in procs
            if self._cgroup.cpu is not None:
                try:
                    cpu_procs = (self._cgroup.cpu / "cgroup.procs").read_text().split()
                except OSError:
                    cpu_procs = []
                self._cpu_joined = str(self._child.pid) in cpu_procs
        readable = [exchange, *isolation.python_roots(), "/dev/null", "/dev/urandom", work]
        writable = [out] if self.train else [work, out]
        self._send({"work": work, "writable": writable, "readable": readable, "out_dir": out,
                    "allowed": sorted(self.allowed_stdlib), "own": own,
                    "lib": str(roots[1]) if len(roots) > 1 else None})

    def _tail_text(self) -> str:
        return self._child.tail_text() if self._child is not None else ""

    # --- protocol -------------------------------------------------------------

    def _send(self, obj: dict) -> bool:
        data = (json.dumps(obj) + "\n").encode()
        try:
            while data:
                data = data[os.write(self._cmd_w, data):]
        except OSError:
            return False
        return True

    def _await(self, deadline: float):
        """Next reply (a dict), None when the child closed its end, _TIMEOUT or _OVER_QUOTA."""
        while True:
            nl = self._buf.find(b"\n", 0, MAX_REPLY_BYTES + 1)
            if nl < 0 and len(self._buf) > MAX_REPLY_BYTES:
                self._buf = bytearray()
                return _TOO_LONG
            if nl >= 0:
                line = bytes(self._buf[:nl])
                del self._buf[:nl + 1]
                try:
                    msg = json.loads(line)
                except (ValueError, RecursionError):  # RecursionError: "[[[[..." a MiB deep
                    return _GARBAGE
                if isinstance(msg, dict) and isinstance(msg.get("vmhwm"), int):
                    self._vmhwm = max(self._vmhwm, msg["vmhwm"])  # only for _near_as_limit
                return msg if isinstance(msg, dict) else _GARBAGE
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                return _TIMEOUT
            if now >= self._next_disk_check:
                self._next_disk_check = now + DISK_CHECK_S
                if self._disk_used() > self._disk_quota:
                    return _OVER_QUOTA
            left = min(left, DISK_CHECK_S)
            # poll, not select: the scorer may hold more than 1024 descriptors.
            poller = select.poll()
            poller.register(self._rep_r, select.POLLIN | select.POLLHUP | select.POLLERR)
            if poller.poll(int(min(left, 1.0) * 1000) + 1):
                chunk = os.read(self._rep_r, min(1 << 16, MAX_REPLY_BYTES + 1 - len(self._buf)))
                if not chunk:
                    return None
                self._buf += chunk

    def _roundtrip(self, cmd: dict, phase: str, limit: float) -> CallResult:
        """One command and its reply, with the child's CPU read before and after."""
        c0 = self._cpu_now()
        bad = self._charge(c0, phase, "gap")
        if bad is not None:
            self.violation = bad
            return self._die(bad, kill=True)
        result = self._exchange(cmd, phase, limit)
        c1 = self._cpu_now()
        if self._dead is None:
            self._sample_memory()
        if c0 is not None and c1 is not None and self._dead is None:
            used = max(0.0, c1 - c0)
            if cmd.get("op") == "call":
                self._cpu_calls += used  # measured by the parent's clock: not charged
            else:
                self._cpu_last = c0
                bad = self._charge(c1, phase, cmd.get("op"))
                if bad is not None:
                    self.violation = bad
                    return self._die(bad, kill=True)
        self._cpu_last, self._cpu_prev = c1, phase
        return result

    def _exchange(self, cmd: dict, phase: str, limit: float) -> CallResult:
        nonce = secrets.token_hex(8)
        cmd["nonce"] = nonce
        t0 = time.perf_counter()
        deadline = time.monotonic() + limit
        sent = self._send(cmd)
        msg = self._await(deadline) if sent else None
        seconds = time.perf_counter() - t0
        if not isinstance(msg, dict):
            return self._classify_failure(msg, phase, seconds, limit)
        if msg.get("nonce") != nonce:
            return self._die(CallResult("rule_violation", seconds, None,
                                        f"phase '{phase}': a reply did not come from the "
                                        "runner (forged protocol message)"), kill=True)
        status = msg.get("status")
        # Polling alone misses a fast writer whose phase ends between two polls:
        # check once more when the phase ends (outside the timed window).
        if status not in _FATAL and self._disk_used() > self._disk_quota:
            return self._classify_failure(_OVER_QUOTA, phase, seconds, limit)
        result = CallResult(str(status), seconds, None, str(msg.get("message", "")),
                            str(msg.get("traceback", "")))
        if status == "memory_limit":
            result.message = (f"phase '{phase}' exceeded the "
                              f"{_fmt_bytes(self.limits.memory_bytes)} memory limit "
                              f"({result.message})")
        if status == "error" and "File too large" in result.message:
            result.message += f" (file-size limit {_fmt_bytes(self.limits.file_size_bytes)})"
        if status in _FATAL or (status != "ok" and cmd.get("op") == "import"):
            # A submission that failed to import has nothing left to call.
            return self._die(result, kill=True)
        if status == "ok" and cmd.get("op") == "call":
            if cmd.get("profile"):
                prof = self._await(time.monotonic() + max(60.0, limit))
                if not isinstance(prof, dict) or prof.get("status") != "profile" \
                        or prof.get("nonce") != nonce:
                    return self._classify_failure(prof, f"{phase} (profiling)", seconds, limit)
                result.profile = prof.get("profile")
            if cmd.get("want_value"):
                result = self._load_value(result, str(msg.get("value_file")), phase)
        return result

    def _load_value(self, result: CallResult, path: str, phase: str) -> CallResult:
        out = os.path.realpath(os.path.join(self._tmp, "out"))
        real = os.path.realpath(path)
        if not real.startswith(out + os.sep):
            return self._die(CallResult("rule_violation", result.seconds, None,
                                        f"phase '{phase}': value file outside the sandbox"),
                             kill=True)
        try:
            value = np.load(real, allow_pickle=False)
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "biufc":
                raise ValueError(f"dtype {getattr(value, 'dtype', '?')}")
        except (OSError, ValueError, EOFError) as exc:
            result.status = "invalid_output"
            result.message = f"phase '{phase}' returned a value that cannot be read back ({exc})"
            return result
        finally:
            try:
                os.unlink(real)
            except OSError:
                pass
        result.value = value
        return result

    # --- failures and the child's end -----------------------------------------

    def _classify_failure(self, msg, phase: str, seconds: float, limit: float) -> CallResult:
        if msg is _TOO_LONG or msg is _GARBAGE:
            self._kill()
            what = (f"a reply larger than {MAX_REPLY_BYTES} bytes" if msg is _TOO_LONG
                    else "a reply that is not a JSON object")
            return self._die(CallResult(
                "crashed", seconds, None,
                f"phase '{phase}': the child sent {what} (the protocol's replies are short "
                "JSON lines from the runner; values travel as files)"), kill=True)
        if msg is _OVER_QUOTA:
            return self._die(CallResult(
                "error", seconds, None,
                f"phase '{phase}' exceeded the disk quota of its folder "
                f"({_fmt_bytes(DISK_QUOTA_FILES * self.limits.file_size_bytes)} written: "
                f"{DISK_QUOTA_FILES} x the file-size limit)"), kill=True)
        if msg is _TIMEOUT:
            self._kill()
            return self._die(CallResult(
                "timeout", seconds, None,
                f"phase '{phase}' exceeded the {limit:g} s wall-time limit"), kill=True)
        # The child closed the pipe or sent garbage: find out how it ended.
        self._child.wait_exit(5.0)
        self._kill()
        self._child.reap(5.0)
        sig = self._child.signal()
        oom = self._cgroup is not None and self._cgroup.oom_kills() > 0
        if oom or (sig == signal.SIGKILL and self._cgroup is None and self._near_as_limit()):
            return self._die(CallResult(
                "memory_limit", seconds, None,
                f"phase '{phase}' exceeded the {_fmt_bytes(self.limits.memory_bytes)} "
                "memory limit (killed by the kernel)"), kill=False)
        if sig == signal.SIGXCPU:
            return self._die(CallResult(
                "timeout", seconds, None,
                f"phase '{phase}' exceeded the {self.limits.cpu_s:g} s CPU-time limit"),
                kill=False)
        last = self._tail_text().strip().splitlines()
        hint = f": {last[-1][:200]}" if last else ""
        return self._die(CallResult(
            "crashed", seconds, None,
            f"the child process died during phase '{phase}' ({self._child.exit}){hint}"),
            kill=False)

    def _disk_used(self) -> int:
        total = 0
        stack = [os.path.join(self._tmp, "work"), os.path.join(self._tmp, "out")]
        while stack:
            try:
                with os.scandir(stack.pop()) as it:
                    for entry in it:
                        try:
                            if entry.is_dir(follow_symlinks=False):
                                stack.append(entry.path)
                            else:
                                total += entry.stat(follow_symlinks=False).st_blocks * 512
                        except OSError:
                            pass
            except OSError:
                pass
        return total

    def _near_as_limit(self) -> bool:
        return self._vmhwm > 0.9 * self.limits.memory_bytes

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

    # --- measuring ------------------------------------------------------------

    def _cpu_method(self) -> str:
        if self._cgroup is not None and self._cpu_joined and self._cgroup.cpu_method:
            return self._cgroup.cpu_method
        return "proc-stat-session (weaker: 10 ms ticks, misses processes reaped by nobody)"

    def _cpu_now(self) -> float | None:
        """The child's CPU seconds so far, from the kernel (never from the child)."""
        if self._child is None:
            return None
        if self._cgroup is not None and self._cpu_joined:
            return self._cgroup.cpu_seconds()
        return isolation.session_cpu_seconds(self._child.pid)

    def _members(self) -> list[int]:
        if self._child is None:
            return []
        if self._cgroup is not None and self._cgroup_joined:
            return self._cgroup.members()
        return isolation.session_members(self._child.pid)

    def _sample_memory(self) -> None:
        self._parent_vmhwm = max(self._parent_vmhwm, isolation.vmhwm_of(self._members()))

    def _charge(self, now: float | None, phase: str, kind: str | None) -> CallResult | None:
        """CPU used since the last reading outside a timed call: a rule_violation past its
        allowance (per phase, and over the run). ``kind``: gap | put | import | close."""
        last, self._cpu_last = self._cpu_last, now
        if now is None or last is None:
            return None
        used = max(0.0, now - last)
        self.cpu_log.append((kind, phase, round(used, 4)))
        if kind == "import":
            self._cpu_import += used
            allowance, where = CPU_ALLOWANCE_IMPORT_S, "while importing the submission"
        else:
            self._cpu_outside += used
            if kind == "put":
                allowance = CPU_ALLOWANCE_PUT_S + CPU_ALLOWANCE_PUT_PER_MIB * self._put_bytes / 2**20
                where = "while receiving an input"
            else:
                allowance = CPU_ALLOWANCE_GAP_S
                where = f"between the end of '{self._cpu_prev}' and {phase!r}, when no call ran"
            if kind == "gap" or kind == "close":
                phase = f"after {self._cpu_prev}"
        rule = "all work must happen inside the timed calls"
        if self.train:  # nothing is ranked by time: the CPU is reported, not charged
            return None
        if used > allowance:
            return CallResult("rule_violation", 0.0, None,
                              f"{phase}: the child used {used:.2f} s of CPU {where} "
                              f"(allowance {allowance:.2f} s); {rule}")
        stretches = sum(1 for k, _, _ in self.cpu_log if k != "import")
        budget = CPU_ALLOWANCE_TOTAL_S + CPU_ALLOWANCE_PER_STRETCH * stretches
        if kind != "import" and self._cpu_outside > budget:
            return CallResult("rule_violation", 0.0, None,
                              f"{phase}: the child used {self._cpu_outside:.2f} s of CPU outside "
                              f"the timed calls over the run (receiving inputs and between calls;"
                              f" budget {budget:.2f} s); {rule}")
        return None

    def _peak(self) -> tuple[int | None, str]:
        # max(kernel peak, VmHWM we read ourselves): a file the child maps is page cache
        # charged to whoever copied it (us), so the cgroup peak alone misses it.
        if self._cgroup is not None and self._cgroup_joined and self._cgroup.method:
            peak = self._cgroup.peak()
            return max(peak or 0, self._parent_vmhwm) or None, self._cgroup.method + "+VmHWM"
        rusage = self._child.rusage if self._child is not None else None
        maxrss = rusage.ru_maxrss * 1024 if rusage is not None else 0
        # self._vmhwm is what the child says; only the parent's own readings count.
        peak = max(maxrss, self._parent_vmhwm)
        return (peak or None), "rusage-maxrss+VmHWM"
