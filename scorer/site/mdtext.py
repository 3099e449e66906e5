"""Markdown-safe text for the leaderboard's pages: escaping, numbers, links, images, figures.

Escaping: every ``{{ value }}`` in a page template passes through ``md_text`` (the environment's
``finalize``, ``_finalize``) unless it is already ``Markup`` (the trusted SVG of a chart, a link
built by ``link``). ``md_text`` HTML-escapes and turns every character Markdown reacts to
(``| [ ] ( ) * _ ` \\ # ! ~`` ...) into a numeric character reference, so a team name such as
``[x](javascript:alert(1)) | <script>`` stays one table cell of plain text in both
Python-Markdown (MkDocs) and markdown-it (MyST). Controls and invisible format characters (bidi
overrides, zero-width spaces) are shown as ``‹U+202E›``.
"""

from __future__ import annotations

import math
from urllib.parse import quote

from markupsafe import Markup

from scorer.text import md_text


def fmt_num(value: float | None, digits: int = 4) -> str:
    """Stable, short number text: 4 significant digits, no exponent below 10,000."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "\u2014"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if abs(value) >= 10_000:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def _finalize(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt_num(value)
    return md_text(value)


def link(text: object, href: str | None, limit: int | None = None) -> Markup:
    """A Markdown link with escaped text; ``href`` is built by this package, only quoted here.

    Without an ``href`` (an unknown commit, say) the text is shown alone, or a dash.
    """
    if not href:
        return md_text(text, limit) if text else Markup("\u2014")
    return Markup(f"[{md_text(text, limit)}]({quote(href, safe='/:#.-_~')})")


def image(alt: str, src: str) -> Markup:
    return Markup(f"![{md_text(alt)}]({quote(src, safe='/:#.-_~')})")


def svg_block(svg: str, caption: str = "") -> Markup:
    """An inline SVG in the contract's ``<figure class="tmlp-chart">`` with its caption, as one
    raw HTML block (blank lines would end it early in Markdown)."""
    body = "\n".join(line for line in svg.strip().splitlines() if line.strip())
    cap = f"\n<figcaption>{md_text(caption)}</figcaption>" if caption else ""
    return Markup(f'<figure class="tmlp-chart">\n{body}{cap}\n</figure>')
