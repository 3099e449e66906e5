"""Operating-system isolation for the sandboxed child: launchers, cgroups, rlimits.

Used by ``scorer/sandbox/client.py``; nothing here runs submission code by itself.
The strongest mechanism that works on this machine is chosen once per process
(``probe()``, cached) and recorded in every ``SandboxReport.isolation``:

1. ``bwrap`` (bubblewrap): new user/pid/net/ipc/uts/cgroup namespaces, the
   child sees only read-only binds of the Python install and numpy, plus its own
   folders. Runs as uid 65534 inside its user namespace.
2. ``unshare`` (util-linux): new net+mount+pid namespaces; the filesystem is the
   host's, guarded by file permissions (uid 65534 via ``setpriv`` when the
   interpreter is readable by that user) and the child's audit hook.
3. nothing: plain subprocess, rlimits and the audit hook only.

Set ``TINYMLPERF_SANDBOX=bwrap|unshare|none`` to force a weaker level and
``TINYMLPERF_SANDBOX_CGROUP=0`` to do without a cgroup (tests of the fallbacks);
a forced level that does not work here falls back further.

Memory is limited and measured by a per-sandbox cgroup (v2, or the v1 memory
and pids controllers) created under the scorer's own cgroup when writable;
otherwise by RLIMIT_AS with peak memory from ru_maxrss and VmHWM.

The child's CPU time is read from the kernel, never from the child: the cgroup's
counter (v1 ``cpuacct.usage``, v2 ``cpu.stat`` ``usage_usec``) when the child
joined one, otherwise (weaker: 10 ms resolution, and a process that exits and is
not waited for by another member takes its CPU time with it) the sum of
utime+stime+cutime+cstime in ``/proc/<pid>/stat`` of every process in the
child's session (``start_new_session``). ``describe()`` records which
(``limits.cpu_by``). The parent reads VmHWM of every member itself as well
(``vmhwm_of``): memory-mapped files whose page cache is charged elsewhere (the
parent's copy of the folder) still count towards the child's peak.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
CHILD_PY = Path(__file__).with_name("child.py")
# RLIMIT_AS counts reserved address space (thread stacks, BLAS buffers, a 64 MiB
# malloc arena per thread), not memory in use. Where a cgroup enforces the real
# limit, RLIMIT_AS is only a backstop (2x the limit + 1 GiB) that turns absurd
# single allocations into a clean MemoryError instead of an OOM kill.
AS_HEADROOM = 1024**3


@dataclass(frozen=True)
class Launcher:
    level: str  # "bwrap" | "unshare" | "none"
    network: str  # SandboxReport.isolation["network"]
    filesystem: str
    user: str
    pid_namespace: bool
    prefix: tuple[str, ...] = ()  # unshare/setpriv words before the interpreter


def python_roots() -> list[str]:
    """Folders the child must read: the interpreter, its stdlib, the numpy install."""
    import numpy

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(numpy.__file__).resolve().parent.parent)}
    out = set()
    for r in roots:
        out.add(os.path.abspath(r))
        out.add(os.path.realpath(r))
    # Drop folders already covered by a parent folder in the set.
    ordered = sorted(out)
    return [r for r in ordered if not any(r != p and r.startswith(p + os.sep) for p in ordered)]


def bwrap_argv(bwrap: str, work: str, exchange: str, out: str, child_py: str, *,
               work_writable: bool = True) -> list[str]:
    argv = [bwrap, "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--die-with-parent", "--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp"]
    # System libraries numpy/OpenBLAS link against; on merged-/usr systems
    # /lib, /lib64, /bin are symlinks into /usr and must stay symlinks.
    for p in ("/usr", "/lib", "/lib64", "/lib32", "/bin"):
        if os.path.islink(p):
            argv += ["--symlink", os.readlink(p), p]
        elif os.path.isdir(p):
            argv += ["--ro-bind", p, p]
    for p in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):
        if os.path.exists(p):
            argv += ["--ro-bind", p, p]
    for r in python_roots():
        if r.startswith("/usr/") or r == "/usr":
            continue
        argv += ["--ro-bind", r, r]
    argv += ["--ro-bind", child_py, child_py, "--ro-bind", exchange, exchange,
             "--bind" if work_writable else "--ro-bind", work, work,
             "--bind", out, out, "--chdir", work]
    return argv


def _is_root() -> bool:
    return os.geteuid() == 0


def _try(argv: list[str], cwd: str, timeout: float = 60.0) -> bool:
    try:
        r = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=timeout, env=base_env(cwd, 1))
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def base_env(home: str, threads: int) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONSAFEPATH": "1",
    }
    # Some CPUs need these for OpenBLAS to start at all.
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def interpreter_argv() -> list[str]:
    # Not -I: -I implies -E, which ignores PYTHONHASHSEED, and a fixed hash seed
    # makes set/dict-of-str order reproducible between runs. The environment is
    # built from scratch (base_env), so -E would protect against nothing; -s
    # keeps the user site out, PYTHONSAFEPATH/child.py keep the script folder out.
    return [sys.executable, "-s", "-X", "utf8"]


@functools.lru_cache(maxsize=1)
def probe() -> Launcher:
    forced = os.environ.get("TINYMLPERF_SANDBOX", "").strip().lower()
    order = ["bwrap", "unshare", "none"]
    if forced in order:
        order = order[order.index(forced):]
    import numpy

    # The child must see the same interpreter, stdlib and numpy as the scorer: a
    # user who cannot read the stdlib makes Python fall back to another one.
    expect = repr((sys.base_prefix, sys.prefix, numpy.__file__))
    check = [*interpreter_argv(), "-c",
             f"import sys, numpy; assert (sys.base_prefix, sys.prefix, numpy.__file__) == {expect}"]
    with tempfile.TemporaryDirectory(prefix="tinymlperf-probe-") as tmp:
        dirs = {k: os.path.join(tmp, k) for k in ("work", "exchange", "out")}
        for d in dirs.values():
            os.mkdir(d)
        for level in order:
            if level == "bwrap":
                exe = shutil.which("bwrap")
                if exe and _try(bwrap_argv(exe, dirs["work"], dirs["exchange"], dirs["out"],
                                           str(CHILD_PY)) + check, tmp):
                    return Launcher("bwrap", "bwrap", "bwrap-ro-binds", "nobody (userns)", True)
            elif level == "unshare":
                exe = shutil.which("unshare")
                if not exe:
                    continue
                flags = ["--net", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child"]
                if not _is_root():
                    flags = ["--map-root-user", *flags]
                pre = (exe, *flags, "--")
                if os.path.exists("/bin/sh"):
                    # A shell as the namespace's pid 1: the kernel does not deliver
                    # default-action signals (SIGXCPU of RLIMIT_CPU) to a pid 1.
                    pre = (*pre, "/bin/sh", "-c", '"$@"; exit $?', "sh")
                if not _try([*pre, *check], tmp):
                    continue
                drop = _drop_prefix(tmp)
                if drop and _try([*pre, *drop, *check], tmp):
                    return Launcher("unshare", "netns-unshare", "tmp-copy+audit-hook", "nobody",
                                    True, (*pre, *drop))
                return Launcher("unshare", "netns-unshare", "tmp-copy+audit-hook",
                                _username(), True, pre)
            else:
                drop = _drop_prefix(tmp)
                if drop and _try([*drop, *check], tmp):
                    return Launcher("none", "none", "tmp-copy+audit-hook", "nobody", False, drop)
                return Launcher("none", "none", "tmp-copy+audit-hook", _username(), False)
    return Launcher("none", "none", "tmp-copy+audit-hook", _username(), False)


def _drop_prefix(tmp: str) -> tuple[str, ...] | None:
    """setpriv words that switch to nobody, when we are root and nobody can run Python."""
    exe = shutil.which("setpriv")
    if not (_is_root() and exe):
        return None
    os.chown(tmp, NOBODY, NOBODY)
    return (exe, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--")


def _username() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return str(os.geteuid())


# --- leftovers of a scorer that was killed ------------------------------------------

STALE_PREFIX = "tinymlperf-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale(folder: Path, *, cgroup: bool, prefix: str = STALE_PREFIX) -> None:
    """Remove <prefix><pid>-* entries whose scorer process is gone (best effort).

    A scorer killed mid-run leaves its sandbox's temp folder and cgroups behind;
    its child died with it (bwrap --die-with-parent / the cgroup is empty)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        rest = entry.name[len(prefix):] if entry.name.startswith(prefix) else ""
        pid = rest.split("-", 1)[0]
        if not (pid.isdigit() and len(pid) <= 7) or int(pid) == os.getpid() \
                or _pid_alive(int(pid)):
            continue
        try:
            if cgroup:
                if not (entry / "cgroup.procs").read_text().split():
                    entry.rmdir()
            else:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


