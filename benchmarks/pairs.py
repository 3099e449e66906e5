"""What the PyTorch comparisons (torch_mlp, torch_cnn, torch_gpt) share.

``load_baseline`` imports an event's baseline submission by path (a benchmark is not the
scorer, so it may import submission code), ``blas_as_scored`` gives numpy's BLAS the threads
the scorer would give that baseline (its ``blas_threads``), and ``interleaved`` times the
NumPy and the PyTorch version of the same work in turns, numpy, torch, numpy, torch, ..., so
that both see the same machine noise, with a sample of the machine's matmul peak in each
round for the "% of peak" yardstick.
"""

from __future__ import annotations

import contextlib
import importlib.util
import statistics
import time
from pathlib import Path
from typing import NamedTuple

from matmul_peak import PeakSampler

from scorer.sandbox.launcher import blas_pool
from scorer.scoring.job import DEFAULT_THREADS
from scorer.validate import submission

ROOT = Path(__file__).resolve().parent.parent
PEAK_SETTLE_S = 0.5  # pause around each peak sample (see interleaved)


def load_baseline(event: str):
    """The baseline's entry module and its folder."""
    folder = ROOT / "submissions" / "baseline" / event
    spec = importlib.util.spec_from_file_location(
        f"tinymlperf_baseline_{event}", folder / "submission.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, folder


def _openblas_threads(threads: int):
    """Resize numpy's OpenBLAS pool in place for a ``with`` block (PyTorch keeps its own)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(internal_api="openblas").limit(limits=threads)


@contextlib.contextmanager
def blas_as_scored(folder: Path, threads: int = DEFAULT_THREADS):
    """numpy's OpenBLAS with the threads the scorer's sandbox would start for this entry.

    The scorer sets ``OPENBLAS_NUM_THREADS`` (``blas_pool``) before the child starts; here
    numpy is already loaded, so the pool is resized in place, and only OpenBLAS's: PyTorch
    keeps its own threads.
    """
    meta, _ = submission.read_metadata(folder)
    pool = blas_pool(threads, submission.blas_threads(meta))
    with _openblas_threads(pool):
        yield pool


class Timings(NamedTuple):
    """What ``interleaved`` measured: seconds per call of each side, and the yardstick."""

    numpy_s: list[float]
    torch_s: list[float]
    peak_gflops: list[float]  # one matmul-peak sample per round

    @property
    def numpy_median(self) -> float:
        return statistics.median(self.numpy_s)

    @property
    def torch_median(self) -> float:
        return statistics.median(self.torch_s)


def interleaved(
    numpy_run,
    torch_run,
    repeats: int,
    settle_s: float = 0.0,
    *,
    scored_as: Path,
    peak: PeakSampler,
) -> Timings:
    """Wall times of ``repeats`` calls of each, alternating; ``settle_s`` pauses before each.

    ``scored_as`` is the baseline's folder: its calls run with the BLAS threads the scorer
    would start for it (``blas_as_scored``).

    After a parallel region both OpenBLAS and OpenMP keep their worker threads spinning for a
    moment; on 2 cores those spinners steal the other library's CPU, so a short pause lets
    them fall asleep before the next timed call.

    Every round also samples the machine's float32 matmul peak with ``peak`` (at the
    scorer's thread count, whatever the baseline's own) just before the numpy call: on a
    shared machine the speed drifts by tens of percent within a minute, so a "% of peak"
    is only a ratio of two figures measured in the same moments.
    """
    timings = Timings([], [], [])
    with blas_as_scored(scored_as):
        for _ in range(repeats):
            # Pauses on both sides whatever settle_s is: the sample must not share the
            # cores with the spinners of the call before it, nor leave its own behind.
            time.sleep(PEAK_SETTLE_S)
            with _openblas_threads(DEFAULT_THREADS):
                timings.peak_gflops.append(peak.sample())
            time.sleep(PEAK_SETTLE_S)
            for run, times in ((numpy_run, timings.numpy_s), (torch_run, timings.torch_s)):
                time.sleep(settle_s)
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
    return timings


def yardstick(flops: float, timings: Timings) -> dict:
    """The row fields for "% of peak": the median of the per-round ratios, and the peak.

    Each round's achieved rate is set against the peak sampled in that round, then the
    median is taken, so a slow or fast minute moves both sides of a ratio together.
    """
    rates = [flops / s / 1e9 for s in timings.numpy_s]
    return {
        "peak_gflops": statistics.median(timings.peak_gflops),
        "of_peak": statistics.median(
            r / p for r, p in zip(rates, timings.peak_gflops, strict=True)
        ),
        "peak_samples_gflops": timings.peak_gflops,
    }
