"""Scoring options from the command line, checked once and turned into a ``Job``.

Every command that scores (``run``, ``score``, ``submit``, ``reproduce``) builds its job here, so
``--repeats``, ``--threads`` and ``--data`` mean the same thing and fail with the same line.
"""

from __future__ import annotations

from pathlib import Path

from scorer.contract.errors import UsageError
from scorer.scoring import datasets
from scorer.scoring.job import DEFAULT_REPEATS, Job


def job_from_args(args, repo: Path) -> Job:
    """The job for the parsed arguments ``args`` (``repeats``, ``threads``, ``data``) in ``repo``."""
    if getattr(args, "repeats", 1) < 1:
        raise UsageError("--repeats must be at least 1")
    if args.threads < 1:
        raise UsageError("--threads must be at least 1")
    return Job(
        repeats=getattr(args, "repeats", DEFAULT_REPEATS),
        threads=args.threads,
        data_folder=datasets.data_dir(args.data),
        repo_root=repo,
    )
