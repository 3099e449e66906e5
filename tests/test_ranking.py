"""Table-driven tests of the leaderboard rules in scorer/leaderboard/ (ranking.py, badges.py,
records.py), expectations worked by hand.

Run: .venv/bin/python -m pytest tests/test_ranking.py
"""

from __future__ import annotations

import math

import pytest

from scorer.contract.events import EVENTS
from scorer.leaderboard.badges import badges, beats_baseline, event_badges, top_count
from scorer.leaderboard.ranking import (
    Entry,
    build_board,
    build_boards,
    efficiency,
    entry_from_record,
    first_measured,
    overall,
    quality_score,
)
from scorer.leaderboard.records import record_history


def E(
    team,
    event="mlp_sprint",
    *,
    status="ok",
    speedup=1.0,
    ratio=1.0,
    speed=1.0,
    memory=100.0,
    quality=0.96,
    created="2026-11-01",
    finished="2026-11-02T00:00:00Z",
    speed_range=None,
    memory_range=None,
    history=(),
    measured=None,
    interval=None,
):
    return Entry(
        team=team,
        event=event,
        team_name=team.title(),
        title="t",
        status=status,
        reason="" if status == "ok" else "why",
        quality=quality,
        speed=speed,
        memory=memory,
        speedup=speedup,
        memory_ratio=ratio,
        speed_range=speed_range or (speed, speed),
        memory_range=memory_range or (memory, memory),
        created=created,
        finished_at=finished,
        commit=None,
        history=tuple(history),
        measured_at=measured or finished,
        speedup_interval=interval,
    )


@pytest.mark.parametrize(
    "event, quality, expected",
    [
        ("mlp_sprint", 0.95, 1.0),  # exactly at the threshold
        ("mlp_sprint", 0.988, 0.988 / 0.95),  # accuracy: quality / threshold = 1.04
        ("transformer_decathlon", 5.0, 6.0 / 5.0),  # perplexity: threshold / quality = 1.2
        ("transformer_decathlon", 6.0, 1.0),
        ("mlp_sprint", None, None),
    ],
)
def test_quality_score(event, quality, expected):
    got = quality_score(EVENTS[event], quality)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize(
    "event, quality, speedup, ratio, expected",
    [
        ("mlp_sprint", 0.95, 2.0, 0.5, 4.0),  # 1 * 2 / 0.5
        ("transformer_decathlon", 5.0, 1.5, 0.75, 2.4),  # 1.2 * 1.5 / 0.75
        ("mlp_sprint", 0.95, None, 0.5, None),  # no baseline: no efficiency
        ("mlp_sprint", 0.95, 2.0, None, None),
    ],
)
def test_efficiency(event, quality, speedup, ratio, expected):
    got = efficiency(EVENTS[event], quality, speedup, ratio)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize(
    "n, top", [(0, 1), (1, 1), (9, 1), (10, 1), (11, 2), (20, 2), (21, 3), (100, 10), (101, 11)]
)
def test_top_ten_percent_needs_a_field_of_ten(n, top):
    # Below ten qualified entries only the winner is "top"; from ten on, ceil(10%).
    assert top_count(n) == top


SPEED_CASES = [
    # (entries, expected team order, expected basis)
    ([E("a", speedup=2.0), E("b", speedup=3.0), E("c", speedup=1.5)], ["b", "a", "c"], "speedup"),
    # Equal value: first measured first, whatever the team-written created date says.
    (
        [
            E("late", speedup=2.0, created="2020-01-01", measured="2026-11-05T00:00:00Z"),
            E("early", speedup=2.0, created="2026-11-30", measured="2026-11-03T00:00:00Z"),
        ],
        ["early", "late"],
        "speedup",
    ),
    (
        [
            E("b", speedup=2.0, finished="2026-11-09T00:00:00Z"),
            E("a", speedup=2.0, finished="2026-11-09T00:00:00Z"),
            E("c", speedup=2.0, finished="2026-11-08T00:00:00Z"),
        ],
        ["c", "a", "b"],
        "speedup",
    ),
    # One entry without a baseline: the whole event falls back to absolute time, lower first.
    (
        [E("a", speedup=5.0, speed=0.3), E("b", speedup=None, ratio=None, speed=0.2)],
        ["b", "a"],
        "absolute",
    ),
]


