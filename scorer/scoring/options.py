"""Scoring options from the command line, checked once and turned into a ``Job``.

Every command that scores (``run``, ``score``, ``submit``, ``reproduce``) builds its job here, so
``--repeats``, ``--max-rounds``, ``--round-budget``, ``--precision``, ``--threads`` and ``--data`` mean the same thing
and fail with the same line. Commands without the round options (``profile``, ``reproduce``:
one run, no baseline) get the planned rounds only.
"""

from __future__ import annotations

from pathlib import Path

from scorer.contract.errors import UsageError
from scorer.scoring import datasets
from scorer.scoring.job import DEFAULT_REPEATS, Job


def job_from_args(args, repo: Path) -> Job:
    """The job for the parsed arguments ``args`` in ``repo``."""
    if getattr(args, "repeats", 1) < 1:
        raise UsageError("--repeats must be at least 1")
    if args.threads < 1:
        raise UsageError("--threads must be at least 1")
    precision = getattr(args, "precision", None)
    if precision is not None and not 0.0 < precision < 1.0:
        raise UsageError(f"--precision {precision:g}: use a fraction between 0 and 1, e.g. 0.015")
    repeats = getattr(args, "repeats", DEFAULT_REPEATS)
    max_rounds = getattr(args, "max_rounds", repeats)
    if max_rounds < repeats:
        raise UsageError(
            f"--max-rounds {max_rounds} is below --repeats {repeats}; use at least {repeats}"
        )
    budget = getattr(args, "round_budget", None)
    if budget is not None and budget < 0:
        raise UsageError(f"--round-budget {budget:g}: use a number of seconds, 0 or more")
    if max_rounds == repeats:  # the planned rounds only, as --max-rounds says
        budget = None
    return Job(
        repeats=repeats,
        precision=precision,
        max_rounds=max_rounds,
        round_budget_s=budget or None,
        threads=args.threads,
        data_folder=datasets.data_dir(args.data),
        repo_root=repo,
    )
