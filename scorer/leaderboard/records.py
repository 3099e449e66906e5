"""Record history: each moment the best score of an event's speed or memory ranking fell.

Pure functions over the rankings of ``scorer.leaderboard.ranking`` (tested in
``tests/test_ranking.py``). The rule (also shown on the site's records page):

* A record is a qualified score better than every earlier one in its event *and* better than
  the baseline; a fast-but-slower-than-baseline entry sets no record, and a re-score of the
  holder's own unchanged content (same content hash) that comes out better is not a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scorer.contract.events import BASELINE_TEAM
from scorer.leaderboard.badges import beats
from scorer.leaderboard.ranking import Board, Entry, speed_higher


@dataclass(frozen=True)
class RecordFall:
    """A moment the best value of an event's speed or memory ranking was beaten."""

    event: str
    kind: str  # "speed" or "memory"
    team: str
    value: float
    at: str
    previous_team: str | None
    previous_value: float | None


def _scores(entry: Entry):
    """Every official score of an entry, oldest first: its history, then the current record,
    as (finished_at, speed, speedup, memory, memory_ratio, content hash)."""
    for h in entry.history:
        if h.get("status") == "ok":
            yield (
                h.get("finished_at") or "",
                h.get("speed"),
                h.get("speedup"),
                h.get("memory"),
                h.get("memory_ratio"),
                h.get("content_hash"),
            )
    if entry.qualified:
        yield (
            entry.finished_at,
            entry.speed,
            entry.speedup,
            entry.memory,
            entry.memory_ratio,
            (entry.record.get("submission") or {}).get("content_hash"),
        )


def record_history(board: Board, all_entries: Iterable[Entry]) -> list[RecordFall]:
    """Each time a record fell in this event, oldest first, on the board's own scale.

    A score is a record when it beats every earlier one and the baseline (``badges.beats``). A
    re-score of the record holder's own content that comes out a little better is noise, not
    a new record: it raises the bar silently.
    """
    points = []
    for e in all_entries:
        if e.event != board.event.id or e.team == BASELINE_TEAM:
            continue
        for at, speed, speedup, memory, ratio, content in _scores(e):
            s = speedup if board.speed_basis == "speedup" else speed
            m = ratio if board.memory_basis == "memory_ratio" else memory
            # Only the current score has a 95% interval; earlier ones are judged by their value.
            current = at == e.finished_at and speedup == e.speedup
            interval = e.speedup_interval if current and board.speed_basis == "speedup" else None
            points.append((at, e.team, s, m, interval, content))
    points.sort(key=lambda p: (p[0], p[1]))
    higher = speed_higher(board.event, board.speed_basis)
    falls: list[RecordFall] = []
    for kind, idx, hi in (("speed", 2, higher), ("memory", 3, False)):
        best: tuple[str, float, str | None] | None = None  # (team, value, content hash)
        for p in points:
            v = p[idx]
            if v is None or not beats(board, kind, v, p[4] if kind == "speed" else None):
                continue
            if best is None or (v > best[1] if hi else v < best[1]):
                same = best is not None and (best[0], best[2]) == (p[1], p[5]) and p[5]
                if not same:
                    falls.append(
                        RecordFall(
                            board.event.id,
                            kind,
                            p[1],
                            v,
                            p[0],
                            best[0] if best else None,
                            best[1] if best else None,
                        )
                    )
                best = (p[1], v, p[5])
    falls.sort(key=lambda f: (f.at, f.kind, f.team))
    return falls
