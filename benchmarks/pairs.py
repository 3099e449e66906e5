"""What the PyTorch comparisons (torch_mlp, torch_cnn, torch_gpt) share.

``load_baseline`` imports an event's baseline submission by path (a benchmark is not the
scorer, so it may import submission code), ``blas_as_scored`` gives numpy's BLAS the threads
the scorer would give that baseline (its ``blas_threads``), and ``interleaved`` times the
NumPy and the PyTorch version of the same work in turns, numpy, torch, numpy, torch, ..., so
that both see the same machine noise.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from pathlib import Path

from scorer.sandbox.launcher import blas_pool
from scorer.scoring.job import DEFAULT_THREADS
from scorer.validate import submission

ROOT = Path(__file__).resolve().parent.parent


def load_baseline(event: str):
    """The baseline's entry module and its folder."""
    folder = ROOT / "submissions" / "baseline" / event
    spec = importlib.util.spec_from_file_location(
        f"tinymlperf_baseline_{event}", folder / "submission.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, folder


@contextlib.contextmanager
def blas_as_scored(folder: Path, threads: int = DEFAULT_THREADS):
    """numpy's OpenBLAS with the threads the scorer's sandbox would start for this entry.

    The scorer sets ``OPENBLAS_NUM_THREADS`` (``blas_pool``) before the child starts; here
    numpy is already loaded, so the pool is resized in place, and only OpenBLAS's: PyTorch
    keeps its own threads.
    """
    from threadpoolctl import ThreadpoolController

    meta, _ = submission.read_metadata(folder)
    pool = blas_pool(threads, submission.blas_threads(meta))
    with ThreadpoolController().select(internal_api="openblas").limit(limits=pool):
        yield pool


def interleaved(
    numpy_run, torch_run, repeats: int, settle_s: float = 0.0, *, scored_as: Path
) -> tuple[list[float], list[float]]:
    """Wall times of ``repeats`` calls of each, alternating; ``settle_s`` pauses before each.

    ``scored_as`` is the baseline's folder: its calls run with the BLAS threads the scorer
    would start for it (``blas_as_scored``).

    After a parallel region both OpenBLAS and OpenMP keep their worker threads spinning for a
    moment; on 2 cores those spinners steal the other library's CPU, so a short pause lets
    them fall asleep before the next timed call.
    """
    numpy_times, torch_times = [], []
    with blas_as_scored(scored_as):
        for _ in range(repeats):
            for run, times in ((numpy_run, numpy_times), (torch_run, torch_times)):
                time.sleep(settle_s)
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
    return numpy_times, torch_times
