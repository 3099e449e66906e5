"""The parent's side of the wire protocol (``scorer/sandbox/protocol.py``): send a command,
await its reply under the wall-time limit, check it, and classify every way it can fail (the
``Exchange`` half of ``Sandbox``). Nothing the child sends can raise here."""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import time

import numpy as np

from scorer.sandbox.accounting import DISK_CHECK_S, DISK_QUOTA_FILES
from scorer.sandbox.protocol import (
    FATAL,
    MAX_REPLY_BYTES,
    OP_CALL,
    OP_IMPORT,
    STATUS_CRASHED,
    STATUS_ERROR,
    STATUS_INVALID_OUTPUT,
    STATUS_MEMORY_LIMIT,
    STATUS_OK,
    STATUS_PROFILE,
    STATUS_RULE_VIOLATION,
    STATUS_TIMEOUT,
)
from scorer.sandbox.results import CallResult

_TIMEOUT = object()
_OVER_QUOTA = object()
_TOO_LONG = object()
_GARBAGE = object()


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.4g} {unit}"
    return f"{n} B"


class Exchange:
    """One command and its reply at a time; mixed into ``Sandbox`` (its state)."""

    def _send(self, obj: dict) -> bool:
        data = (json.dumps(obj) + "\n").encode()
        try:
            while data:
                data = data[os.write(self._cmd_w, data) :]
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
                del self._buf[: nl + 1]
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
            if cmd.get("op") == OP_CALL:
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
            return self._die(
                CallResult(
                    STATUS_RULE_VIOLATION,
                    seconds,
                    None,
                    f"phase '{phase}': a reply did not come from the "
                    "runner (forged protocol message)",
                ),
                kill=True,
            )
        status = msg.get("status")
        # Polling alone misses a fast writer whose phase ends between two polls:
        # check once more when the phase ends (outside the timed window).
        if status not in FATAL and self._disk_used() > self._disk_quota:
            return self._classify_failure(_OVER_QUOTA, phase, seconds, limit)
        result = CallResult(
            str(status), seconds, None, str(msg.get("message", "")), str(msg.get("traceback", ""))
        )
        if status == STATUS_MEMORY_LIMIT:
            result.message = (
                f"phase '{phase}' exceeded the "
                f"{_fmt_bytes(self.limits.memory_bytes)} memory limit "
                f"({result.message})"
            )
        if status == STATUS_ERROR and "File too large" in result.message:
            result.message += f" (file-size limit {_fmt_bytes(self.limits.file_size_bytes)})"
        if status in FATAL or (status != STATUS_OK and cmd.get("op") == OP_IMPORT):
            # A submission that failed to import has nothing left to call.
            return self._die(result, kill=True)
        if status == STATUS_OK and cmd.get("op") == OP_CALL:
            if cmd.get("profile"):
                prof = self._await(time.monotonic() + max(60.0, limit))
                if (
                    not isinstance(prof, dict)
                    or prof.get("status") != STATUS_PROFILE
                    or prof.get("nonce") != nonce
                ):
                    return self._classify_failure(prof, f"{phase} (profiling)", seconds, limit)
                result.profile = prof.get("profile")
            if cmd.get("want_value"):
                result = self._load_value(result, str(msg.get("value_file")), phase)
        return result

    def _load_value(self, result: CallResult, path: str, phase: str) -> CallResult:
        out = os.path.realpath(os.path.join(self._tmp, "out"))
        real = os.path.realpath(path)
        if not real.startswith(out + os.sep):
            return self._die(
                CallResult(
                    STATUS_RULE_VIOLATION,
                    result.seconds,
                    None,
                    f"phase '{phase}': value file outside the sandbox",
                ),
                kill=True,
            )
        try:
            value = np.load(real, allow_pickle=False)
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "biufc":
                raise ValueError(f"dtype {getattr(value, 'dtype', '?')}")
        except (OSError, ValueError, EOFError) as exc:
            result.status = STATUS_INVALID_OUTPUT
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
            what = (
                f"a reply larger than {MAX_REPLY_BYTES} bytes"
                if msg is _TOO_LONG
                else "a reply that is not a JSON object"
            )
            return self._die(
                CallResult(
                    STATUS_CRASHED,
                    seconds,
                    None,
                    f"phase '{phase}': the child sent {what} (the protocol's replies are short "
                    "JSON lines from the runner; values travel as files)",
                ),
                kill=True,
            )
        if msg is _OVER_QUOTA:
            return self._die(
                CallResult(
                    STATUS_ERROR,
                    seconds,
                    None,
                    f"phase '{phase}' exceeded the disk quota of its folder "
                    f"({_fmt_bytes(DISK_QUOTA_FILES * self.limits.file_size_bytes)} written: "
                    f"{DISK_QUOTA_FILES} x the file-size limit)",
                ),
                kill=True,
            )
        if msg is _TIMEOUT:
            self._kill()
            return self._die(
                CallResult(
                    STATUS_TIMEOUT,
                    seconds,
                    None,
                    f"phase '{phase}' exceeded the {limit:g} s wall-time limit",
                ),
                kill=True,
            )
        # The child closed the pipe or sent garbage: find out how it ended.
        self._child.wait_exit(5.0)
        self._kill()
        self._child.reap(5.0)
        sig = self._child.signal()
        oom = self._cgroup is not None and self._cgroup.oom_kills() > 0
        if oom or (sig == signal.SIGKILL and self._cgroup is None and self._near_as_limit()):
            return self._die(
                CallResult(
                    STATUS_MEMORY_LIMIT,
                    seconds,
                    None,
                    f"phase '{phase}' exceeded the {_fmt_bytes(self.limits.memory_bytes)} "
                    "memory limit (killed by the kernel)",
                ),
                kill=False,
            )
        if sig == signal.SIGXCPU:
            return self._die(
                CallResult(
                    STATUS_TIMEOUT,
                    seconds,
                    None,
                    f"phase '{phase}' exceeded the {self.limits.cpu_s:g} s CPU-time limit",
                ),
                kill=False,
            )
        last = self._tail_text().strip().splitlines()
        hint = f": {last[-1][:200]}" if last else ""
        return self._die(
            CallResult(
                STATUS_CRASHED,
                seconds,
                None,
                f"the child process died during phase '{phase}' ({self._child.exit}){hint}",
            ),
            kill=False,
        )
