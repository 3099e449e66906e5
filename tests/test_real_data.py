"""One run per event on the real data: the baselines must qualify, exactly as CI scores them.

Marked slow (seconds to a minute each); still part of ``make test``. Needs the canonical
datasets (``$TINYMLPERF_DATA`` or ``../shared/datasets``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scorer.contract import schema
from scorer.contract.events import EVENT_IDS, EVENTS
from scorer.progress import Progress
from scorer.scoring import engine as scoring

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.parametrize("event_id", EVENT_IDS)
def test_the_baseline_qualifies_on_the_real_data(event_id, data_dir):
    folder = ROOT / "submissions" / "baseline" / event_id
    job = scoring.Job(
        repeats=1, data_folder=data_dir, repo_root=ROOT, progress=Progress(quiet=True)
    )
    record = scoring.score_entry(folder, event_id, job)
    assert schema.validate(record, "result") == []
    assert record["status"] == "ok", record["reason"]
    event = EVENTS[event_id]
    assert event.meets_threshold(record["quality"]["median"])
    assert record["speed"]["median"] > 0 and record["memory"]["median"] > 0
    assert record["environment"]["isolation"]
