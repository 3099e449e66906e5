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

    def data(self, event_id: str) -> dict:
        """Each event's dataset, loaded and verified once per job."""
        if event_id not in self._data:
            self.progress.note(f"loading and verifying the {EVENTS[event_id].dataset} dataset")
            self._data[event_id] = module(event_id).prepare(self.data_folder)
        return self._data[event_id]
