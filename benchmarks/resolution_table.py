"""The table and the goals that ``benchmarks/resolution.py`` prints from its scorings.

    .venv/bin/python benchmarks/resolution.py --analyze out.json   # reprint a saved run's table

``table`` gives every rule's verdicts per event and difference; ``goals`` checks issue #15's
goals on the record's own interval. Pure functions of the saved JSON: nothing here runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scorer.contract.events import EVENTS
from scorer.scoring import stats


def interval_verdict(
    a: list, b: list, rounds: int, direction: str, method: str = "t"
) -> tuple[str, float] | None:
    """The verdict of a paired interval on the first ``rounds`` rounds (t, or a seeded bootstrap)."""
    if not a or not b or len(a) < rounds or len(b) < rounds:
        return None
    logs = stats.log_speedups(a[:rounds], b[:rounds], direction)
    interval = stats.paired_t(logs) if method == "t" else stats.paired_bootstrap(logs, seed=rounds)
    verdict = {"slower": "correct", "faster": "reversed", "tie": "tie"}[interval.verdict()]
    return verdict, interval.point


def stein_verdict(run: dict, ka: str, kb: str, direction: str) -> tuple[str, float]:
    """The verdict of ``stats.paired_stein`` on a saved scoring's rounds, first stage as recorded."""
    logs = stats.log_speedups(run[ka], run[kb], direction)
    first = (run.get("interval") or {}).get("first_rounds") or len(logs)
    interval = stats.paired_stein(logs, first)
    verdict = {"slower": "correct", "faster": "reversed", "tie": "tie"}[interval.verdict()]
    return verdict, interval.point


def record_verdict(interval: dict) -> str:
    if interval["high"] < 1.0:
        return "correct"
    return "reversed" if interval["low"] > 1.0 else "tie"


def table(results: dict) -> list[str]:
    """The printed table: one line per event, difference, estimator and rounds."""
    lines = [
        f"{'event':<22} {'diff':>5} {'rule':<22} {'n':>3} {'correct':>8} {'tie':>6} {'reversed':>9}"
        f"  {'ratio median [min, max]':<28} {'true':>6}"
    ]
    for key, runs in results["scorings"].items():
        event_id, pct = key.split(":")
        direction = EVENTS[event_id].speed.direction
        ok = [r for r in runs if r["status"] == "ok" and r["wall_b"]]
        if not ok:
            lines.append(f"{event_id:<22} {pct:>4}%  no scoring completed")
            continue
        rounds_max = min(len(r["wall_a"]) for r in ok)
        rules = []
        for estimator, ka, kb in (("wall", "wall_a", "wall_b"), ("cpu", "cpu_a", "cpu_b")):
            for n in sorted({min(3, rounds_max), min(5, rounds_max), rounds_max}):
                if n >= 2:
                    for method in ("t", "bootstrap"):
                        verdicts = [
                            interval_verdict(r[ka], r[kb], n, direction, method) for r in ok
                        ]
                        rules.append(
                            (f"{method}/{estimator}", n, [v for v in verdicts if v], ka, kb)
                        )
        # What the scorer itself wrote: the record's interval over all of its rounds.
        recorded = [(record_verdict(r["interval"]), r["speedup"]) for r in ok if r.get("interval")]
        est = {r.get("estimator") for r in ok} - {None}
        rounds = "-".join(
            str(k)
            for k in sorted({min(len(r["wall_a"]) for r in ok), max(len(r["wall_a"]) for r in ok)})
        )
        rules.append(
            (
                f"record ({'+'.join(sorted(est))})",
                rounds,
                recorded,
                "cpu_a" if est == {"cpu"} else "wall_a",
                "cpu_b" if est == {"cpu"} else "wall_b",
            )
        )
        # The same rounds through today's stats.paired_stein: a saved run made by an older
        # scorer shows what the current interval rule would have recorded (the rounds do not
        # depend on the interval's width, only on the first stage, so this is exact).
        if est == {"cpu"} or est == {"wall"}:
            ka, kb = ("cpu_a", "cpu_b") if est == {"cpu"} else ("wall_a", "wall_b")
            recomputed = [
                stein_verdict(r, ka, kb, direction) for r in ok if r.get(ka) and r.get(kb)
            ]
            rules.append(("record, today's rule", rounds, recomputed, ka, kb))
        # The range rule ranks by the ratio of the wall-clock medians (ranking_verdict).
        ranges = [
            (
                r["range_rule"],
                float(np.median(r["wall_b"]) / np.median(r["wall_a"]))
                ** (1 if direction == "lower" else -1),
            )
            for r in ok
            if "range_rule" in r
        ]
        rules.append(("ranking range rule", rounds, ranges, "wall_a", "wall_b"))
        # The ranking as it is: ties by the records' intervals (what the site shows).
        ranked = [(r["interval_rule"], r["speedup"]) for r in ok if "interval_rule" in r]
        rules.append(
            (
                "ranking (intervals)",
                rounds,
                ranked,
                "cpu_a" if est == {"cpu"} else "wall_a",
                "cpu_b" if est == {"cpu"} else "wall_b",
            )
        )
        for name, n, verdicts, ka, kb in rules:
            if not verdicts:
                continue
            # The true ratio: the medians of every A and every B run of this cell, side by side.
            a = [x for r in ok for x in (r[ka] or [])]
            b = [x for r in ok for x in (r[kb] or [])]
            true = (
                float(np.median(b) / np.median(a)) ** (1 if direction == "lower" else -1)
                if a and b
                else float("nan")
            )
            counts = {
                k: sum(v == k for v, _ in verdicts) / len(verdicts)
                for k in ("correct", "tie", "reversed")
            }
            ratios = [p for _, p in verdicts]
            lines.append(
                f"{event_id:<22} {pct:>4}% {name:<22} {n:>3} {counts['correct']:>8.0%} {counts['tie']:>6.0%}"
                f" {counts['reversed']:>9.0%}  {np.median(ratios):.4f} [{min(ratios):.4f}, {max(ratios):.4f}]"
                f"{'':<6} {true:>6.4f}"
            )
    lines.append(
        f"({len(results['scorings'])} cells; {results['conditions']}; correct = A measured slower, "
        "i.e. a 95% interval wholly below 1; for diff 0 'tie' is the right answer; ratio = the scorings' "
        "speed-ups of A; true = median of all B runs / median of all A runs of the cell, on that clock)"
    )
    machine = results.get("machine")  # saved runs from before 2026-12-03 lack it
    if machine:
        lines.append(
            f"(machine: {machine['cpu']}, {machine['cores']} cores, numpy {machine['numpy']}, "
            f"{machine['blas']}; scorer {machine['scorer']}; started {machine['started']})"
        )
    return lines


