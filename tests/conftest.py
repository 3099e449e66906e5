"""Shared test settings: where the real datasets are, for the few tests marked slow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "datasets"


def real_data_dir() -> Path | None:
    """$TINYMLPERF_DATA, else ../shared/datasets beside the checkout (as the Makefile does)."""
    env = os.environ.get("TINYMLPERF_DATA")
    if env and Path(env).is_dir():
        return Path(env)
    return SHARED_DATA if (SHARED_DATA / "SHA256SUMS").is_file() else None


@pytest.fixture
def data_dir() -> Path:
    folder = real_data_dir()
    if folder is None:
        pytest.skip(
            "the real datasets are not here: set TINYMLPERF_DATA to a copy of shared/datasets"
        )
    return folder


def save_prototype_weights(target, x, y) -> None:
    """The weights of tests/exploits/weights/prototypes for images ``x`` and labels ``y``: each
    image pooled 4x4 to 192 numbers, as the entry's own ``features`` does (written out again
    here: the tests never import entry code). ``target`` is a path or a binary file object."""
    import numpy as np

    pooled = np.asarray(x, dtype=np.float32).reshape(len(x), 8, 4, 8, 4, 3).mean(axis=(2, 4))
    np.savez(
        target,
        prototypes=pooled.reshape(len(x), -1).astype(np.float16),
        labels=np.asarray(y, dtype=np.uint8),
    )
