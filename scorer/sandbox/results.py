"""What the sandbox hands back: one call's ``CallResult`` and the run's ``SandboxReport``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
