"""Shields-style flat SVG badges for the leaderboard site, plus the SVG text helpers charts share.

A badge is two rounded halves, a label on the left and a message on the right, each as wide as
its text (measured with ``text_width`` from the Verdana table in ``fontmetrics``) plus padding.
The markup lives in ``scorer/site/templates/badge.svg.j2``; this module only computes sizes, colours and
safe text.

Text safety, for badges and charts alike (``clean_text`` then the ``svgtext`` template filter):

* characters XML cannot hold (C0/C1 controls, lone surrogates, U+FFFE/U+FFFF) are dropped or
  replaced with U+FFFD, and tabs/newlines become spaces (SVG collapses whitespace anyway);
* bidi embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069) are dropped, so a
  team name cannot visually reverse the text around it; other invisible characters (zero-width
  space, joiners, marks) stay, written as ``&#x...;`` so they are visible in the SVG source;
* every ASCII punctuation character is written as a numeric character reference. XML needs that
  only for ``& < > " '``, but Python-Markdown rewrites ``[x](javascript:...)``, ``*em*`` and the
  like inside raw SVG that sits in a paragraph, even inside attribute values; references are
  inert to it and render identically.

Output is deterministic: the same arguments give the same bytes (element ids are derived from a
hash of the content, so two different badges inlined in one page never share an id).
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from scorer.site.fontmetrics import UNITS_PER_EM, char_advance

TEMPLATE_DIR = Path(str(resources.files("scorer.site") / "templates"))  # package data

FONT_SIZE = 11.0
HEIGHT = 20
PAD_X = 6  # px of colour between a half's edge and its text, on each side
MAX_TEXT_WIDTH = 200.0  # px; a label or message wider than this is cut and ends in "…"
ELLIPSIS = "\u2026"

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
# The rules behind them are scorer.leaderboard.ranking's (top 10% of a field of ten or more, else first
# place, and beating the baseline); the meanings here are the badges' tooltips.
    "speed-demon": ("Speed Demon", "A top place in an event's speed ranking, faster than the "
                    "baseline", "#e05d44"),
    "memory-wizard": (
        "Memory Wizard", "A top place in an event's memory ranking, smaller than the baseline",
        "#8250df"),
    "innovation-pioneer": (
        "Innovation Pioneer", "Innovation Track award, judged by the maintainers", "#0f7b8a"),
    "triple-crown": ("Triple Crown", "A top place beating the baseline in three different "
                     "events", "#dbb42c"),
}
AWARD_LABEL = "TinyMLPerf"

RANK_COLORS = {1: PALETTE["gold"], 2: PALETTE["silver"], 3: PALETTE["bronze"]}
OTHER_RANK_COLOR = PALETTE["blue"]

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_VISIBLE_IN_SOURCE = ("Cf", "Zs", "Zl", "Zp", "Co", "Cn")
_WS_RUN = re.compile(r" {2,}")


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Width in px of ``text`` drawn in Verdana at ``font_size`` px (see ``fontmetrics``)."""
    units = sum(char_advance(ch) for ch in text)
    return units * font_size / UNITS_PER_EM


def clean_text(text: str) -> str:
    """The text as it will be drawn: XML-safe, no bidi overrides, whitespace collapsed."""
    out = []
    for ch in str(text):
        cp = ord(ch)
        if ch in "\t\n\r":
            out.append(" ")
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
            continue
        elif 0xD800 <= cp <= 0xDFFF or cp in (0xFFFE, 0xFFFF):
            out.append("\ufffd")
        else:
            out.append(ch)
    return _WS_RUN.sub(" ", "".join(out)).strip()


def svg_text(text: str) -> Markup:
    """``clean_text`` then escape for XML and neutralise Markdown (see the module docstring)."""
    parts = []
    for ch in clean_text(text):
        if ch.isascii():
            parts.append(ch if ch.isalnum() or ch == " " else f"&#{ord(ch)};")
        elif unicodedata.category(ch) in _VISIBLE_IN_SOURCE:
            parts.append(f"&#x{ord(ch):04X};")
        else:
            parts.append(ch)
    return Markup("".join(parts))  # noqa: S704 - every character was escaped just above


