"""The per-sandbox cgroup, and the leftovers of a scorer that was killed.

Memory is limited and measured by a per-sandbox cgroup (v2, or the v1 memory
and pids controllers) created under the scorer's own cgroup when writable;
otherwise (no cgroup: ``scorer/sandbox/process.py``) by RLIMIT_AS with peak memory
from ru_maxrss and VmHWM. The cgroup's CPU counter (v1 ``cpuacct.usage``, v2
``cpu.stat`` ``usage_usec``) is the kernel's count of the child's CPU time when the
child joined it. Its freezer (v2 ``cgroup.freeze``, the v1 freezer controller) pauses every
process of the child at once: the scorer freezes one child while the other one's call is
timed (``scorer/scoring/turns.py``). Everything here is best effort: what was in force is
recorded by ``scorer/sandbox/launcher.py``'s ``describe()``.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
import uuid
from pathlib import Path

# --- leftovers of a scorer that was killed ------------------------------------------

STALE_PREFIX = "tinymlperf-"
# How long freeze() waits for the kernel to report every task paused (microseconds when
# they run in user space; a task inside a long system call stops when it returns).
FREEZE_TIMEOUT_S = 2.0


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
    its child died with it (bwrap --die-with-parent / the cgroup is empty), unless the child
    was frozen at the time: on cgroup v1 a frozen task holds its death signal until thawed,
    so a leftover freezer is thawed here and the cgroup removed by a later scorer."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        rest = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
        pid = rest.split("-", 1)[0]
        if not (pid.isdigit() and len(pid) <= 7) or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        try:
            if cgroup:
                if not (entry / "cgroup.procs").read_text().split():
                    entry.rmdir()
                elif (entry / "freezer.state").exists():
                    (entry / "freezer.state").write_text("THAWED")
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
        self.freezer: Path | None = None  # the dir whose freezer pauses the child
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
        if (d / "cgroup.freeze").exists():
            self.freezer = d
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
        self.freezer = self._v1_extra(root, "freezer", name, "freezer.state", None)

    def _v1_extra(
        self, root: Path, controller: str, name: str, knob: str, value: str | None
    ) -> Path | None:
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

    def freeze(self, timeout_s: float = FREEZE_TIMEOUT_S) -> bool:
        """Pause every process of the cgroup; True once the kernel says all are paused.

        The kernel stops each task at its next return to user space; one in a long system
        call takes longer, so this waits (``timeout_s``) for the state to settle."""
        if self.freezer is None:
            return False
        v2 = self.version == "v2"
        try:
            if v2:
                (self.freezer / "cgroup.freeze").write_text("1")
            else:
                (self.freezer / "freezer.state").write_text("FROZEN")
        except OSError:
            return False
        deadline = time.monotonic() + timeout_s
        while True:
            if self._frozen(v2):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.0005)

    def _frozen(self, v2: bool) -> bool:
        assert self.freezer is not None
        try:
            if v2:
                return "frozen 1" in (self.freezer / "cgroup.events").read_text().splitlines()
            return (self.freezer / "freezer.state").read_text().strip() == "FROZEN"
        except OSError:
            return False

    def thaw(self) -> bool:
        """Let the cgroup's processes run again; False when the freezer could not be written."""
        if self.freezer is None:
            return False
        try:
            if self.version == "v2":
                (self.freezer / "cgroup.freeze").write_text("0")
            else:
                (self.freezer / "freezer.state").write_text("THAWED")
        except OSError:
            return False
        return True

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
        # A frozen task dies of SIGKILL on cgroup v2 but stays stopped on v1 until thawed.
        if self.freezer is not None:
            self.thaw()
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


_FREEZER: list[bool] = []


def freezer_available() -> bool:
    """Whether a sandbox's cgroup here gets a freezer (probed once per process)."""
    if os.environ.get("TINYMLPERF_SANDBOX_CGROUP", "").strip() == "0":
        return False
    if not _FREEZER:
        probe = Cgroup(64 * 2**20, 4)
        _FREEZER.append(probe.freezer is not None)
        probe.remove()
    return _FREEZER[0]
