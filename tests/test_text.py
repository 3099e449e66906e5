"""One suite of hostile strings through every escaper of submitted text (scorer/text.py).

Each dialect has its promise, checked on every string: one line stays one plain line in a
terminal; nothing Markdown, HTML or GitHub reacts to survives into a page or the comment; an
SVG's text holds nothing XML cannot and no bidi control; an attribute cannot be closed. Then
each dialect's exact output for a few strings, worked out by hand.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from scorer.text import (
    ELLIPSIS,
    GITHUB_MARKUP_CHARACTERS,
    MARKUP_CHARACTERS,
    attr,
    clean_text,
    github_md,
    md_text,
    one_line,
    svg_text,
    visible,
)

HOSTILE = [
    "plain-team",
    "",
    "new\nline\r\nand\ttab",
    "\x1b[2J\x1b[31mred terminal",
    "right\u202eto-left override\u2066isolate",
    "zero\u200bwidth\u200djoiner\ufeffbom",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1)) | cell | `code` *em* _u_ ~~s~~ $math$",
    "@octocat mention and #123 issue",
    '" onmouseover="alert(1)',
    "emoji \U0001f600 and tag \U000e0041 char",
    "nul\x00bell\x07del\x7f",
    "lone\ud800surrogate",
    "a" * 5000,
]
IDS = [f"s{i}" for i in range(len(HOSTILE))]
INVISIBLE = ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp")


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_one_line_is_one_printable_line(text):
    out = one_line(text)
    assert out.isprintable() and "\n" not in out and "\r" not in out
    assert (
        one_line(text, 40) == out if len(out) <= 40 else one_line(text, 40) == out[:39] + ELLIPSIS
    )


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_md_text_leaves_nothing_markdown_or_html_reacts_to(text):
    out = md_text(text)
    plain = re.sub(r"&#\d+;", "", out)
    assert not set(plain) & set(MARKUP_CHARACTERS)
    assert "\n" not in out and "\r" not in out and "\t" not in out
    assert not [c for c in out if unicodedata.category(c) in INVISIBLE]


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_github_md_is_one_inert_line_without_mentions(text):
    out = github_md(text)
    plain = re.sub(r"&#\d+;", "", out)
    assert not set(plain) & set(GITHUB_MARKUP_CHARACTERS)
    assert "\n" not in out and out.replace("&#", "").isprintable()
    assert re.search(r"@(?!&#8203;)", out) is None
    assert len(re.sub(r"&#\d+;", "x", out.replace("&#8203;", ""))) <= 2000  # cut, then escaped


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_svg_text_is_well_formed_xml_without_bidi_controls(text):
    cleaned = clean_text(text)
    assert not set(cleaned) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert not [c for c in cleaned if unicodedata.category(c) in ("Cc", "Cs")]
    root = ET.fromstring(f"<text>{svg_text(text)}</text>")  # parses: XML can hold all of it
    assert (root.text or "") == cleaned


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_attr_cannot_close_its_attribute(text):
    out = attr(text)
    assert '"' not in out and "<" not in out and ">" not in out
    # Parses as one attribute (XML normalises its whitespace, so compare without it).
    value = ET.fromstring(f'<a title="{out}"/>').get("title")
    assert value.split() == visible(text).split()


@pytest.mark.parametrize(
    "escaper, text, expected",
    [
        (one_line, "a\nb\x1bc\u202ed", "a\\nb\\x1bc\\u202ed"),
        (one_line, "tag \U000e0041", "tag \\U000e0041"),
        (one_line, "abcdef", "abcdef"),
        (lambda t: one_line(t, 4), "abcdef", "abc" + ELLIPSIS),
        (md_text, "a|b [c]", "a&#124;b &#91;c&#93;"),
        (md_text, "x\u202ey\nz", "x\u2039U+202E\u203ay z"),
        (lambda t: md_text(t, 3), "abcdef", "ab" + ELLIPSIS),
        (github_md, "@you `x`: a=b", "@&#8203;you &#96;x&#96;: a=b"),
        (github_md, "a\nb", "a&#92;nb"),
        (clean_text, "  a\t\nb\u202e  c\x00 ", "a b c"),
        (svg_text, "a<b & c", "a&#60;b &#38; c"),
        (svg_text, "zero\u200bwidth", "zero&#x200B;width"),
        (attr, 'say "hi" <now>', "say &quot;hi&quot; &lt;now&gt;"),
        (attr, "bidi\u202e", "bidi\u2039U+202E\u203a"),
    ],
)
def test_each_dialect_by_hand(escaper, text, expected):
    assert escaper(text) == expected
