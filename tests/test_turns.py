"""Turns (``scorer/scoring/turns.py``): strict alternation of a round's two runs, the idle one
frozen. Fake sandboxes record what happened in which order; the real freezer is exercised by
``tests/exploits/test_neighbour_exploits.py`` and the engine's use of it by the last tests here.

Run: ``.venv/bin/python -m pytest tests/test_turns.py``.
"""

from __future__ import annotations

import os
import threading

import pytest

from scorer.sandbox import cgroup
from scorer.scoring.turns import Turns, run_both


class FakeBox:
    """Stands in for a Sandbox: logs pauses and resumes; ``freezes`` says whether pause works."""

    def __init__(self, side: str, log: list, freezes: bool = True):
        self.side, self.log, self.freezes = side, log, freezes
        self.running = False  # until its first turn starts the child
        self.paused = False

    def pause(self) -> bool:
        self.paused = True
        self.log.append(f"pause {self.side}")
        return self.freezes

    def resume(self) -> None:
        if self.paused:
            self.log.append(f"resume {self.side}")
        self.paused = False


def _sides(turns: Turns, log: list, calls: dict[str, int], boxes: dict[str, FakeBox]):
    def run(side: str):
        turns.attach(side, boxes[side])
        for k in range(calls[side]):
            turns.take(side)
            assert not boxes[side].paused  # a side never works while its child is frozen
            boxes[side].running = True
            log.append(f"{side}{k}")
        boxes[side].running = False  # closed
        return calls[side]

    return {"A": lambda: run("A"), "B": lambda: run("B")}


@pytest.mark.parametrize(
    "order, calls, expected",
    [
        # Equal runs alternate strictly, the drawn side first.
        ("AB", {"A": 3, "B": 3}, ["A0", "B0", "A1", "B1", "A2", "B2"]),
        ("BA", {"A": 3, "B": 3}, ["B0", "A0", "B1", "A1", "B2", "A2"]),
        # A run that ends early (a failed entry) leaves the other to go on alone.
        ("AB", {"A": 1, "B": 3}, ["A0", "B0", "B1", "B2"]),
        ("BA", {"A": 3, "B": 0}, ["A0", "A1", "A2"]),
    ],
)
def test_calls_alternate_in_the_drawn_order(order, calls, expected):
    log: list[str] = []
    boxes = {s: FakeBox(s, log) for s in "AB"}
    turns = Turns(order)
    assert run_both(turns, _sides(turns, log, calls, boxes)) == calls
    assert [x for x in log if " " not in x] == expected


def test_the_other_child_is_frozen_before_each_call_and_thawed_before_its_own():
    log: list[str] = []
    boxes = {s: FakeBox(s, log) for s in "AB"}
    turns = Turns("AB")
    run_both(turns, _sides(turns, log, {"A": 2, "B": 2}, boxes))
    # B's child has not started when A's first turn begins; then each taker freezes the
    # other and thaws itself.
    assert log == [
        "A0",
        "pause A",
        "B0",
        "pause B",
        "resume A",
        "A1",
        "resume B",  # A's run has ended: nothing of it is left to freeze
        "B1",
    ]
    assert turns.pause_failures == {"A": 0, "B": 0}
    assert turns.handovers == 3


def test_a_child_that_cannot_be_frozen_is_counted_against_it():
    log: list[str] = []
    boxes = {"A": FakeBox("A", log, freezes=False), "B": FakeBox("B", log)}
    turns = Turns("AB")
    run_both(turns, _sides(turns, log, {"A": 2, "B": 2}, boxes))
    assert turns.pause_failures == {"A": 1, "B": 0}  # at B0; A has ended before B1


def test_a_bug_in_one_side_is_raised_after_the_other_side_finishes():
    finished = threading.Event()
    turns = Turns("AB")

    def a():
        turns.take("A")
        raise RuntimeError("a bug in the event code")

    def b():
        turns.take("B")
        finished.set()

    with pytest.raises(RuntimeError, match="a bug"):
        run_both(turns, {"A": a, "B": b})
    assert finished.is_set()


def test_order_must_be_ab_or_ba():
    with pytest.raises(ValueError, match="'AB' or 'BA'"):
        Turns("A")


def test_a_killed_scorers_frozen_cgroup_is_thawed_so_its_child_can_die(tmp_path):
    # cgroup v1 holds a frozen task's SIGKILL until it is thawed; a later scorer thaws what a
    # dead one (pid 9999999: no such process) left frozen. This scorer's own are untouched.
    theirs = tmp_path / f"{cgroup.STALE_PREFIX}9999999-aaaa"
    mine = tmp_path / f"{cgroup.STALE_PREFIX}{os.getpid()}-cccc"
    for d in (theirs, mine):
        d.mkdir()
        (d / "cgroup.procs").write_text("4242\n")
        (d / "freezer.state").write_text("FROZEN\n")
    cgroup.remove_stale(tmp_path, cgroup=True)
    assert (theirs / "freezer.state").read_text() == "THAWED"
    assert (mine / "freezer.state").read_text() == "FROZEN\n"
