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


@dataclass
class Job:
    """How to score: shared by every entry of one ``run``/``score`` command."""

    repeats: int = DEFAULT_REPEATS
    threads: int = DEFAULT_THREADS
    limits: Limits = field(default_factory=Limits)
    data_folder: Path | None = None
    repo_root: Path = Path(".")
    progress: Progress = field(default_factory=Progress)
    _data: dict = field(default_factory=dict)

    def data(self, event_id: str) -> dict:
        """Each event's dataset, loaded and verified once per job."""
        if event_id not in self._data:
            self.progress.note(f"loading and verifying the {EVENTS[event_id].dataset} dataset")
            self._data[event_id] = module(event_id).prepare(self.data_folder)
        return self._data[event_id]
