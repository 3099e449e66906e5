"""How noisy is a measurement? Score the baseline MLP Sprint entry 10 times on this machine.

    TINYMLPERF_DATA=../shared/datasets .venv/bin/python benchmarks/measurement_spread.py [--runs 10]

Each run is a fresh sandboxed child through every phase, exactly as ``tinymlperf run`` does it;
the script prints each run's train() time and peak memory, then the median, min, max and the
coefficient of variation (standard deviation / mean) of both. Figures, not assertions: the
machine is shared and its noise is the point.
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

from scorer import datasets, scoring  # noqa: E402
from scorer.progress import Progress  # noqa: E402


def describe(name: str, unit: str, values: list[float]) -> str:
    mean = statistics.fmean(values)
    cv = statistics.stdev(values) / mean if len(values) > 1 and mean else 0.0
    return (f"{name:>10}: median {statistics.median(values):.4g} {unit}, min {min(values):.4g}, "
            f"max {max(values):.4g}, CV {cv:.1%} over {len(values)} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--event", default="mlp_sprint")
    args = parser.parse_args()
    folder = ROOT / "submissions" / "baseline" / args.event
    job = scoring.Job(repeats=1, data_folder=datasets.data_dir(), repo_root=ROOT, progress=Progress())
    speeds, memories = [], []
    for i in range(args.runs):
        run = scoring.run_once(folder, args.event, job, np.random.default_rng(secrets.randbits(64)))
        if run.outcome.status != "ok":
            raise SystemExit(f"run {i + 1}: {run.outcome.status}: {run.outcome.reason}")
        speeds.append(run.outcome.speed)
        memories.append(run.memory_mib)
        print(f"run {i + 1:2d}/{args.runs}: speed {run.outcome.speed:.4f}, quality {run.outcome.quality:.4f}, "
              f"peak {run.memory_mib:.1f} MiB ({run.report.memory_method})", flush=True)
    print(describe("speed", "s" if args.event != "transformer_decathlon" else "tokens/s", speeds))
    print(describe("memory", "MiB", memories))


if __name__ == "__main__":
    main()