def goal_checks(pct: float, loaded: bool, share: dict) -> list[tuple[str, bool, float]]:
    """Issue #15's goals for one cell, given the shares of its verdicts: (goal, met, share).

    Identical copies (pct 0) a tie in at least 90% of scorings; a real difference never
    reversed, and ordered correctly in at least 90% at 3% without added load, 10% with it.
    """
    if pct == 0:
        return [("identical called a tie >= 90%", share["tie"] >= 0.9, share["tie"])]
    checks = [("never reversed", share["reversed"] == 0, share["reversed"])]
    if (pct == 3 and not loaded) or (pct == 10 and loaded):
        checks.append(("ordered correctly >= 90%", share["correct"] >= 0.9, share["correct"]))
    return checks


def goals(results: dict) -> list[str]:
    """Issue #15's goals (``goal_checks``), read off the record's own verdicts, and what a
    scoring cost (rounds, seconds)."""
    loaded = results["conditions"].startswith("loaded")
    lines = ["", "goals (the record's interval, as the ranking uses it):"]
    for key, runs in results["scorings"].items():
        event_id, pct = key.split(":")
        ok = [r for r in runs if r["status"] == "ok" and r.get("interval")]
        if not ok:
            continue
        verdicts = [record_verdict(r["interval"]) for r in ok]
        share = {k: verdicts.count(k) / len(verdicts) for k in ("correct", "tie", "reversed")}
        rounds = [len(r["wall_a"]) for r in ok]
        secs = [r["seconds"] for r in ok if "seconds" in r]
        cost = f"rounds median {np.median(rounds):g} [{min(rounds)}, {max(rounds)}]" + (
            f", {np.median(secs):.0f} s per scoring" if secs else ""
        )
        for name, met, value in goal_checks(float(pct), loaded, share):
            lines.append(
                f"  {event_id:<22} {pct:>3}%  {name:<32} {value:>5.0%}  "
                f"{'met' if met else 'NOT MET'}  (n={len(ok)}; {cost})"
            )
    return lines
