"""Where one new record would stand today: the rank line ``run``, ``submit`` and the PR report print."""

from __future__ import annotations

from scorer.contract.events import BASELINE_TEAM, EVENTS
from scorer.leaderboard import ranking


def would_rank(record: dict, records: list[dict]) -> str:
    """The speed rank the entry would take today among the qualified records of its event."""
    if not record["qualified"]:
        return "not ranked"
    if record["team"] == BASELINE_TEAM:
        return "the yardstick (baseline)"
    others = [r for r in records if r["event"] == record["event"] and r["team"] != record["team"]]
    entries = [ranking.entry_from_record(r) for r in [*others, record]]
    board = ranking.build_board(EVENTS[record["event"]], entries)
    for ranked in board.speed:
        if ranked.entry.team == record["team"]:
            return f"#{ranked.rank} of {len(board.speed)} (speed)"
    return "not ranked"