@pytest.mark.parametrize("entries, order, basis", SPEED_CASES)
def test_speed_ranking(entries, order, basis):
    board = build_board(EVENTS["mlp_sprint"], entries)
    assert [r.entry.team for r in board.speed] == order
    assert [r.rank for r in board.speed] == list(range(1, len(order) + 1))
    assert board.speed_basis == basis


def test_absolute_fallback_follows_the_metric_direction():
    # tokens/s: higher is better.
    ev = "transformer_decathlon"
    board = build_board(
        EVENTS[ev],
        [
            E("a", ev, speedup=None, speed=900.0, quality=5.0),
            E("b", ev, speedup=None, speed=1200.0, quality=5.0),
        ],
    )
    assert [r.entry.team for r in board.speed] == ["b", "a"]


def test_memory_ranking_lower_ratio_first_and_fallback_to_mib():
    board = build_board(EVENTS["mlp_sprint"], [E("a", ratio=0.8), E("b", ratio=0.5)])
    assert [r.entry.team for r in board.memory] == ["b", "a"]
    board = build_board(
        EVENTS["mlp_sprint"], [E("a", ratio=0.1, memory=90.0), E("b", ratio=None, memory=80.0)]
    )
    assert board.memory_basis == "absolute"
    assert [r.entry.team for r in board.memory] == ["b", "a"]


def test_efficiency_ranking():
    # a: 0.95/0.95 * 2 / 1 = 2.0 ; b: 1.0 * 1.5 / 0.5 = 3.0 -> b first.
    board = build_board(
        EVENTS["mlp_sprint"],
        [
            E("a", quality=0.95, speedup=2.0, ratio=1.0),
            E("b", quality=0.95, speedup=1.5, ratio=0.5),
        ],
    )
    assert [(r.entry.team, r.value) for r in board.efficiency] == [("b", 3.0), ("a", 2.0)]


def test_only_qualified_are_ranked_and_baseline_is_reference():
    entries = [
        E("a", speedup=2.0),
        E("x", status="below_threshold", speedup=9.0),
        E("baseline", speedup=1.0),
        E("y", status="timeout", speedup=None),
    ]
    board = build_board(EVENTS["mlp_sprint"], entries)
    assert [r.entry.team for r in board.speed] == ["a"]
    assert [e.team for e in board.unranked] == ["x", "y"]
    assert board.reference.team == "baseline"
    assert board.speed_basis == "speedup"  # y has no baseline but is not qualified


@pytest.mark.parametrize(
    "a_range, b_range, tied",
    [
        # time ranges on a lower-is-better metric; speed-up interval = speedup * median / [max, min]
        ((0.09, 0.11), (0.10, 0.13), True),  # a: [3.64, 4.44] x, b (3.33x, median .12): [3.08, 4.0]
        ((0.095, 0.105), (0.118, 0.125), False),  # a: [3.81, 4.21]; b: [3.2, 3.39]
    ],
)
def test_tied_within_noise(a_range, b_range, tied):
    a = E("a", speedup=4.0, speed=0.1, speed_range=a_range)
    b = E("b", speedup=0.4 / 0.12, speed=0.12, speed_range=b_range)
    board = build_board(EVENTS["mlp_sprint"], [a, b])
    assert [r.entry.team for r in board.speed] == ["a", "b"]
    assert [r.tied_within_noise for r in board.speed] == [False, tied]


def test_overall_geometric_mean_counts_missing_events_as_one():
    entries = [
        E("a", "mlp_sprint", speedup=4.0),
        E("a", "cnn_marathon", speedup=2.0),
        E("b", "mlp_sprint", speedup=8.0, finished="2026-10-01T00:00:00Z"),
        E("c", "cnn_marathon", speedup=1.0),
    ]
    rows = overall(build_boards(entries), "speed")
    # a: (4*2*1)^(1/3) = 2 ; b: (8*1*1)^(1/3) = 2, measured earlier -> first ; c: 1.
    assert [(r.rank, r.team) for r in rows] == [(1, "b"), (2, "a"), (3, "c")]
    assert rows[0].value == pytest.approx(2.0) and rows[1].value == pytest.approx(2.0)
    assert rows[1].per_event == {
        "mlp_sprint": 4.0,
        "cnn_marathon": 2.0,
        "transformer_decathlon": None,
    }


def test_overall_memory_lower_first():
    entries = [E("a", ratio=0.5), E("b", ratio=0.25)]
    assert [r.team for r in overall(build_boards(entries), "memory")] == ["b", "a"]


