"""This machine's float32 matrix-multiply peak, the yardstick for "% of peak" figures.

    .venv/bin/python benchmarks/matmul_peak.py [--size 2048] [--repeats 7]

``matmul_peak()`` times a large square float32 product with the BLAS NumPy is linked to (the
thread count comes from OPENBLAS_NUM_THREADS as usual; the scorer and the PyTorch comparisons
use 2) and returns the median rate. benchmarks/vs_pytorch.py prints it before and after its
comparisons, and each comparison samples it once per round (``PeakSampler``, through
benchmarks/pairs.py), so a baseline's GFLOP/s are set against the peak of the same moments on
the same (possibly busy) machine. Run directly, it also prints the rate of the
MLP baseline's two big products at its batch size, to show how far a small product is from
the peak.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # the scorer's setting, unless the caller chose

import numpy as np


class PeakSampler:
    """Times a float32 n x n x n product on demand; the operands are made once.

    benchmarks/pairs.py takes one sample per round of a side-by-side comparison, so that the
    yardstick is measured in the same moments as the work set against it.
    """

    def __init__(self, n: int = 2048) -> None:
        self.n = n
        self.a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
        self.b = self.a.T.copy()
        self.out = np.empty((n, n), np.float32)
        np.matmul(self.a, self.b, out=self.out)  # warm-up: thread pool start, page faults

    def sample(self, repeats: int = 3) -> float:
        """GFLOP/s: the median of ``repeats`` back-to-back products."""
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            np.matmul(self.a, self.b, out=self.out)
            rates.append(2 * self.n**3 / (time.perf_counter() - start) / 1e9)
        return float(np.median(rates))


def matmul_peak(n: int = 2048, repeats: int = 7) -> float:
    """Float32 n x n x n matrix-multiply rate in GFLOP/s (median of ``repeats``)."""
    return PeakSampler(n).sample(repeats)


def product_rate(m: int, k: int, n: int, transpose_a: bool = False, calls: int = 200) -> float:
    """GFLOP/s of ``calls`` back-to-back (m x k) @ (k x n) float32 products into one buffer."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((k, m) if transpose_a else (m, k), dtype=np.float32)
    a = a.T if transpose_a else a
    b = rng.standard_normal((k, n), dtype=np.float32)
    out = np.empty((m, n), np.float32)
    np.matmul(a, b, out=out)
    start = time.perf_counter()
    for _ in range(calls):
        np.matmul(a, b, out=out)
    return 2 * m * k * n * calls / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if args.size < 1 or args.repeats < 1:
        raise SystemExit("matmul_peak.py: --size and --repeats must be at least 1")
    peak = matmul_peak(args.size, args.repeats)
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    print(
        f"float32 matmul peak ({args.size}^3, OPENBLAS_NUM_THREADS={threads}): {peak:.1f} GFLOP/s"
    )
    for batch in (128, 256):
        fwd = product_rate(batch, 784, 128)
        grad = product_rate(784, batch, 128, transpose_a=True)
        print(
            f"MLP layer 1 at batch {batch}: x @ W1 {fwd:.1f} GFLOP/s ({fwd / peak:.0%}), "
            f"x.T @ dh {grad:.1f} GFLOP/s ({grad / peak:.0%})"
        )


if __name__ == "__main__":
    main()
