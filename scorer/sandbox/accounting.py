"""The parent's accounting of the child: kernel-counted CPU outside the timed calls, peak
memory, disk use of its writable folders (the ``Accounting`` half of ``Sandbox``).

The parent trusts only the kernel here, never the child: the cgroup's counters
(``scorer/sandbox/cgroup.py``) or the /proc readings of ``scorer/sandbox/process.py``.
CPU the child uses outside the timed calls beyond the allowances below ends the run as a
``rule_violation``.
"""

from __future__ import annotations

import os

from scorer.sandbox import process
from scorer.sandbox.protocol import OP_IMPORT, OP_PUT, STATUS_RULE_VIOLATION
from scorer.sandbox.results import CallResult

# RLIMIT_FSIZE bounds one file; many files are bounded by a quota on the whole
# writable area (the copy's own size plus this many times file_size_bytes),
# checked by the parent this often while it waits for a reply.
DISK_QUOTA_FILES = 4
DISK_CHECK_S = 0.5
# CPU (user+system, kernel-counted over the child's whole cgroup) the child may use
# while no timed call runs. Calibrated on the three baselines (docs/security.md,
# "The child is hostile"), quiet and beside two CPU burners: largest gap 0.072 s
# (OpenBLAS worker threads spin for a while after a BLAS call; making them sleep at
# once with OPENBLAS_THREAD_TIMEOUT=4 slowed the CNN and transformer calls 5-7x, so
# it is not set), largest put 0.12 s (np.load of MNIST's x_train), import 0.006 s,
# whole run outside the calls 0.26 s (transformer, 155 stretches, loaded).
CPU_ALLOWANCE_GAP_S = 0.15  # between a reply and the next command
CPU_ALLOWANCE_PUT_S = 0.20  # one put, plus CPU_ALLOWANCE_PUT_PER_MIB per MiB of input
# Receiving an input is a copy into fresh memory, and the kernel charges the child for the
# page faults and for any reclaim they set off: MNIST's 45 MiB x_train took 0.02-0.12 s on
# quiet hours but 0.17 s and 0.23 s on a slow one (2026-12-03, Intel, the honest MLP
# baseline failed its put at the old 0.5 ms per MiB); with 5 ms per MiB it may take 0.42 s.
CPU_ALLOWANCE_PUT_PER_MIB = 0.005
CPU_ALLOWANCE_IMPORT_S = 1.0  # importing the submission (weights, tables)
# Over a run, outside the calls and the import: this plus CPU_ALLOWANCE_PER_STRETCH
# for every gap and put (each costs the runner a few ms of its own), plus the puts' own
# CPU_ALLOWANCE_PUT_PER_MIB for every MiB received.
CPU_ALLOWANCE_TOTAL_S = 0.40
CPU_ALLOWANCE_PER_STRETCH = 0.005


class Accounting:
    """CPU, memory and disk readings of the child; mixed into ``Sandbox`` (its state)."""

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
        return process.session_cpu_seconds(self._child.pid)

    def _members(self) -> list[int]:
        if self._child is None:
            return []
        if self._cgroup is not None and self._cgroup_joined:
            return self._cgroup.members()
        return process.session_members(self._child.pid)

    def _sample_memory(self) -> None:
        self._parent_vmhwm = max(self._parent_vmhwm, process.vmhwm_of(self._members()))

    def _charge(self, now: float | None, phase: str, kind: str | None) -> CallResult | None:
        """CPU used since the last reading outside a timed call: a rule_violation past its
        allowance (per phase, and over the run). ``kind``: gap | put | import | close."""
        last, self._cpu_last = self._cpu_last, now
        if now is None or last is None:
            return None
        used = max(0.0, now - last)
        self.cpu_log.append((kind, phase, round(used, 4)))
        if kind == OP_IMPORT:
            self._cpu_import += used
            allowance, where = CPU_ALLOWANCE_IMPORT_S, "while importing the submission"
        else:
            self._cpu_outside += used
            if kind == OP_PUT:
                allowance = (
                    CPU_ALLOWANCE_PUT_S + CPU_ALLOWANCE_PUT_PER_MIB * self._put_bytes / 2**20
                )
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
            return CallResult(
                STATUS_RULE_VIOLATION,
                0.0,
                None,
                f"{phase}: the child used {used:.2f} s of CPU {where} "
                f"(allowance {allowance:.2f} s); {rule}",
            )
        stretches = sum(1 for k, _, _ in self.cpu_log if k != OP_IMPORT)
        budget = (
            CPU_ALLOWANCE_TOTAL_S
            + CPU_ALLOWANCE_PER_STRETCH * stretches
            + CPU_ALLOWANCE_PUT_PER_MIB * self._put_bytes_total / 2**20
        )
        if kind != OP_IMPORT and self._cpu_outside > budget:
            return CallResult(
                STATUS_RULE_VIOLATION,
                0.0,
                None,
                f"{phase}: the child used {self._cpu_outside:.2f} s of CPU outside "
                f"the timed calls over the run (receiving inputs and between calls;"
                f" budget {budget:.2f} s); {rule}",
            )
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
