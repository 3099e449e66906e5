"""Shields-style flat SVG badges for the leaderboard site.

A badge is two rounded halves, a label on the left and a message on the right, each as wide as
its text (measured with ``scorer.site.svg.text_width`` from the Verdana table in ``fontmetrics``)
plus padding. The markup lives in ``scorer/site/templates/badge.svg.j2``; this module only
computes sizes and colours. Text safety (what ``clean_text`` and the ``svgtext`` filter do) and
the content-derived element ids are ``scorer.site.svg``'s, shared with the charts.

Output is deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import functools
import math
import re

from scorer.site.svg import FONT_SIZE, content_id, fit_text, render_svg
from scorer.text import clean_text

HEIGHT = 20
PAD_X = 6  # px of colour between a half's edge and its text, on each side

# Names accepted for ``color``/``label_color`` besides #rgb and #rrggbb.
PALETTE = {
    "brightgreen": "#44cc11",
    "green": "#97ca00",
    "yellowgreen": "#a4a61d",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "purple": "#8250df",
    "teal": "#0f7b8a",
    "grey": "#555555",
    "gray": "#555555",
    "lightgrey": "#9f9f9f",
    "gold": "#dbb42c",
    "silver": "#b4b8bc",
    "bronze": "#c27c3e",
}

# id -> (display name, one-line meaning, colour)
AWARDS: dict[str, tuple[str, str, str]] = {
    # The rules behind them are scorer.leaderboard.badges' (top 10% of a field of ten or more, else first
    # place, and beating the baseline); the meanings here are the badges' tooltips.
    "speed-demon": (
        "Speed Demon",
        "A top place in an event's speed ranking, faster than the baseline",
        "#e05d44",
    ),
    "memory-wizard": (
        "Memory Wizard",
        "A top place in an event's memory ranking, smaller than the baseline",
        "#8250df",
    ),
    "innovation-pioneer": (
        "Innovation Pioneer",
        "Innovation Track award, judged by the maintainers",
        "#0f7b8a",
    ),
    "triple-crown": (
        "Triple Crown",
        "A top place beating the baseline in three different events",
        "#dbb42c",
    ),
}
AWARD_LABEL = "TinyMLPerf"

RANK_COLORS = {1: PALETTE["gold"], 2: PALETTE["silver"], 3: PALETTE["bronze"]}
OTHER_RANK_COLOR = PALETTE["blue"]

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def normalize_color(color: str) -> str:
    """``#rgb``/``#rrggbb`` or a ``PALETTE`` name, as lower-case ``#rrggbb``; else ValueError."""
    if not isinstance(color, str):
        raise ValueError(f"colour must be a string, not {type(color).__name__}")
    named = PALETTE.get(color.lower())
    if named is not None:
        return named
    if not _HEX.fullmatch(color):
        raise ValueError(
            f"colour {color!r} is neither #rgb, #rrggbb nor one of: {', '.join(sorted(PALETTE))}"
        )
    digits = color[1:].lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return "#" + digits


def _luminance(hex_color: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def text_colors(background: str) -> tuple[str, str]:
    """(text, shadow) colours for a background: white or dark text, whichever contrasts more."""
    lum = _luminance(background)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance("#333333") + 0.05)
    return ("#ffffff", "#010101") if on_white >= on_dark else ("#333333", "#ffffff")


def _box(width: float) -> int:
    return math.ceil(width) + 2 * PAD_X


def _half(text: str, fill: str, x0: int) -> dict[str, object]:
    shown, width = fit_text(text)
    fg, shadow = text_colors(fill)
    box = _box(width)
    return {
        "text": shown,
        "text_width": width,
        "width": box,
        "x": x0,
        "center": x0 + box / 2,
        "fill": fill,
        "fg": fg,
        "shadow": shadow,
    }


def render_badge(
    label: str,
    message: str,
    color: str = "#4c1",
    *,
    label_color: str = "#555",
    title: str | None = None,
) -> str:
    """A flat badge: ``label`` on ``label_color`` at left, ``message`` on ``color`` at right.

    An empty label gives a message-only badge. ``title`` is the tooltip (default
    "label: message"); the accessible name is always the full, untruncated "label: message".
    """
    color = normalize_color(color)
    label_color = normalize_color(label_color)
    label, message = clean_text(label), clean_text(message)
    halves = []
    if label:
        halves.append(_half(label, label_color, 0))
    halves.append(_half(message, color, halves[0]["width"] if halves else 0))
    width = sum(h["width"] for h in halves)
    name = f"{label}: {message}" if label else message
    return render_svg(
        "badge.svg.j2",
        uid=content_id("tmlp-badge", label, message, color, label_color, title),
        width=width,
        height=HEIGHT,
        font_size=FONT_SIZE,
        halves=halves,
        aria_label=name,
        title=name if title is None else title,
    )


def badge_width(label: str, message: str) -> int:
    """The width in px of ``render_badge(label, message, ...)``'s SVG (its height is HEIGHT)."""
    label, message = clean_text(label), clean_text(message)
    halves = [label, message] if label else [message]  # as render_badge draws them
    return sum(_box(fit_text(text)[1]) for text in halves)


@functools.cache
def award_badge_width(award_id: str) -> int:
    """The width in px of ``render_award_badge(award_id)``: pages give it to the <img>, so a
    table is laid out once, at its final width, before the badge loads."""
    if award_id not in AWARDS:
        raise ValueError(f"unknown award {award_id!r}; known: {', '.join(sorted(AWARDS))}")
    return badge_width(AWARD_LABEL, AWARDS[award_id][0])


def render_award_badge(award_id: str) -> str:
    """The badge for one of ``AWARDS``: "TinyMLPerf | <award name>", its meaning as tooltip."""
    if award_id not in AWARDS:
        raise ValueError(f"unknown award {award_id!r}; known: {', '.join(sorted(AWARDS))}")
    name, meaning, color = AWARDS[award_id]
    return render_badge(AWARD_LABEL, name, color, title=f"{name}: {meaning}")


def render_rank_badge(event_name: str, rank: int, value_text: str) -> str:
    """ "<event> | #<rank> · <value>": gold, silver, bronze for ranks 1-3, blue below."""
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a positive int, not {rank!r}")
    color = RANK_COLORS.get(rank, OTHER_RANK_COLOR)
    return render_badge(event_name, f"#{rank} \u00b7 {value_text}", color)
