"""What the PyTorch comparisons (torch_mlp, torch_cnn, torch_gpt) share.

``load_baseline`` imports an event's baseline submission by path (a benchmark is not the
scorer, so it may import submission code), and ``interleaved`` times the NumPy and the PyTorch
version of the same work in turns, numpy, torch, numpy, torch, ..., so that both see the same
machine noise.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

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


def interleaved(
    numpy_run, torch_run, repeats: int, settle_s: float = 0.0
) -> tuple[list[float], list[float]]:
    """Wall times of ``repeats`` calls of each, alternating; ``settle_s`` pauses before each.

    After a parallel region both OpenBLAS and OpenMP keep their worker threads spinning for a
    moment; on 2 cores those spinners steal the other library's CPU, so a short pause lets
    them fall asleep before the next timed call.
    """
    numpy_times, torch_times = [], []
    for _ in range(repeats):
        for run, times in ((numpy_run, numpy_times), (torch_run, torch_times)):
            time.sleep(settle_s)
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return numpy_times, torch_times
