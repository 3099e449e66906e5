"""Every escaper of submitted text, one per place such text is shown, in one module.

Team names, titles, paths, exception messages and record fields come from submissions, so
wherever they are shown they pass through one of these (``tests/test_text.py`` runs one suite of
hostile strings through every dialect):

======================  =================================================================
``one_line(t, limit)``  a terminal, a log, a record's ``reason``, a problem line, the PR
                        summary's strings: every character ``str.isprintable`` rejects
                        (controls, newlines, bidi overrides, zero-width and format
                        characters) written as its Python escape (``\\x1b``, ``\\n``,
                        ``\\u202e``), so one value stays one plain line
``md_text(t, limit)``   the site's Markdown pages (Python-Markdown and markdown-it alike):
                        invisible characters shown as ``‹U+202E›``, every character
                        Markdown or HTML gives a meaning to as a numeric reference
``github_md(t, limit)`` the bot's pull-request comment: ``one_line``, then the same numeric
                        references, and ``@`` broken so a name cannot mention anyone
``clean_text(t)``       text drawn in an SVG: controls and bidi controls dropped, whitespace
                        collapsed, what XML cannot hold replaced (then ``svg_text``
                        writes it for the SVG source)
``attr(t)``             an HTML attribute value
======================  =================================================================

Nothing here knows the scorer: it imports no module of ours, so every stage may use it.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

from markupsafe import Markup

ELLIPSIS = "\u2026"

# Characters Markdown (Python-Markdown, markdown-it, MyST, GitHub) or HTML give a meaning to.
MARKUP_CHARACTERS = "&<>\"'\\`*_{}[]()#!|~^=$:"
_REFERENCES = {ord(c): f"&#{ord(c)};" for c in MARKUP_CHARACTERS}
# GitHub's comment needs fewer: our text never starts a line there, so line-start markers ('-',
# '+', '1.') need no escaping, and ':', '=' and '^' mean nothing inline.
GITHUB_MARKUP_CHARACTERS = "\\`*_{}[]()#!|~<>&\"'$"
_GITHUB_REFERENCES = {ord(c): f"&#{ord(c)};" for c in GITHUB_MARKUP_CHARACTERS}
_SPACES = {ord("\n"): " ", ord("\r"): " ", ord("\t"): " "}
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_VISIBLE_IN_SOURCE = ("Cf", "Zs", "Zl", "Zp", "Co", "Cn")
_WS_RUN = re.compile(r" {2,}")


def cut(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    return text if limit is None or len(text) <= limit else text[: limit - 1] + ELLIPSIS


def one_line(text: str, limit: int | None = None) -> str:
    """One plain printable line: what ``isprintable`` rejects as its Python escape; then cut."""
    if not text.isprintable():
        text = "".join(
            ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
        )
    return cut(text, limit)


@functools.lru_cache(maxsize=4096)
def _visible(ch: str) -> str:
    """Invisible or control characters become a visible code point marker (cached per
    character: a 3,000-entry site asks for a few hundred distinct ones millions of times)."""
    if ch in "\n\t":
        return ch
    if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"):
        return f"\u2039U+{ord(ch):04X}\u203a"
    return ch


def visible(text: str) -> str:
    """``text`` with invisible and control characters (but newlines and tabs) made visible."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(map(_visible, text))


@functools.lru_cache(maxsize=65536)
def _md_text(text: str, limit: int | None) -> Markup:
    text = cut(text.translate(_SPACES), limit)
    return Markup(visible(text).translate(_REFERENCES))


def md_text(value: object, limit: int | None = None) -> Markup:
    """Plain text made inert for Markdown + HTML, optionally cut to ``limit`` characters."""
    return _md_text(str(value), limit)


def github_md(value: object, limit: int = 2000) -> str:
    """Submitted text as inert GitHub Markdown: one line, no markup, links, mentions or cells."""
    out = one_line(str(value), limit).translate(_GITHUB_REFERENCES)
    # A zero-width space after '@' stops GitHub from turning a name into a mention.
    return out.replace("@", "@&#8203;")


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
    """``clean_text`` written for an SVG's source: ASCII punctuation as numeric references (XML
    needs them for ``& < > " '``, and they keep Python-Markdown from rewriting raw SVG in a
    paragraph), invisible characters as ``&#x...;`` so they show in the source."""
    parts = []
    for ch in clean_text(text):
        if ch.isascii():
            parts.append(ch if ch.isalnum() or ch == " " else f"&#{ord(ch)};")
        elif unicodedata.category(ch) in _VISIBLE_IN_SOURCE:
            parts.append(f"&#x{ord(ch):04X};")
        else:
            parts.append(ch)
    return Markup("".join(parts))  # noqa: S704 - every character was escaped just above


def attr(value: object) -> str:
    """An HTML attribute value: HTML-escaped, invisible characters shown (``visible``)."""
    return html.escape(visible(str(value)), quote=True)
