"""How the site words its numbers, ratios, statuses and dates: one place, so every page agrees.

Used by ``scorer.site.model``, ``scorer.site.pages``, ``scorer.site.tables`` and
``scorer.site.entries``; pure functions of plain values, tested in ``tests/test_pages.py``. The
rules:

* A speed-up says which way is better: ``1.80× faster`` or, below 1, the inverse as
  ``2.10× slower``; a memory ratio is ``0.30× the memory``. Two decimals for every ratio.
* One precision per column: accuracy as a percentage with two decimals, perplexity with two
  decimals, seconds with three, tokens/s as a whole number with thousands separators, MiB with
  one decimal, efficiency with two. Every number carries its unit.
* Statuses are words (``below the threshold``); the code stays in ``data-status``.
* Dates are ``20 Nov 2026`` (and ``20 Nov 2026, 09:00 UTC`` where the time matters), from the
  ISO stamps the scorer writes; a stamp that does not parse is shown as given.
* Entries whose run did not produce a measurement (error, timeout, ...) show "—", never the
  zeros their records hold.
"""

from __future__ import annotations

import math
import re

from scorer.contract import review as review_gate

DASH = "\u2014"
TIMES = "\u00d7"
# Statuses whose quality, speed and memory are real measurements of the submitted code.
MEASURED = frozenset({"ok", "below_threshold"})
STATUS_WORDS = {
    "ok": "qualified",
    "below_threshold": "below the threshold",
    "invalid": "invalid submission",
    "error": "error",
    "timeout": "timed out",
    "memory_limit": "over the memory limit",
    "rule_violation": "rule violation",
    review_gate.AWAITING: review_gate.AWAITING,
    "not reproduced": "weights not reproduced",  # Entry.shown_status of a held weights entry
}
PROVENANCE_WORDS = {
    "reproduced": "weights reproduced",
    "not_reproduced": "weights not reproduced",
    "not_tried": "reproduction not yet tried",
    None: "reproduction not yet tried",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")


def finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def status_text(code: str) -> str:
    return STATUS_WORDS.get(code, code.replace("_", " "))


def provenance_text(block: object) -> str:
    status = block.get("status") if isinstance(block, dict) else None
    return PROVENANCE_WORDS.get(status, str(status).replace("_", " "))


def provenance_code(block: object) -> str:
    status = block.get("status") if isinstance(block, dict) else None
    return status if isinstance(status, str) else "not_tried"


def date_text(stamp: str | None, with_time: bool = False) -> str:
    """``2026-11-20T09:00:00Z`` -> ``20 Nov 2026`` (or with ``, 09:00 UTC``)."""
    m = _STAMP.match(stamp or "")
    if not m:
        return stamp or DASH
    year, month, day, hour, minute = m.groups()
    if not 1 <= int(month) <= 12:
        return stamp or DASH
    text = f"{int(day)} {_MONTHS[int(month) - 1]} {year}"
    if with_time and hour is not None:
        text += f", {hour}:{minute} UTC"
    return text


def speedup_text(value: float | None) -> str:
    """``1.80× faster`` / ``2.10× slower`` / ``as fast`` (the baseline against itself)."""
    if not finite(value) or value <= 0:
        return DASH
    if round(value, 2) == 1.0:
        return f"1.00{TIMES}, as fast"
    if value > 1:
        return f"{value:.2f}{TIMES} faster"
    return f"{1 / value:.2f}{TIMES} slower"


def memory_ratio_text(value: float | None) -> str:
    return f"{value:.2f}{TIMES} the memory" if finite(value) else DASH


def ratio_number(value: float | None) -> str:
    """A bare ratio for interval ends and per-event columns: two decimals and ``×``."""
    return f"{value:.2f}{TIMES}" if finite(value) else DASH


def interval_text(interval: tuple[float, float] | None, exact: bool) -> str:
    """``95% CI 1.71–1.93×`` (the record's interval) or ``range 1.6–1.9×`` (the repeats')."""
    if not interval or not all(finite(v) for v in interval):
        return ""
    lo, hi = interval
    return f"{'95% CI' if exact else 'range'} {lo:.2f}\u2013{hi:.2f}{TIMES}"


def quality_text(value: float | None, unit: str) -> str:
    if not finite(value):
        return DASH
    if unit == "fraction":
        return f"{value * 100:.2f}%"
    return f"{value:.2f}"


def speed_text(value: float | None, unit: str) -> str:
    if not finite(value):
        return DASH
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "tokens/s":
        return f"{value:,.0f} tokens/s"
    return f"{value:.3g} {unit}"


def memory_text(value: float | None) -> str:
    return f"{value:,.1f} MiB" if finite(value) else DASH


def efficiency_text(value: float | None) -> str:
    return f"{value:.2f}" if finite(value) else DASH


def seconds_text(value: float | None) -> str:
    return f"{value:.3f} s" if finite(value) else DASH


def measured(status: str) -> bool:
    """Whether an entry's figures are measurements (else the tables show a dash)."""
    return status in MEASURED
