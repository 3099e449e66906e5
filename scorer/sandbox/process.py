"""The launched child process from the parent's side: rlimits, output, wait4, /proc readings.

The child's CPU time is read from the kernel, never from the child: the cgroup's
counter (``scorer/sandbox/cgroup.py``) when the child joined one, otherwise (weaker:
10 ms resolution, and a process that exits and is not waited for by another member
takes its CPU time with it) the sum of utime+stime+cutime+cstime in
``/proc/<pid>/stat`` of every process in the child's session (``start_new_session``).
``describe()`` (``scorer/sandbox/launcher.py``) records which (``limits.cpu_by``). The
parent reads VmHWM of every member itself as well (``vmhwm_of``): memory-mapped files
whose page cache is charged elsewhere (the parent's copy of the folder) still count
towards the child's peak.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from pathlib import Path

from scorer.sandbox.cgroup import Cgroup

# RLIMIT_AS counts reserved address space (thread stacks, BLAS buffers, a 64 MiB
# malloc arena per thread), not memory in use. Where a cgroup enforces the real
# limit, RLIMIT_AS is only a backstop (2x the limit + 1 GiB) that turns absurd
# single allocations into a clean MemoryError instead of an OOM kill.
AS_HEADROOM = 1024**3


# --- reading the child from the outside ---------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces and ')'.
    return raw[raw.rfind(b")") + 2 :].decode("ascii", "replace").split()


def session_members(sid: int) -> list[int]:
    """Pids whose session id is ``sid`` (the child was started with start_new_session)."""
    out = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for n in names:
        if not n.isdigit():
            continue
        f = _stat_fields(int(n))
        # after "(comm)": state ppid pgrp session ...
        if f is not None and len(f) > 3 and f[3] == str(sid):
            out.append(int(n))
    return out


def session_cpu_seconds(sid: int) -> float:
    """Fallback CPU counter: utime+stime+cutime+cstime of the session's processes.

    Weaker than a cgroup: 10 ms ticks, a process that exits unwaited-for takes its CPU time
    with it, and one that calls setsid() (the audit hook refuses process creation, but a
    hostile child can switch the hook off) leaves the session. Hence `weak_isolation`."""
    ticks = 0
    for pid in session_members(sid):
        f = _stat_fields(pid)
        if f is not None and len(f) > 14:
            try:
                ticks += sum(int(x) for x in f[11:15])  # fields 14-17 of stat
            except ValueError:
                pass
    return ticks / _CLK_TCK


def vmhwm_of(pids) -> int:
    """Largest VmHWM (peak resident set, mapped files included) among ``pids``, read by us."""
    best = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmHWM:"):
                        best = max(best, int(line.split()[1]) * 1024)
                        break
        except (OSError, ValueError, IndexError):
            pass
    return best


def make_preexec(limits, cgroup: Cgroup | None, enforce_as: bool):
    """Runs in the forked child before exec: join the cgroup, set the rlimits."""
    procs_files = cgroup.procs_files if cgroup is not None else []
    as_limit = limits.memory_bytes if enforce_as else 2 * limits.memory_bytes + AS_HEADROOM
    settings = [
        (resource.RLIMIT_CPU, (int(limits.cpu_s), int(limits.cpu_s) + 5)),
        (resource.RLIMIT_AS, (as_limit, as_limit)),
        (resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes)),
        (resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if cgroup is None or cgroup.pids is None:
        settings.append((resource.RLIMIT_NPROC, (limits.processes, limits.processes)))

    def preexec() -> None:
        pid = str(os.getpid())
        for f in procs_files:
            try:
                with open(f, "w") as fh:
                    fh.write(pid)
            except OSError:
                pass  # the parent checks membership and reports what was in force
        for which, value in settings:
            try:
                resource.setrlimit(which, value)
            except (ValueError, OSError):
                pass

    return preexec


# --- the child process -----------------------------------------------------------


class ChildProcess:
    """The launched child: its own session, output drained, killed and reaped with care."""

    def __init__(
        self,
        argv: list[str],
        *,
        cwd: str,
        env: dict[str, str],
        pass_fds: tuple[int, ...],
        preexec,
        tail_bytes: int,
        wrapped: bool,
    ):
        self.wrapped = wrapped  # bwrap/unshare stand between us and the interpreter
        self.tail_bytes = tail_bytes
        self.wait_status: int | None = None
        self.rusage = None
        self.exit = "running"
        self._tail = bytearray()
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
            cwd=cwd,
            env=env,
            start_new_session=True,
            preexec_fn=preexec,
        )
        self._drain = threading.Thread(
            target=self._drain_output, daemon=True, name="sandbox-output"
        )
        self._drain.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _drain_output(self) -> None:
        # Continuously, so a child printing gigabytes never blocks on a full pipe.
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self._tail += chunk
                if len(self._tail) > 2 * self.tail_bytes:
                    del self._tail[: -self.tail_bytes]

    def tail_text(self) -> str:
        with self._lock:
            return bytes(self._tail[-self.tail_bytes :]).decode("utf-8", "replace")

    def alive(self) -> bool:
        """Still running? (WNOWAIT: an exited child stays a zombie, so its process-group
        id cannot be reused before we kill the group.)"""
        if self.wait_status is not None:
            return False
        try:
            info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return info is None

    def wait_exit(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        while self.alive() and time.monotonic() < end:
            time.sleep(0.01)

    def kill_group(self) -> None:
        if self.wait_status is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass

    def reap(self, timeout: float) -> None:
        if self.wait_status is not None:
            return
        end = time.monotonic() + timeout
        while True:
            try:
                pid, status, rusage = os.wait4(self.proc.pid, os.WNOHANG)
            except ChildProcessError:
                self.wait_status = 0
                self.proc.returncode = self.proc.returncode or 0
                self.exit = "reaped elsewhere"
                return
            if pid:
                self.wait_status, self.rusage = status, rusage
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.exit = self._describe_exit()
                return
            if time.monotonic() >= end:
                self.exit = "did not exit"
                return
            time.sleep(0.01)

    def signal(self) -> int | None:
        rc = self.proc.returncode
        if rc is None:
            return None
        if rc < 0:
            return -rc
        # bwrap and unshare report a child killed by signal N as exit code 128 + N.
        if rc > 128 and self.wrapped:
            return rc - 128
        return None

    def _describe_exit(self) -> str:
        sig = self.signal()
        if sig is not None:
            try:
                return f"killed by {signal.Signals(sig).name}"
            except ValueError:
                return f"killed by signal {sig}"
        return f"exit code {self.proc.returncode}"

    def finish(self) -> None:
        self._drain.join(5.0)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