def svg_number(value: float, places: int = 2) -> str:
    """Fixed-point number for an SVG attribute: at most ``places`` decimals, no "-0"."""
    s = f"{value:.{places}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def content_id(prefix: str, *parts: object) -> str:
    """A short id derived from ``parts``: stable across builds, distinct for distinct content."""
    digest = hashlib.sha256("\x1f".join(map(repr, parts)).encode("utf-8", "replace")).hexdigest()
    return f"{prefix}-{digest[:10]}"


@functools.lru_cache(maxsize=1)
def template_env() -> jinja2.Environment:
    """The Jinja environment for the SVG templates (autoescaping on, undefined names fatal)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["svgtext"] = svg_text
    env.filters["num"] = svg_number
    return env


def render_svg(template: str, **context: object) -> str:
    """Render a template and drop indentation and blank lines: a blank line would end a raw
    HTML block in Markdown, and an indented one could become a code block."""
    raw = template_env().get_template(template).render(**context)
    return "\n".join(line.strip() for line in raw.splitlines() if line.strip()) + "\n"


def normalize_color(color: str) -> str:
    """``#rgb``/``#rrggbb`` or a ``PALETTE`` name, as lower-case ``#rrggbb``; else ValueError."""
    if not isinstance(color, str):
        raise ValueError(f"colour must be a string, not {type(color).__name__}")
    named = PALETTE.get(color.lower())
    if named is not None:
        return named
    if not _HEX.fullmatch(color):
        raise ValueError(
            f"colour {color!r} is neither #rgb, #rrggbb nor one of: {', '.join(sorted(PALETTE))}")
    digits = color[1:].lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return "#" + digits


def _luminance(hex_color: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def text_colors(background: str) -> tuple[str, str]:
    """(text, shadow) colours for a background: white or dark text, whichever contrasts more."""
    lum = _luminance(background)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance("#333333") + 0.05)
    return ("#ffffff", "#010101") if on_white >= on_dark else ("#333333", "#ffffff")


def fit_text(text: str, max_width: float = MAX_TEXT_WIDTH,
             font_size: float = FONT_SIZE) -> tuple[str, float]:
    """The cleaned text, cut to ``max_width`` px with a trailing ellipsis; and its width."""
    text = clean_text(text)
    width = text_width(text, font_size)
    if width <= max_width:
        return text, width
    budget = max_width * UNITS_PER_EM / font_size - char_advance(ELLIPSIS)
    used = cut = 0
    for i, ch in enumerate(text):
        used += char_advance(ch)
        if used > budget:
            break
        cut = i + 1
    head = text[:cut]
    # A trailing joiner or space would glue the ellipsis to a half-cut cluster or float it.
    while head and (head[-1] == " " or unicodedata.category(head[-1]) == "Cf"):
        head = head[:-1]
    head += ELLIPSIS
    return head, text_width(head, font_size)


def _half(text: str, fill: str, x0: int) -> dict[str, object]:
    shown, width = fit_text(text)
    fg, shadow = text_colors(fill)
    box = math.ceil(width) + 2 * PAD_X
    return {"text": shown, "text_width": width, "width": box, "x": x0, "center": x0 + box / 2,
            "fill": fill, "fg": fg, "shadow": shadow}


def render_badge(label: str, message: str, color: str = "#4c1", *, label_color: str = "#555",
                 title: str | None = None) -> str:
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
        width=width, height=HEIGHT, font_size=FONT_SIZE, halves=halves,
        aria_label=name, title=name if title is None else title,
    )


def render_award_badge(award_id: str) -> str:
    """The badge for one of ``AWARDS``: "TinyMLPerf | <award name>", its meaning as tooltip."""
    if award_id not in AWARDS:
        raise ValueError(f"unknown award {award_id!r}; known: {', '.join(sorted(AWARDS))}")
    name, meaning, color = AWARDS[award_id]
    return render_badge(AWARD_LABEL, name, color, title=f"{name}: {meaning}")


def render_rank_badge(event_name: str, rank: int, value_text: str) -> str:
    """"<event> | #<rank> · <value>": gold, silver, bronze for ranks 1-3, blue below."""
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a positive int, not {rank!r}")
    color = RANK_COLORS.get(rank, OTHER_RANK_COLOR)
    return render_badge(event_name, f"#{rank} \u00b7 {value_text}", color)