def test_badges_need_a_field_and_beating_the_baseline():
    events = list(EVENTS)
    entries = []
    # 11 qualified entries in mlp_sprint -> top ceil(1.1) = 2 count; t0 fastest (10x), t1 second
    # (9x), t10 smallest (ratio 0.1).
    for i in range(11):
        entries.append(
            E(f"t{i}", events[0], speedup=10.0 - i, ratio=0.5 + i / 100 if i < 10 else 0.1)
        )
    # t0 is the only, so top, entry of the other two events, and beats the baseline there.
    entries += [
        E("t0", events[1], speedup=1.2, ratio=0.9),
        E("t0", events[2], quality=5.0, speedup=1.1, ratio=0.8),
    ]
    boards = build_boards(entries)
    got = badges(boards, awarded=[("t5", "mlp_sprint")])
    assert got["t0"] == ["speed-demon", "memory-wizard", "triple-crown"]
    assert got["t1"] == ["speed-demon"]
    assert got["t10"] == ["memory-wizard"]
    assert got["t5"] == ["innovation-pioneer"]
    assert "t3" not in got
    # Each badge shows in the event where it was won; the crown in each of its three events.
    per_event = event_badges(boards, [("t5", "mlp_sprint")])
    assert per_event[("t0", "cnn_marathon")] == ["speed-demon", "memory-wizard", "triple-crown"]
    assert per_event[("t10", "mlp_sprint")] == ["memory-wizard"]
    assert ("t10", "cnn_marathon") not in per_event


@pytest.mark.parametrize(
    "speedup, ratio, interval, want",
    [
        # The case: a lone entry 2.6x slower and 5.5x bigger wins nothing.
        (1 / 2.6, 5.5, None, []),
        (1.5, 0.5, None, ["speed-demon", "memory-wizard"]),
        (1.5, 1.0, None, ["speed-demon"]),  # same memory as the baseline: not beaten
        (
            1.05,
            0.9,
            (0.97, 1.13),
            ["memory-wizard"],
        ),  # 95% interval reaches below 1: no Speed Demon
        (1.05, 0.9, (1.01, 1.09), ["speed-demon", "memory-wizard"]),
    ],
)
def test_a_lone_entry_must_beat_the_baseline(speedup, ratio, interval, want):
    boards = build_boards([E("solo", speedup=speedup, ratio=ratio, interval=interval)])
    assert badges(boards, []).get("solo", []) == want


def test_nine_entries_only_the_winner_gets_the_badge():
    entries = [E(f"t{i}", speedup=5.0 - i * 0.1) for i in range(9)]
    got = badges(build_boards(entries), [])
    assert got == {"t0": ["speed-demon"]}


def test_beats_baseline_on_the_absolute_scale_uses_the_baseline_entry():
    # One entry without ratios: absolute seconds, lower is better; the baseline took 0.4 s.
    board = build_board(
        EVENTS["mlp_sprint"],
        [
            E("baseline", speed=0.4, speedup=1.0),
            E("a", speed=0.3, speedup=None, ratio=None),
            E("b", speed=0.5, speedup=None, ratio=None),
        ],
    )
    assert board.speed_basis == "absolute"
    assert [beats_baseline(board, "speed", r) for r in board.speed] == [True, False]


@pytest.mark.parametrize(
    "history, own, want",
    [
        # Scored twice with the same content (re-score): the first time counts.
        (
            [{"content_hash": "sha256:a", "finished_at": "2026-11-02T00:00:00Z"}],
            "2026-11-09T00:00:00Z",
            "2026-11-02T00:00:00Z",
        ),
        # The earlier score was of other content: the current content was first measured now.
        (
            [{"content_hash": "sha256:old", "finished_at": "2026-11-02T00:00:00Z"}],
            "2026-11-09T00:00:00Z",
            "2026-11-09T00:00:00Z",
        ),
        ([], "2026-11-09T00:00:00Z", "2026-11-09T00:00:00Z"),
    ],
)
def test_first_measured_follows_the_content_hash(history, own, want):
    rec = {
        "submission": {"content_hash": "sha256:a", "created": "2001-01-01"},
        "history": history,
        "finished_at": own,
    }
    assert first_measured(rec) == want