# --- cgroups -------------------------------------------------------------------

def _own_cgroup(controller: str | None) -> str | None:
    """This process's cgroup path for a v1 controller, or the v2 path when None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        hid, ctrls, path = line.split(":", 2)
        if controller is None and hid == "0":
            return path
        if controller is not None and controller in ctrls.split(","):
            return path
    return None


class Cgroup:
    """One cgroup (v2) or a memory+pids pair (v1) for one sandbox; best effort."""

    def __init__(self, memory_bytes: int, processes: int):
        self.version: str | None = None
        self.dirs: list[Path] = []
        self.mem: Path | None = None
        self.pids: Path | None = None
        self.cpu: Path | None = None  # the dir whose CPU counter counts the child
        # The scorer's pid in the name lets a later scorer remove what a killed one left.
        name = f"{STALE_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        root = Path("/sys/fs/cgroup")
        if os.environ.get("TINYMLPERF_SANDBOX_CGROUP", "").strip() == "0":
            return  # tests of the rlimit/rusage fallback
        try:
            if (root / "cgroup.controllers").exists():
                self._v2(root, name, memory_bytes, processes)
            elif (root / "memory").is_dir():
                self._v1(root, name, memory_bytes, processes)
        except OSError:
            self.remove()
            self.version = None

    def _v2(self, root: Path, name: str, memory_bytes: int, processes: int) -> None:
        own = _own_cgroup(None)
        if own is None:
            return
        d = root / own.lstrip("/") / name
        remove_stale(d.parent, cgroup=True)
        d.mkdir()
        self.dirs.append(d)
        if not (d / "memory.max").exists():
            raise OSError("memory controller not delegated")
        (d / "memory.max").write_text(str(memory_bytes))
        if (d / "memory.swap.max").exists():
            (d / "memory.swap.max").write_text("0")
        if (d / "pids.max").exists():
            (d / "pids.max").write_text(str(processes))
            self.pids = d
        self.mem = d
        if (d / "cpu.stat").exists():
            self.cpu = d
        self.version = "v2"

    def _v1(self, root: Path, name: str, memory_bytes: int, processes: int) -> None:
        own = _own_cgroup("memory")
        if own is None:
            return
        d = root / "memory" / own.lstrip("/") / name
        remove_stale(d.parent, cgroup=True)
        d.mkdir()
        self.dirs.append(d)
        (d / "memory.limit_in_bytes").write_text(str(memory_bytes))
        self.mem = d
        self.version = "v1"
        self.pids = self._v1_extra(root, "pids", name, "pids.max", str(processes))
        self.cpu = self._v1_extra(root, "cpuacct", name, "cpuacct.usage", None)

    def _v1_extra(self, root: Path, controller: str, name: str, knob: str,
                  value: str | None) -> Path | None:
        """A v1 cgroup of ``controller`` beside the memory one: ``knob`` set to ``value``, or
        only required to exist when ``value`` is None; None when the controller is missing."""
        own = _own_cgroup(controller)
        if own is None or not (root / controller).is_dir():
            return None
        try:
            d = root / controller / own.lstrip("/") / name
            remove_stale(d.parent, cgroup=True)
            d.mkdir()
            self.dirs.append(d)
            if value is not None:
                (d / knob).write_text(value)
            elif not (d / knob).exists():
                raise OSError(f"no {knob}")
            return d
        except OSError:
            return None

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def peak(self) -> int | None:
        if self.mem is None:
            return None
        f = "memory.peak" if self.version == "v2" else "memory.max_usage_in_bytes"
        try:
            return int((self.mem / f).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def cpu_seconds(self) -> float | None:
        """CPU time (user+system) of everything that ever ran in the cgroup, from the kernel."""
        if self.cpu is None:
            return None
        try:
            if self.version == "v2":
                for line in (self.cpu / "cpu.stat").read_text().splitlines():
                    k, _, v = line.partition(" ")
                    if k == "usage_usec":
                        return int(v) / 1e6
                return None
            return int((self.cpu / "cpuacct.usage").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    @property
    def cpu_method(self) -> str | None:
        if self.cpu is None:
            return None
        return "cgroup-v2-cpu.stat" if self.version == "v2" else "cgroup-v1-cpuacct.usage"

    def members(self) -> list[int]:
        """Pids (host view) of the processes in the cgroup now."""
        for d in (self.mem, self.cpu, self.pids):
            if d is None:
                continue
            try:
                return [int(p) for p in (d / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                continue
        return []

    @property
    def method(self) -> str | None:
        if self.mem is None:
            return None
        if self.version == "v2":
            return "cgroup-v2-memory.peak" if (self.mem / "memory.peak").exists() else None
        return "cgroup-v1-max_usage"

    def oom_kills(self) -> int:
        if self.mem is None:
            return 0
        f = "memory.events" if self.version == "v2" else "memory.oom_control"
        try:
            for line in (self.mem / f).read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "oom_kill":
                    return int(v)
        except (OSError, ValueError):
            pass
        return 0

    def kill_all(self) -> None:
        for d in self.dirs:
            if self.version == "v2" and (d / "cgroup.kill").exists():
                try:
                    (d / "cgroup.kill").write_text("1")
                    continue
                except OSError:
                    pass
            try:
                pids = (d / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass

    def remove(self) -> None:
        for d in reversed(self.dirs):
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill_all()
                    time.sleep(0.02)
        self.dirs = []


# --- reading the child from the outside ---------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces and ')'.
    return raw[raw.rfind(b")") + 2:].decode("ascii", "replace").split()


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

    def __init__(self, argv: list[str], *, cwd: str, env: dict[str, str],
                 pass_fds: tuple[int, ...], preexec, tail_bytes: int, wrapped: bool):
        self.wrapped = wrapped  # bwrap/unshare stand between us and the interpreter
        self.tail_bytes = tail_bytes
        self.wait_status: int | None = None
        self.rusage = None
        self.exit = "running"
        self._tail = bytearray()
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=pass_fds, cwd=cwd, env=env, start_new_session=True, preexec_fn=preexec)
        self._drain = threading.Thread(target=self._drain_output, daemon=True,
                                       name="sandbox-output")
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
                    del self._tail[:-self.tail_bytes]

    def tail_text(self) -> str:
        with self._lock:
            return bytes(self._tail[-self.tail_bytes:]).decode("utf-8", "replace")

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


def describe(launcher: Launcher | None, cgroup: Cgroup | None, limits, threads: int,
             cpu_by: str = "") -> dict:
    """SandboxReport.isolation: what was actually in force."""
    if cgroup is not None and cgroup.pids is not None:
        procs_by = f"cgroup-{cgroup.version}-pids"
    elif _is_root() and (launcher is None or launcher.user != "nobody"):
        # The kernel exempts uid 0 (also uid 0 mapped into a user namespace).
        procs_by = "RLIMIT_NPROC (not enforced: runs as root)"
    else:
        procs_by = "RLIMIT_NPROC"
    return {
        "network": launcher.network if launcher else "none",
        "filesystem": launcher.filesystem if launcher else "none",
        "user": launcher.user if launcher else "",
        "audit_hook": True,
        "pid_namespace": bool(launcher and launcher.pid_namespace),
        "limits": {
            "phase_wall_s": limits.phase_wall_s,
            "cpu_s": limits.cpu_s,
            "memory_bytes": limits.memory_bytes,
            "memory_by": (f"cgroup-{cgroup.version} + RLIMIT_AS backstop" if cgroup is not None
                          else "RLIMIT_AS"),
            "processes": limits.processes,
            "processes_by": procs_by,
            "file_size_bytes": limits.file_size_bytes,
            "disk_quota": ("own size + 4 x file_size_bytes, checked by the parent every 0.5 s"
                           " and when each phase ends"),
            "open_files": limits.open_files,
            "output_tail_bytes": limits.output_tail_bytes,
            "threads": threads,
            "cpu_by": cpu_by,
        },
    }
