"""How the sandboxed child is launched: the strongest isolation this machine offers.

Used by ``scorer/sandbox/spawn.py``; nothing here runs submission code by itself.
The strongest mechanism that works on this machine is chosen once per process
(``probe()``, cached) and recorded in every ``SandboxReport.isolation`` (``describe()``):

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

The cgroup is ``scorer/sandbox/cgroup.py``; the launched process, its rlimits and the
readings of it from the outside are ``scorer/sandbox/process.py``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scorer.sandbox.cgroup import Cgroup

NOBODY = 65534
CHILD_PY = Path(__file__).with_name("child.py")


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

    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        str(Path(numpy.__file__).resolve().parent.parent),
    }
    out = set()
    for r in roots:
        out.add(os.path.abspath(r))
        out.add(os.path.realpath(r))
    # Drop folders already covered by a parent folder in the set.
    ordered = sorted(out)
    return [r for r in ordered if not any(r != p and r.startswith(p + os.sep) for p in ordered)]


def bwrap_argv(
    bwrap: str, work: str, exchange: str, out: str, child_py: str, *, work_writable: bool = True
) -> list[str]:
    argv = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        "--die-with-parent",
        "--hostname",
        "sandbox",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
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
    argv += [
        "--ro-bind",
        child_py,
        child_py,
        "--ro-bind",
        exchange,
        exchange,
        "--bind" if work_writable else "--ro-bind",
        work,
        work,
        "--bind",
        out,
        out,
        "--chdir",
        work,
    ]
    return argv


def _is_root() -> bool:
    return os.geteuid() == 0


def _try(argv: list[str], cwd: str, timeout: float = 60.0) -> bool:
    try:
        r = subprocess.run(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            env=base_env(cwd, 1),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def blas_pool(threads: int, blas_threads: int | None) -> int:
    """The threads numpy's BLAS starts in the child.

    ``threads`` is the scorer's ``--threads`` (2: the standard runner's cores); the BLAS
    starts that many unless the entry asked for fewer (``blas_threads`` in submission.json),
    to run threads of its own beside them. Never more: a bigger pool would only fight
    itself for the same cores.
    """
    return min(blas_threads or threads, threads)


def base_env(home: str, threads: int, blas_threads: int | None = None) -> dict[str, str]:
    """The child's whole environment: built from scratch, nothing of the scorer's leaks in."""
    blas = str(blas_pool(threads, blas_threads))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": blas,
        "OMP_NUM_THREADS": blas,
        "MKL_NUM_THREADS": blas,
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
        order = order[order.index(forced) :]
    import numpy

    # The child must see the same interpreter, stdlib and numpy as the scorer: a
    # user who cannot read the stdlib makes Python fall back to another one.
    expect = repr((sys.base_prefix, sys.prefix, numpy.__file__))
    check = [
        *interpreter_argv(),
        "-c",
        f"import sys, numpy; assert (sys.base_prefix, sys.prefix, numpy.__file__) == {expect}",
    ]
    with tempfile.TemporaryDirectory(prefix="tinymlperf-probe-") as tmp:
        dirs = {k: os.path.join(tmp, k) for k in ("work", "exchange", "out")}
        for d in dirs.values():
            os.mkdir(d)
        for level in order:
            if level == "bwrap":
                exe = shutil.which("bwrap")
                if exe and _try(
                    bwrap_argv(exe, dirs["work"], dirs["exchange"], dirs["out"], str(CHILD_PY))
                    + check,
                    tmp,
                ):
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
                    return Launcher(
                        "unshare",
                        "netns-unshare",
                        "tmp-copy+audit-hook",
                        "nobody",
                        True,
                        (*pre, *drop),
                    )
                return Launcher(
                    "unshare", "netns-unshare", "tmp-copy+audit-hook", _username(), True, pre
                )
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


def describe(
    launcher: Launcher | None, cgroup: Cgroup | None, limits, threads: int, cpu_by: str = ""
) -> dict:
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
            "memory_by": (
                f"cgroup-{cgroup.version} + RLIMIT_AS backstop"
                if cgroup is not None
                else "RLIMIT_AS"
            ),
            "processes": limits.processes,
            "processes_by": procs_by,
            "file_size_bytes": limits.file_size_bytes,
            "disk_quota": (
                "own size + 4 x file_size_bytes, checked by the parent every 0.5 s"
                " and when each phase ends"
            ),
            "open_files": limits.open_files,
            "output_tail_bytes": limits.output_tail_bytes,
            "threads": threads,
            "cpu_by": cpu_by,
        },
    }