def test_ties_use_the_95_interval_when_the_record_has_one():
    # Ranges of the repeats do not overlap (3.81-4.21 vs 3.2-3.39), but the 95% intervals do.
    a = E("a", speedup=4.0, speed=0.1, speed_range=(0.095, 0.105), interval=(3.5, 4.5))
    b = E("b", speedup=0.4 / 0.12, speed=0.12, speed_range=(0.118, 0.125), interval=(3.0, 3.6))
    board = build_board(EVENTS["mlp_sprint"], [a, b])
    assert [r.tied_within_noise for r in board.speed] == [False, True]
    # Intervals that do not overlap: not tied, whatever the ranges say.
    b2 = E("b", speedup=3.3, speed=0.12, speed_range=(0.09, 0.13), interval=(3.1, 3.45))
    board = build_board(EVENTS["mlp_sprint"], [a, b2])
    assert [r.tied_within_noise for r in board.speed] == [False, False]


def test_record_history_walks_histories_in_time_order():
    a = E(
        "a",
        speedup=3.0,
        ratio=0.9,
        finished="2026-11-20T00:00:00Z",
        history=[
            {
                "status": "ok",
                "finished_at": "2026-11-10T00:00:00Z",
                "speedup": 1.5,
                "memory_ratio": 0.7,
            },
            {
                "status": "below_threshold",
                "finished_at": "2026-11-12T00:00:00Z",
                "speedup": 9.0,
                "memory_ratio": 0.1,
            },
        ],
    )
    b = E("b", speedup=2.0, ratio=0.8, finished="2026-11-15T00:00:00Z")
    board = build_board(EVENTS["mlp_sprint"], [a, b])
    falls = record_history(board, [a, b])
    speed = [(f.team, f.value, f.previous_team) for f in falls if f.kind == "speed"]
    memory = [(f.team, f.value) for f in falls if f.kind == "memory"]
    assert speed == [("a", 1.5, None), ("b", 2.0, "a"), ("a", 3.0, "b")]
    assert memory == [("a", 0.7)]  # 0.8 and 0.9 never beat 0.7; the failed 0.1 does not count


def test_a_record_must_beat_the_baseline():
    # First score 0.8x (slower than the baseline, 1.3x the memory): no record, though it was the
    # first; then 1.02x with a 95% interval reaching 0.99: still no speed record; then 1.2x is.
    a = E(
        "a",
        speedup=1.2,
        ratio=0.95,
        finished="2026-11-20T00:00:00Z",
        history=[
            {
                "status": "ok",
                "finished_at": "2026-11-10T00:00:00Z",
                "speedup": 0.8,
                "memory_ratio": 1.3,
            }
        ],
    )
    b = E("b", speedup=1.02, ratio=1.1, finished="2026-11-15T00:00:00Z", interval=(0.99, 1.05))
    board = build_board(EVENTS["mlp_sprint"], [a, b])
    falls = record_history(board, [a, b])
    assert [(f.kind, f.team, f.value, f.previous_team) for f in falls] == [
        ("memory", "a", 0.95, None),
        ("speed", "a", 1.2, None),
    ]


def test_entry_from_record_reads_the_example():
    import json
    from pathlib import Path

    rec = json.loads(Path("tests/fixtures/records/example_mlp_sprint.json").read_text())
    e = entry_from_record(rec)
    assert (e.team, e.event, e.qualified, e.speedup, e.speed_range) == (
        "baseline",
        "mlp_sprint",
        True,
        1.0,
        (0.224, 0.240),
    )
    assert e.created == "2026-11-29" and e.title == "One-epoch float32 MLP"
    assert e.measured_at == "2026-11-29T17:01:12Z" and e.speedup_interval is None
    assert math.isclose(e.efficiency, 0.9712 / 0.95)


def test_a_rescore_of_the_holders_own_content_is_not_a_new_record():
    # tiny-mem's content scored 1.900x on 11-11 and, unchanged, 1.905x on 11-15: one record.
    # Then fast changes its content and scores 2.0x: a record.
    rec = {"submission": {"content_hash": "sha256:same"}}
    a = Entry(
        **{
            **E("a", speedup=1.905, finished="2026-11-15T00:00:00Z").__dict__,
            "record": rec,
            "history": (
                {
                    "status": "ok",
                    "finished_at": "2026-11-11T00:00:00Z",
                    "speedup": 1.9,
                    "memory_ratio": 1.0,
                    "content_hash": "sha256:same",
                },
            ),
        }
    )
    b = E("b", speedup=2.0, finished="2026-11-20T00:00:00Z")
    board = build_board(EVENTS["mlp_sprint"], [a, b])
    speed = [
        (f.team, f.value, f.previous_value)
        for f in record_history(board, [a, b])
        if f.kind == "speed"
    ]
    assert speed == [("a", 1.9, None), ("b", 2.0, 1.905)]
