"""The plain-data blocks of a result record: a metric's median and spread, the claimed values
beside the measured ones, the machine's environment and the entry's commit.

``scorer.scoring.engine`` assembles the record from these; nothing here runs anything but
``git log`` (for the commit) or reads anything but ``/proc/cpuinfo``.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np


def full_isolation(isolation: dict) -> bool:
    """bubblewrap's namespaces and read-only binds, and a joined cgroup for memory/CPU."""
    limits = isolation.get("limits") or {}
    return (
        isolation.get("filesystem") == "bwrap-ro-binds"
        and str(limits.get("memory_by", "")).startswith("cgroup")
        and str(limits.get("cpu_by", "")).startswith("cgroup")
    )


def metric_stats(values: list[float | None], metric, unit: str, direction: str, **extra) -> dict:
    """A metric's block: median, min, max, relative spread and the samples (None left out)."""
    clean = [float(v) for v in values if v is not None]
    if not clean:
        return {
            "metric": metric,
            "unit": unit,
            "direction": direction,
            "median": None,
            "min": None,
            "max": None,
            "spread": None,
            "samples": [],
            **extra,
        }
    median = float(np.median(clean))
    spread = (max(clean) - min(clean)) / median if median else 0.0
    return {
        "metric": metric,
        "unit": unit,
        "direction": direction,
        "median": median,
        "min": min(clean),
        "max": max(clean),
        "spread": spread,
        "samples": clean,
        **extra,
    }


def git_commit(path: Path, repo_root: Path) -> str | None:
    """The commit that last changed ``path`` (None outside a git checkout or when untracked)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo_root), "log", "-1", "--format=%H", "--", str(path.resolve())],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def environment(threads: int, isolation: dict) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        blas_info: Any = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas_info.get('name', '?')} {blas_info.get('version', '')}".strip()
    except Exception:  # numpy's config format is not a stable API; the name is informative only
        blas = "unknown"
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    return {
        "cpu": cpu,
        "cores": cores,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "os": platform.platform(),
        "threads": threads,
        "isolation": isolation,
    }


def claimed_rows(meta: dict, event, quality, speed, memory, extra) -> list[dict]:
    """The values submission.json claims beside the measured medians, with the difference."""
    claimed = meta.get("claimed", {}) if isinstance(meta, dict) else {}
    pairs = [(event.quality, quality), (event.speed, speed), (event.memory, memory)]
    pairs += [(m, extra.get(m.key)) for m in event.extra]
    rows = []
    for metric, measured in pairs:
        if metric.claimed_key not in claimed:
            continue
        value = float(claimed[metric.claimed_key])
        diff = None if measured is None else measured - value
        rel = None if diff is None or value == 0 else diff / value
        rows.append(
            {
                "metric": metric.key,
                "claimed": value,
                "measured": measured,
                "difference": diff,
                "relative": rel,
            }
        )
    return rows
