"""Beating the baseline and the badges earned, computed from an event's ``Board``.

Pure functions over the rankings of ``scorer.leaderboard.ranking`` (tested in
``tests/test_ranking.py``). The rules (also shown on the site's event and category pages):

* Beating the baseline: a speed-up above 1 whose 95% interval (when known) lies wholly above 1;
  a memory ratio below 1; an efficiency above the baseline entry's own (its quality score, as
  its ratios are 1), or above 1 without a baseline entry. On the absolute fallback scale the
  entry must beat the baseline entry's median; without a baseline entry nothing beats it.
* Badges are won in one event and shown only there. Speed Demon / Memory Wizard = a top place
  in that event's speed / memory ranking that also beats the baseline, where "top" means the
  best ceil(10%) of the qualified entries when the event has at least ``MIN_FIELD`` (10) of
  them, else the first entry only. Innovation Pioneer = an award in awards.yml for that event.
  Triple Crown = such a top place (speed, memory or efficiency) in three events, shown in each.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from scorer.leaderboard.ranking import KINDS, Board, Ranked, quality_score

MIN_FIELD = 10  # qualified entries an event needs before "top 10%" means more than the winner
AWARD_IDS = ("speed-demon", "memory-wizard", "innovation-pioneer", "triple-crown")


def top_count(n_qualified: int) -> int:
    """How many entries are "top 10%": ceil(10%) of a field of at least MIN_FIELD, else one."""
    if n_qualified < MIN_FIELD:
        return 1
    return max(1, math.ceil(n_qualified * 0.1 - 1e-9))


def beats(
    board: Board, kind: str, value: float | None, interval: tuple[float, float] | None = None
) -> bool:
    """Whether ``value`` (on the board's scale for ``kind``) beats the baseline; see the docstring."""
    if value is None:
        return False
    ref = board.reference
    if kind == "speed":
        if board.speed_basis == "speedup":
            return value > 1.0 and (interval is None or interval[0] > 1.0)
        if ref is None or ref.speed is None:
            return False
        return value < ref.speed if board.event.speed.direction == "lower" else value > ref.speed
    if kind == "memory":
        if board.memory_basis == "memory_ratio":
            return value < 1.0
        return ref is not None and ref.memory is not None and value < ref.memory
    own = quality_score(board.event, ref.quality) if ref is not None else None
    return value > (own if own is not None else 1.0)


def beats_baseline(board: Board, kind: str, ranked: Ranked) -> bool:
    """Whether a ranked place beats the baseline (a speed-up's whole 95% interval above 1)."""
    interval = ranked.entry.speedup_interval if kind == "speed" else None
    return beats(board, kind, ranked.value, interval)


def event_badges(
    boards: Mapping[str, Board], awarded: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """(team, event) -> the badges won in that event, in the fixed order of AWARD_IDS."""
    got: dict[tuple[str, str], set[str]] = {}
    crowns: dict[str, set[str]] = {}
    for eid, board in boards.items():
        cut = top_count(len(board.qualified))
        for kind in KINDS:
            for r in getattr(board, kind)[:cut]:
                if not beats_baseline(board, kind, r):
                    continue
                key = (r.entry.team, eid)
                if kind == "speed":
                    got.setdefault(key, set()).add("speed-demon")
                elif kind == "memory":
                    got.setdefault(key, set()).add("memory-wizard")
                crowns.setdefault(r.entry.team, set()).add(eid)
    for team, eid in awarded:
        got.setdefault((team, eid), set()).add("innovation-pioneer")
    for team, events in crowns.items():
        if len(events) >= 3:
            for eid in events:
                got.setdefault((team, eid), set()).add("triple-crown")
    return {k: [a for a in AWARD_IDS if a in v] for k, v in sorted(got.items())}


def badges(boards: Mapping[str, Board], awarded: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Team -> every badge it won in any event (for its team page), in AWARD_IDS order."""
    per_team: dict[str, set[str]] = {}
    for (team, _eid), got in event_badges(boards, awarded).items():
        per_team.setdefault(team, set()).update(got)
    return {t: [a for a in AWARD_IDS if a in v] for t, v in sorted(per_team.items())}
