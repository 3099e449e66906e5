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
        pytest.skip("the real datasets are not here: set TINYMLPERF_DATA to a copy of shared/datasets")
    return folder
