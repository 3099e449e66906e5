"""The SVG text and template helpers that badges and charts share.

Text safety, for badges and charts alike (``scorer.text.clean_text`` then the ``svgtext`` template
filter, ``scorer.text.svg_text``):

* characters XML cannot hold (C0/C1 controls, lone surrogates, U+FFFE/U+FFFF) are dropped or
  replaced with U+FFFD, and tabs/newlines become spaces (SVG collapses whitespace anyway);
* bidi embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069) are dropped, so a
  team name cannot visually reverse the text around it; other invisible characters (zero-width
  space, joiners, marks) stay, written as ``&#x...;`` so they are visible in the SVG source;
* every ASCII punctuation character is written as a numeric character reference. XML needs that
  only for ``& < > " '``, but Python-Markdown rewrites ``[x](javascript:...)``, ``*em*`` and the
  like inside raw SVG that sits in a paragraph, even inside attribute values; references are
  inert to it and render identically.

Text is measured with ``text_width`` (the Verdana table in ``fontmetrics``) and cut to a width
with ``fit_text``; links are filtered with ``safe_href``. Output is deterministic: the same
arguments give the same bytes (element ids are derived from a hash of the content by
``content_id``, so two different badges or charts inlined in one page never share an id).
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from scorer.site.fontmetrics import UNITS_PER_EM, char_advance
from scorer.text import ELLIPSIS, clean_text, svg_text

TEMPLATE_DIR = Path(str(resources.files("scorer.site") / "templates"))  # package data

FONT_SIZE = 11.0  # px: badge text, and what text is measured at unless told
MAX_TEXT_WIDTH = 200.0  # px; a label or message wider than this is cut and ends in "…"


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Width in px of ``text`` drawn in Verdana at ``font_size`` px (see ``fontmetrics``)."""
    units = sum(char_advance(ch) for ch in text)
    return units * font_size / UNITS_PER_EM


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


def fit_text(
    text: str, max_width: float = MAX_TEXT_WIDTH, font_size: float = FONT_SIZE
) -> tuple[str, float]:
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


def safe_href(href: str | None) -> str | None:
    """``href`` if it is a relative link or an https URL, else None (javascript:, data:, //host,
    anything with whitespace, controls or backslashes, which browsers read loosely, is dropped)."""
    if not href or any(ch.isspace() or ord(ch) < 32 or ch in "\\\x7f" for ch in href):
        return None
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme == "https" and parts.netloc:
        return href
    if not parts.scheme and not parts.netloc and ":" not in href.split("/", 1)[0]:
        return href
    return None
