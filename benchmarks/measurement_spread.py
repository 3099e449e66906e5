"""How noisy is a measurement? Score the baseline MLP Sprint entry 10 times on this machine.

    TINYMLPERF_DATA=../shared/datasets .venv/bin/python benchmarks/measurement_spread.py \
        [--runs 10] [--event mlp_sprint] [--threads 2]

Each run is a fresh sandboxed child through every phase, exactly as ``tinymlperf run`` does it;
the script prints each run's speed on the wall clock and on the kernel's CPU count (the
estimator scoring ranks by on one thread, ``scorer.scoring.stats.cpu_equivalent``) and its peak memory,
then the median, min, max and the coefficient of variation (standard deviation / mean) of each.
Figures, not assertions: the machine is shared and its noise is the point. For pairs of entries
and the ranking's verdicts, see ``benchmarks/resolution.py``.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scorer.contract.events import EVENTS
from scorer.progress import Progress
from scorer.scoring import datasets
from scorer.scoring import engine as scoring
from scorer.scoring.job import DEFAULT_THREADS


def describe(name: str, unit: str, values: list[float]) -> str:
    mean = statistics.fmean(values)
    cv = statistics.stdev(values) / mean if len(values) > 1 and mean else 0.0
    return (
        f"{name:>10}: median {statistics.median(values):.4g} {unit}, min {min(values):.4g}, "
        f"max {max(values):.4g}, CV {cv:.1%} over {len(values)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--event", default="mlp_sprint")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    args = parser.parse_args()
    folder = ROOT / "submissions" / "baseline" / args.event
    job = scoring.Job(
        repeats=1,
        threads=args.threads,
        data_folder=datasets.data_dir(),
        repo_root=ROOT,
        progress=Progress(),
    )
    direction = EVENTS[args.event].speed.direction
    speeds, cpu_speeds, memories = [], [], []
    for i in range(args.runs):
        run = scoring.run_once(folder, args.event, job, np.random.default_rng(secrets.randbits(64)))
        if run.outcome.status != "ok":
            raise SystemExit(f"run {i + 1}: {run.outcome.status}: {run.outcome.reason}")
        speeds.append(run.outcome.speed)
        memories.append(run.memory_mib)
        on_cpu = run.cpu_speed(direction)
        if on_cpu is not None:
            cpu_speeds.append(on_cpu)
        print(
            f"run {i + 1:2d}/{args.runs}: speed {run.outcome.speed:.4f} (on CPU "
            f"{'-' if on_cpu is None else f'{on_cpu:.4f}'}), quality {run.outcome.quality:.4f}, "
            f"peak {run.memory_mib:.1f} MiB ({run.report.memory_method})",
            flush=True,
        )
    unit = EVENTS[args.event].speed.unit
    print(describe("speed", unit, speeds))
    if cpu_speeds:
        print(describe("on CPU", unit, cpu_speeds))
    print(describe("memory", "MiB", memories))


if __name__ == "__main__":
    main()
