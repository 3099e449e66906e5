"""Tests for scorer.site.badges and scorer.site.svg's text helpers: text widths, colours, escaping,
sizing and golden SVG files.

Golden files live in tests/golden/badges/ and are compared byte for byte. After an intended
change to the badge markup, regenerate them and review the diff:

    TINYMLPERF_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_badges.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import goldens
import pytest
from goldens import SVG, assert_safe_svg

from scorer.site import badges, svg
from scorer.site.badges import (
    AWARDS,
    PAD_X,
    normalize_color,
    render_award_badge,
    render_badge,
    render_rank_badge,
)
from scorer.site.svg import MAX_TEXT_WIDTH, text_width

GOLDEN = Path(__file__).parent / "golden" / "badges"
HOSTILE_LABEL = "<script>alert(1)</script>"
HOSTILE_MESSAGE = "& \"quotes\" 'single' \u202eevil\u202c zero\u200bwidth [x](javascript:alert(1))"


def check_golden(name: str, svg: str) -> None:
    goldens.check_golden(GOLDEN / name, svg)


def texts(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter(SVG + "text")]


# --- text_width --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size", "expected"),
    [
        ("", 11.0, 0.0),
        ("MLP", 11.0, (842 + 556 + 603) * 11 / 1000),  # 22.011
        ("ab", 10.0, (600 + 623) / 100),  # 12.23
        (
            "Speed Demon",
            11.0,
            (683 + 623 + 595 + 595 + 623 + 351 + 770 + 595 + 972 + 606 + 632) * 11 / 1000,
        ),
        (
            "#1 \u00b7 0.21 s",
            11.0,
            (818 + 635 + 351 + 363 + 351 + 635 + 363 + 635 + 635 + 351 + 520) * 11 / 1000,
        ),
        ("\u00e9", 11.0, 595 * 11 / 1000),  # accented letter: its base letter's width
        ("\u4e2d", 11.0, 11.0),  # CJK: one em
        ("\U0001f600", 11.0, 13.2),  # emoji: 1.2 em
        ("\u200b\u200d\u202e\u0301", 11.0, 0.0),  # zero-width, joiner, bidi, combining
        ("\u0416", 11.0, 8.8),  # Cyrillic: the 0.8 em fallback
        ("\u2026", 11.0, 818 * 11 / 1000),
    ],
)
def test_text_width(text: str, size: float, expected: float) -> None:
    assert text_width(text, size) == pytest.approx(expected)


def test_text_width_scales_with_font_size() -> None:
    assert text_width("TinyMLPerf", 22.0) == pytest.approx(2 * text_width("TinyMLPerf"))


# --- colours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("#4c1", "#44cc11"),
        ("#ABCDEF", "#abcdef"),
        ("#abc", "#aabbcc"),
        ("red", "#e05d44"),
        ("Gold", "#dbb42c"),
        ("blue", "#007ec6"),
    ],
)
def test_colors_accepted(given: str, expected: str) -> None:
    assert normalize_color(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "#",
        "#abcd",
        "#12345g",
        "4c1",
        "red;",
        "rgb(1,2,3)",
        "url(#x)",
        "javascript:x",
        '#fff" onload="x',
        "#fff ",
        "chartreuse",
        None,
        0x4C1,
    ],
)
def test_colors_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        render_badge("a", "b", bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render_badge("a", "b", label_color=bad)  # type: ignore[arg-type]


def test_text_colour_contrasts_with_background() -> None:
    assert badges.text_colors("#555555")[0] == "#ffffff"
    assert badges.text_colors("#dbb42c")[0] == "#333333"


# --- badges ------------------------------------------------------------------------------

GOLDEN_BADGES = {
    "plain.svg": lambda: render_badge("build", "passing"),
    "custom-colors-title.svg": lambda: render_badge(
        "MLP Sprint", "qualified", "blue", label_color="#333", title="Meets the 95% threshold"
    ),
    "message-only.svg": lambda: render_badge("", "baseline", "lightgrey"),
    "long-text.svg": lambda: render_badge(
        "team",
        "The Extraordinarily Long Team Name That Never Seems To End, Part Two: The Sequel",
        "orange",
    ),
    "hostile.svg": lambda: render_badge(HOSTILE_LABEL, HOSTILE_MESSAGE, "red"),
    "unicode.svg": lambda: render_badge(
        "\u00e9quipe", "\u4e2d\u6587 \U0001f680 \u05e9\u05dc\u05d5\u05dd", "teal"
    ),
    "rank-1.svg": lambda: render_rank_badge("MLP Sprint", 1, "0.21 s"),
    "rank-2.svg": lambda: render_rank_badge("MLP Sprint", 2, "0.25 s"),
    "rank-3.svg": lambda: render_rank_badge("CNN Marathon", 3, "41.7 s"),
    "rank-12.svg": lambda: render_rank_badge("Transformer Decathlon", 12, "1,204 tokens/s"),
    **{f"award-{award}.svg": (lambda a=award: render_award_badge(a)) for award in AWARDS},
}


@pytest.mark.parametrize("name", sorted(GOLDEN_BADGES))
def test_golden(name: str) -> None:
    svg = GOLDEN_BADGES[name]()
    assert svg == GOLDEN_BADGES[name](), "same input must give the same bytes"
    check_golden(name, svg)


def test_every_golden_file_is_still_produced() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.svg")) == sorted(GOLDEN_BADGES)


@pytest.mark.parametrize("name", sorted(GOLDEN_BADGES))
def test_badge_is_safe_accessible_and_nothing_overflows(name: str) -> None:
    svg = GOLDEN_BADGES[name]()
    root = assert_safe_svg(svg)
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find(SVG + "title").text
    width = float(root.get("width"))
    rects = [r for r in root.iter(SVG + "rect") if r.get("x") is not None]
    assert sum(float(r.get("width")) for r in rects) == width
    for rect, text in zip(rects, texts(root)[1::2], strict=True):
        drawn = text.text or ""
        measured = text_width(drawn)
        assert float(rect.get("width")) >= measured + 2 * PAD_X
        assert measured <= MAX_TEXT_WIDTH
        assert float(text.get("textLength", "0")) == pytest.approx(measured, abs=0.01)
        # The text is centred in its half.
        assert float(text.get("x")) == pytest.approx(
            float(rect.get("x")) + float(rect.get("width")) / 2, abs=0.05
        )


def test_hostile_text_is_text() -> None:
    svg = render_badge(HOSTILE_LABEL, HOSTILE_MESSAGE, "red")
    root = assert_safe_svg(svg)
    label, message = texts(root)[1].text, texts(root)[3].text
    assert label == HOSTILE_LABEL
    # Bidi overrides are dropped; the zero-width space stays, written visibly in the source.
    expected = HOSTILE_MESSAGE.replace("\u202e", "").replace("\u202c", "")
    assert message.endswith("\u2026") and expected.startswith(message[:-1])
    assert "&#x200B;" in svg and "\u202e" not in svg
    assert root.get("aria-label") == f"{label}: {expected}"
    # Markdown-significant punctuation is written as character references.
    assert "[x](" not in svg and "&#91;x&#93;&#40;" in svg


def test_xml_illegal_characters_are_dropped() -> None:
    root = assert_safe_svg(render_badge("a\x00b\x07c\x1b", "tab\there\nnew\ud800line"))
    assert texts(root)[1].text == "abc"
    assert texts(root)[3].text == "tab here new\ufffdline"


def test_long_text_is_truncated_with_ellipsis_but_named_in_full() -> None:
    long = "x" * 200
    root = ET.fromstring(render_badge("label", long))
    shown = texts(root)[3].text
    assert shown.endswith("\u2026") and len(shown) < len(long)
    assert text_width(shown) <= MAX_TEXT_WIDTH
    assert root.get("aria-label") == f"label: {long}"


def test_truncation_never_leaves_a_dangling_joiner_or_space() -> None:
    text, width = svg.fit_text("ab " * 40 + "\u200d" * 5)
    assert text.endswith("\u2026") and not text[:-1].endswith((" ", "\u200d"))
    assert width <= MAX_TEXT_WIDTH


def test_ids_differ_between_badges_and_not_between_renders() -> None:
    ids = [ET.fromstring(render_badge("a", m)).find(SVG + "clipPath").get("id") for m in "xyx"]
    assert ids[0] != ids[1] and ids[0] == ids[2]


def test_rank_badge_colours_and_message() -> None:
    colours = {
        rank: ET.fromstring(render_rank_badge("E", rank, "1 s"))
        .findall(f".//{SVG}rect")[2]
        .get("fill")
        for rank in (1, 2, 3, 4, 12)
    }
    assert colours == {1: "#dbb42c", 2: "#b4b8bc", 3: "#c27c3e", 4: "#007ec6", 12: "#007ec6"}
    root = ET.fromstring(render_rank_badge("MLP Sprint", 1, "0.21 s"))
    assert root.get("aria-label") == "MLP Sprint: #1 \u00b7 0.21 s"


@pytest.mark.parametrize("rank", [0, -1, True, 1.0, "1"])
def test_rank_must_be_a_positive_int(rank: object) -> None:
    with pytest.raises(ValueError):
        render_rank_badge("E", rank, "1 s")  # type: ignore[arg-type]


def test_awards() -> None:
    assert set(AWARDS) == {"speed-demon", "memory-wizard", "innovation-pioneer", "triple-crown"}
    for award_id, (name, meaning, colour) in AWARDS.items():
        root = ET.fromstring(render_award_badge(award_id))
        assert root.get("aria-label") == f"TinyMLPerf: {name}"
        assert root.find(SVG + "title").text == f"{name}: {meaning}"
        assert normalize_color(colour) == colour
    with pytest.raises(ValueError):
        render_award_badge("best-in-show")


def test_any_character_gives_well_formed_xml() -> None:
    tricky = [
        chr(c)
        for c in [
            *range(0x00, 0x20),
            *range(0x7F, 0xA0),
            0xD800,
            0xDFFF,
            0xFFFE,
            0xFFFF,
            0x2028,
            0x2029,
            0xFEFF,
            0x200E,
            0x200F,
            0x2066,
            0x0301,
            0x1F469,
            0x200D,
            0x1F4BB,
            0xFE0F,
            0x10FFFF,
            0xE000,
        ]
    ]
    for ch in tricky:
        root = assert_safe_svg(render_badge(f"a{ch}b", f"{ch}" * 3))
        assert texts(root)[1].text.startswith("a")
    assert_safe_svg(render_badge("".join(tricky), "".join(reversed(tricky))))


def test_markdown_leaves_an_inline_badge_alone() -> None:
    # Pages put badges inline in Markdown text; Python-Markdown must not touch their markup.
    markdown = pytest.importorskip("markdown")
    svg = GOLDEN_BADGES["hostile.svg"]().strip()
    html = markdown.markdown(f"Team {svg} badge", extensions=["tables", "toc", "attr_list"])
    assert html == f"<p>Team {svg} badge</p>"
