"""Turns: the entry's and the baseline's runs of one round, alive together, taking turns.

A round used to run the entry (A) and then the baseline (B), or B then A: one whole run after
the other, so A's timed calls and B's were some 15 s apart (the Transformer Decathlon: each run
loads its model and computes its perplexity around its timed calls). On a shared host the
speed of a core moves in phases of seconds, and so little of that is common to two calls 15 s
apart that pairing them cancelled little of it (docs/methodology.md, "Resolution, measured").

With turns, both children are alive at once and each run's parent-side code runs in its own
thread, but only one of the two does anything at any time. A side holds the turn from one of
its calls to just before its next one (the call, checking its answer, putting the next
inputs); then it hands the turn over and waits for it to come back. Whoever takes the turn
freezes the other child's cgroup (every process in it, threads it left running included) and
thaws its own. So call k of A and call k of B run a fraction of a second apart, each with the
other child frozen and the other thread waiting: nothing of the other side runs while a call
is timed, just as when the other run had not started yet or had ended. Every call of a run
hands the turn over alike, checks and measured calls the same, so the pattern tells a child
nothing about which of its calls are timed.

Turns need a freezer for both children (``Sandbox.can_pause``); without one, the engine runs
the round one run after the other (``scorer/scoring/engine.py``). A child that cannot be
frozen in time (``cgroup.FREEZE_TIMEOUT_S``) is counted in ``pause_failures``: the engine ends
that run, since its neighbour's calls would not have had the machine to themselves.

Tests: ``.venv/bin/python -m pytest tests/test_turns.py tests/exploits/test_neighbour.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

OTHER = {"A": "B", "B": "A"}


class Turns:
    """Strict alternation between side "A" and side "B" of one round, in ``order`` ("AB": A
    starts; "BA": B starts)."""

    def __init__(self, order: str):
        if order not in ("AB", "BA"):
            raise ValueError(f"order must be 'AB' or 'BA', not {order!r}")
        self.order = order
        self._cond = threading.Condition()
        self._turn = order[0]
        self._holder: str | None = None
        self._done: set[str] = set()
        self._boxes: dict[str, Any] = {}
        self.handovers = 0  # turns taken from the other side (for tests and progress)
        self.pause_failures: dict[str, int] = {"A": 0, "B": 0}

    def attach(self, side: str, sandbox) -> None:
        """The sandbox of ``side``: frozen while the other side holds the turn."""
        with self._cond:
            self._boxes[side] = sandbox

    def take(self, side: str) -> None:
        """Called by ``side`` before each of its calls: hand the turn over if ``side`` held it,
        wait until it comes back (or the other side is done), then freeze the other child and
        thaw this one."""
        other = OTHER[side]
        with self._cond:
            if self._holder == side and other not in self._done:
                self._turn = other
                self._cond.notify_all()
            self._cond.wait_for(lambda: self._turn == side or other in self._done)
            if self._holder == other:
                self.handovers += 1
            self._holder = side
            self._turn = side
            theirs, mine = self._boxes.get(other), self._boxes.get(side)
        # Only this thread runs now: the other waits in wait_for (or has finished).
        if theirs is not None and theirs.running and not theirs.pause():
            self.pause_failures[other] += 1
        if mine is not None:
            mine.resume()

    def thaw_all(self) -> None:
        """Thaw every attached child (the scorer is stopping)."""
        with self._cond:
            boxes = list(self._boxes.values())
        for box in boxes:
            box.resume()

    def done(self, side: str) -> None:
        """``side``'s run has ended (its sandbox closed): the other side goes on alone."""
        with self._cond:
            self._done.add(side)
            self._boxes.pop(side, None)
            self._turn = OTHER[side]
            self._cond.notify_all()


def run_both(turns: Turns, sides: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run ``sides["A"]`` and ``sides["B"]`` in two threads taking ``turns``; their results.

    Each side's function must call ``turns.take(side)``
    before its start and each call, and closes its own sandbox; ``done`` is called here when
    it returns or raises. A side that raises (a bug, not a submission's failure) re-raises
    here after both have finished."""
    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}

    def body(side: str) -> None:
        try:
            results[side] = sides[side]()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            errors[side] = exc
        finally:
            turns.done(side)

    threads = [
        threading.Thread(target=body, args=(side,), name=f"round-{side}", daemon=True)
        for side in turns.order
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except BaseException:
        # Interrupted (Ctrl-C): leave no child frozen. On cgroup v1 a frozen process holds
        # even SIGKILL until thawed, so it would outlive the scorer that dies next.
        turns.thaw_all()
        raise
    for side in turns.order:
        if side in errors:
            raise errors[side]
    return results
