"""What one ``run``/``score`` command scores with: repeats, threads, limits, data and progress.

``scorer.scoring.options.job_from_args`` builds it from the command line; every entry of the
command shares it (and its datasets, loaded and verified once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scorer.contract.events import EVENTS
from scorer.contract.limits import Limits
from scorer.progress import Progress
from scorer.scoring.events import module

DEFAULT_REPEATS = 3
DEFAULT_THREADS = 2
# Rounds against the baseline go on until the speed-up's 95% interval is this tight (its
# half-width on the log scale, about +-1.5%) or MAX_ROUNDS have run: with the per-round noise
# measured on a quiet 2-core runner (3% on the log ratio) that takes about 25 rounds and
# orders a 3% difference correctly (docs/methodology.md, "Resolution, measured").
DEFAULT_PRECISION = 0.015
DEFAULT_MAX_ROUNDS = 40
# Short rounds may go on past DEFAULT_MAX_ROUNDS while they fit in this many seconds at the
# first stage's pace (``Job.round_cap``): on a noisy host (the AMD machine, 2026-12-04) the MLP
# Sprint's rounds of 1.8 s had 12.5% per-round noise, so 40 of them gave about +-4% and a 3%
# pair was ordered correctly in 7 scorings of 10; 300 s allows ~166 (about +-2%). A round of
# the Transformer Decathlon (~14 s) stays at 40: 300 s is 21 of them.
DEFAULT_ROUND_BUDGET_S = 300.0
# However short the rounds, never more than this many (a record keeps every round's samples).
HARD_MAX_ROUNDS = 1000
# Stein's first stage: the spread of this many rounds sets how many run in all and how wide
# the interval is. Fewer would leave the spread itself uncertain (t with few degrees of
# freedom is wide, so more rounds would be needed than a better estimate asks for).
MIN_PRECISE_ROUNDS = 10


@dataclass
class Job:
    """How to score: shared by every entry of one ``run``/``score`` command."""

    repeats: int = DEFAULT_REPEATS
    threads: int = DEFAULT_THREADS
    # None: no rounds for precision, only the planned ones and the spread rule's extra ones
    # (the library default, which tests rely on); the commands pass DEFAULT_PRECISION.
    precision: float | None = None
    max_rounds: int = DEFAULT_MAX_ROUNDS
    # None: never more than max_rounds; the commands pass DEFAULT_ROUND_BUDGET_S.
    round_budget_s: float | None = None
    # A round's two runs alive together, taking turns call by call (scorer/scoring/turns.py)
    # where the children can be frozen; False: one whole run after the other.
    interleave: bool = True
    limits: Limits = field(default_factory=Limits)
    data_folder: Path | None = None
    repo_root: Path = Path(".")
    progress: Progress = field(default_factory=Progress)
    _data: dict = field(default_factory=dict)

    def first_stage(self) -> int | None:
        """Stein's first stage when rounds go on until precise (the rounds whose spread sets
        how many more run and how wide the interval is), else None."""
        if self.precision is None:
            return None
        return max(2, min(MIN_PRECISE_ROUNDS, self.max_rounds))

    def round_cap(self, first_seconds: list[float]) -> int:
        """Rounds at most, given the wall seconds of the first stage's rounds: ``max_rounds``,
        or as many as fit in ``round_budget_s`` at their mean pace when that is more (at most
        ``HARD_MAX_ROUNDS``). Fixed by the first stage alone, as Stein's rule wants of N."""
        if not self.round_budget_s or not first_seconds:
            return self.max_rounds
        pace = sum(first_seconds) / len(first_seconds)
        fit = int(self.round_budget_s // pace) if pace > 0 else HARD_MAX_ROUNDS
        return max(self.max_rounds, min(HARD_MAX_ROUNDS, fit))

    def data(self, event_id: str) -> dict:
        """Each event's dataset, loaded and verified once per job."""
        if event_id not in self._data:
            self.progress.note(f"loading and verifying the {EVENTS[event_id].dataset} dataset")
            self._data[event_id] = module(event_id).prepare(self.data_folder)
        return self._data[event_id]
