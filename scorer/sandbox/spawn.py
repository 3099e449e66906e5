"""Starting the child: copy the submission, create the cgroup, launch ``child.py`` under the
probed isolation with the protocol's two pipes, and send it its configuration (the
``Spawning`` part of ``Sandbox``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from scorer.sandbox.accounting import DISK_QUOTA_FILES
from scorer.sandbox.cgroup import Cgroup, remove_stale
from scorer.sandbox.launcher import (
    CHILD_PY,
    NOBODY,
    base_env,
    bwrap_argv,
    interpreter_argv,
    probe,
    python_roots,
)
from scorer.sandbox.process import ChildProcess, make_preexec
from scorer.sandbox.protocol import NAME

_IGNORED_COPY = ("__pycache__", ".git")
LIB_COPY = ".team-lib"  # where the team's lib/ goes inside the child's copy (on sys.path)
_NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".pyc", ".pyo")


def _ignore(folder: str, names: list[str]) -> set[str]:
    # Symlinks could point at the datasets; compiled and native files would load
    # instead of the reviewed .py source.
    return {
        n
        for n in names
        if n in _IGNORED_COPY
        or n.endswith(_NATIVE_SUFFIXES)
        or os.path.islink(os.path.join(folder, n))
    }


class Spawning:
    """Launches the child; mixed into ``Sandbox`` (its state)."""

    def _spawn(self) -> None:
        self._launcher = launcher = probe()
        prefix = "tinymlperf-sandbox-"
        remove_stale(Path(tempfile.gettempdir()), cgroup=False, prefix=prefix)
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
                os.chown(d, NOBODY, NOBODY)
                for root, dirs, files in os.walk(d):
                    for n in dirs + files:
                        os.lchown(os.path.join(root, n), NOBODY, NOBODY)
        own = sorted(
            {p.stem for r in roots for p in r.glob("*.py")}
            | {
                p.name
                for r in roots
                for p in r.iterdir()
                if p.is_dir() and NAME.match(p.name) and any(p.rglob("*.py"))
            }
        )
        self._disk_quota = self._disk_used() + DISK_QUOTA_FILES * self.limits.file_size_bytes
        self._cgroup = Cgroup(self.limits.memory_bytes, self.limits.processes)
        if self._cgroup.version is None:
            self._cgroup = None
        child_py = str(CHILD_PY)
        argv = [*interpreter_argv(), child_py]
        if launcher.level == "bwrap":
            argv = [
                *bwrap_argv(
                    shutil.which("bwrap") or "bwrap",
                    work,
                    exchange,
                    out,
                    child_py,
                    work_writable=not self.train,
                ),
                *argv,
            ]
        else:
            argv = [*launcher.prefix, *argv]
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        argv += [str(cmd_r), str(rep_w)]
        try:
            self._child = ChildProcess(
                argv,
                cwd=work,
                env=base_env(work, self.threads, self.blas_threads),
                pass_fds=(cmd_r, rep_w),
                tail_bytes=self.limits.output_tail_bytes,
                wrapped=launcher.level != "none",
                preexec=make_preexec(self.limits, self._cgroup, enforce_as=self._cgroup is None),
            )
        finally:
            os.close(cmd_r)
            os.close(rep_w)
        self._cmd_w, self._rep_r = cmd_w, rep_r
        if self._cgroup is not None:
            # Which of the cgroup's folders the child really joined (the preexec is best effort).
            pid = self._child.pid
            self._cgroup_joined = _has(Path(self._cgroup.procs_files[0]).parent, pid)
            self._cpu_joined = self._cgroup.cpu is not None and _has(self._cgroup.cpu, pid)
            self._freezer_joined = self._cgroup.freezer is not None and _has(
                self._cgroup.freezer, pid
            )
        readable = [exchange, *python_roots(), "/dev/null", "/dev/urandom", work]
        writable = [out] if self.train else [work, out]
        self._send(
            {
                "work": work,
                "writable": writable,
                "readable": readable,
                "out_dir": out,
                "allowed": sorted(self.allowed_stdlib),
                "own": own,
                "lib": str(roots[1]) if len(roots) > 1 else None,
            }
        )


def _has(folder: Path, pid: int) -> bool:
    """Whether the cgroup ``folder`` lists ``pid`` among its processes."""
    try:
        return str(pid) in (folder / "cgroup.procs").read_text().split()
    except OSError:
        return False
