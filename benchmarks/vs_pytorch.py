"""The NumPy baselines side by side with PyTorch on the CPU, on the same work.

    make bench      # installs the optional PyTorch CPU build into .venv, then runs this
    TINYMLPERF_DATA=../shared/datasets .venv/bin/python benchmarks/vs_pytorch.py [--only mlp_sprint]

For each event the matching module (torch_mlp, torch_cnn, torch_gpt) runs the same model with
the same weights (for the MLP, the same training recipe) in both, interleaved in one process
(numpy, torch, numpy, torch, ...), and returns each pair's median time. This script prints the
pairs, the ratio NumPy / PyTorch (goal: at most 1.0) and the baseline's achieved GFLOP/s against
this machine's float32 matrix-multiply peak (benchmarks/matmul_peak.py). The peak is sampled in
every round of every comparison, just before the NumPy call, and "of peak" is the median of the
per-round ratios: this machine's speed drifts by tens of percent from one minute to the next
(a neighbour's load), so a peak measured once before or after the comparisons set a quiet
minute's yardstick against a busy minute's work or the other way round, and moved the MLP's
figure by ten points between two runs. The peak before and after all comparisons is still
printed, with the range of the per-round samples, to show how much the machine moved.
PyTorch is a benchmark-only dependency: nothing else in the project imports it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling benchmark modules

from matmul_peak import matmul_peak

HERE = Path(__file__).resolve().parent
MODULES = {
    "mlp_sprint": "torch_mlp",
    "cnn_marathon": "torch_cnn",
    "transformer_decathlon": "torch_gpt",
}


def blas_kernel() -> str:
    """Which BLAS library and kernel numpy runs here (an environment can force older kernels)."""
    try:
        import threadpoolctl
    except ImportError:
        return "unknown (install threadpoolctl to see it)"
    pools = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
    return (
        ", ".join(
            f"{p['internal_api']} {p.get('architecture', '?')} kernels, {p['num_threads']} threads"
            for p in pools
        )
        or "none found"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(MODULES), action="append")
    parser.add_argument(
        "--data",
        default=os.environ.get("TINYMLPERF_DATA", str(HERE.parent.parent / "shared" / "datasets")),
    )
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        raise SystemExit(
            "PyTorch is not installed: run `make bench` (it installs the CPU build into .venv)"
        ) from None
    torch.set_num_threads(2)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    peak_before = matmul_peak()
    print(
        f"float32 matmul peak on this machine (numpy, 2048^3): {peak_before:.1f} GFLOP/s; torch {torch.__version__}"
    )
    print(
        f"numpy's BLAS: {blas_kernel()} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})"
    )
    rows = []
    for event in args.only or MODULES:
        module = importlib.import_module(MODULES[event])
        print(f"\n{event}: running {MODULES[event]}.compare ...", flush=True)
        rows += module.compare(args.data)
    peak_after = matmul_peak()
    samples = [p for row in rows for p in row["peak_samples_gflops"]]
    print(
        f"\nfloat32 matmul peak again after the comparisons: {peak_after:.1f} GFLOP/s; "
        f"sampled in each round: {min(samples):.1f}-{max(samples):.1f}"
    )
    print(
        f"\n{'event':<22} {'what':<34} {'numpy s':>9} {'torch s':>9} {'ratio':>7} "
        f"{'GFLOP/s':>8} {'peak':>7} {'of peak':>8}"
    )
    for row in rows:
        print(
            f"{row['event']:<22} {row['what']:<34} {row['numpy_s']:>9.4f} {row['torch_s']:>9.4f} "
            f"{row['ratio']:>7.2f} {row['numpy_gflops']:>8.1f} {row['peak_gflops']:>7.1f} "
            f"{row['of_peak']:>8.0%}"
        )
    print(
        "\n(peak: the median of the matmul-peak samples taken in that comparison's rounds; "
        "of peak: the median of the per-round GFLOP/s / peak)"
    )


if __name__ == "__main__":
    main()
