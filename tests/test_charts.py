"""Tests for the site's charts (scorer.site.pareto, .progression, .axes, .svg's safe_href):
the Pareto frontier, ticks, link filtering and golden SVG charts.

Golden files live in tests/golden/charts/ and are compared byte for byte. After an intended
change to the chart markup or layout, regenerate them and review the diff:

    TINYMLPERF_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_charts.py
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import goldens
import pytest
from goldens import SVG, assert_safe_svg

from scorer.site.axes import format_tick, log_ticks, nice_ticks
from scorer.site.pareto import EMPTY_PARETO, Point, pareto_chart, pareto_frontier
from scorer.site.progression import (
    EMPTY_PROGRESSION,
    Series,
    date_ticks,
    parse_when,
    progression_chart,
)
from scorer.site.svg import safe_href

GOLDEN = Path(__file__).parent / "golden" / "charts"

MLP = [
    Point("fast-tensors", 0.971, 0.21, "../teams/fast-tensors/"),
    Point("numpy-ninjas", 0.982, 0.64, "../teams/numpy-ninjas/"),
    Point("baseline", 0.962, 3.9, "../teams/baseline/"),
    Point("slowpoke", 0.955, 7.5),
    Point("big-brain", 0.991, 12.0, "https://example.org/big-brain"),
    Point("middle", 0.975, 1.3),
]
HOSTILE = [
    Point("<script>alert(1)</script>", 0.97, 1.0, "javascript:alert(1)"),
    Point("\"quotes\" & 'apostrophes'", 0.98, 2.0, "data:text/html,<b>x</b>"),
    Point("\u202eevil\u202c zero\u200bwidth", 0.99, 3.0, "//evil.example/"),
    Point("[x](javascript:alert(1)) *em* _u_", 0.96, 0.5, "https://ok.example/?a=1&b=<2>"),
    Point("ok", 0.95, 0.4, " javascript:alert(1)"),
]
RECORDS = [
    Series(
        "MLP Sprint record",
        [
            ("2026-09-01", 30.0),
            ("2026-09-20", 12.5),
            ("2026-10-15T08:30:00Z", 3.0),
            ("2026-11-20", 0.21),
        ],
    ),
    Series("fast-tensors", [("2026-10-01", 8.0)]),
    Series("numpy-ninjas", [("2026-09-05", 20.0), ("2026-11-01", 4.0)]),
]

GOLDEN_CHARTS = {
    "pareto-normal.svg": lambda: pareto_chart(
        MLP,
        title="MLP Sprint: accuracy against training time",
        x_label="Accuracy",
        y_label="Training time (s)",
    ),
    "pareto-highlight.svg": lambda: pareto_chart(
        [p if p.label != "baseline" else Point(p.label, p.x, p.y, p.href, True) for p in MLP],
        title="baseline among the MLP Sprint entries",
        x_label="Accuracy",
        y_label="Training time (s)",
    ),
    "pareto-empty.svg": lambda: pareto_chart(
        [], title="CNN Marathon", x_label="Accuracy", y_label="Training time (s)"
    ),
    "pareto-one-point.svg": lambda: pareto_chart(
        [Point("solo", 0.96, 5.0)], title="One entry", x_label="Accuracy", y_label="Time (s)"
    ),
    "pareto-hostile.svg": lambda: pareto_chart(
        HOSTILE, title='<b>Title</b> & "more"', x_label="x <axis>", y_label="y & axis"
    ),
    "pareto-log.svg": lambda: pareto_chart(
        [
            Point("a", 120.0, 0.004),
            Point("b", 3000.0, 0.02),
            Point("c", 45000.0, 0.9),
            Point("d", 800.0, 0.5),
            Point("non-positive", 0.0, 1.0),
        ],
        title="Throughput against memory",
        x_label="Tokens/s",
        y_label="Peak memory (GiB)",
        x_better="higher",
        y_better="lower",
        log_x=True,
        log_y=True,
    ),
    "progression-normal.svg": lambda: progression_chart(
        RECORDS, title="MLP Sprint records", y_label="Training time (s)"
    ),
    "progression-empty.svg": lambda: progression_chart(
        [], title="No history", y_label="Accuracy", better="higher"
    ),
    "progression-one-point.svg": lambda: progression_chart(
        [Series("fast-tensors", [("2026-11-29", 0.971)])],
        title="fast-tensors history",
        y_label="Accuracy",
        better="higher",
    ),
}


def check_golden(name: str, svg: str) -> None:
    goldens.check_golden(GOLDEN / name, svg)


# --- frontier ----------------------------------------------------------------------------

A, B, C, D = Point("A", 1, 5), Point("B", 2, 3), Point("C", 3, 4), Point("D", 4, 1)


@pytest.mark.parametrize(
    ("x_better", "y_better", "expected"),
    [
        ("lower", "lower", ["A", "B", "D"]),  # C is beaten by B on both
        ("higher", "lower", ["D"]),  # D has the most x and the least y
        ("higher", "higher", ["A", "C", "D"]),  # B is beaten by C on both
        ("lower", "higher", ["A"]),  # A has the least x and the most y
    ],
)
def test_frontier_direction_combinations(x_better: str, y_better: str, expected: list[str]) -> None:
    for order in itertools.permutations([A, B, C, D]):
        front = pareto_frontier(list(order), x_better, y_better)
        assert [p.label for p in front] == expected


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([], []),
        ([Point("b", 1, 1), Point("a", 1, 1)], ["a", "b"]),  # exact tie: both, by label
        ([Point("p", 1, 2), Point("q", 1, 3)], ["p"]),  # same x: the lower y
        ([Point("p", 1, 2), Point("q", 2, 2)], ["p"]),  # same y: the lower x
        ([Point("t1", 1, 1), Point("t2", 1, 1), Point("w", 1, 2)], ["t1", "t2"]),
        (
            [
                Point("a", 1, 3),
                Point("nan", math.nan, 0),
                Point("b", 2, 1),
                Point("inf", 0, -math.inf),
            ],
            ["a", "b"],
        ),  # non-finite: ignored
    ],
)
def test_frontier_ties_and_edge_cases(points: list[Point], expected: list[str]) -> None:
    assert [p.label for p in pareto_frontier(points, "lower", "lower")] == expected
    assert [p.label for p in pareto_frontier(points[::-1], "lower", "lower")] == expected


def test_frontier_rejects_unknown_direction() -> None:
    with pytest.raises(ValueError):
        pareto_frontier([A], "more", "lower")
    with pytest.raises(ValueError):
        pareto_chart([A], title="t", x_label="x", y_label="y", y_better="less")


# --- ticks and formatting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0.13, 0.97, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (3, 97, [0, 20, 40, 60, 80, 100]),
        (-7, 12, [-10, -5, 0, 5, 10, 15]),
        (1000, 5000, [1000, 2000, 3000, 4000, 5000]),
        (5, 5, [4.4, 4.6, 4.8, 5.0, 5.2, 5.4, 5.6]),
        (0, 0, [-1, -0.5, 0, 0.5, 1]),
        (0.951, 0.991, [0.95, 0.96, 0.97, 0.98, 0.99, 1.0]),
    ],
)
def test_nice_ticks(lo: float, hi: float, expected: list[float]) -> None:
    assert nice_ticks(lo, hi) == expected


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (3, 40, [1, 2, 5, 10, 20, 50, 100]),
        (0.002, 500, [0.001, 0.01, 0.1, 1, 10, 100, 1000]),
        (1e-6, 1e6, [1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6]),
        (10, 10, [1, 2, 5, 10, 20, 50, 100]),
    ],
)
def test_log_ticks(lo: float, hi: float, expected: list[float]) -> None:
    assert log_ticks(lo, hi) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "ticks", "log", "expected"),
    [
        (0.2, [0, 0.2, 0.4], False, "0.2"),
        (1.0, [0.6, 0.8, 1.0], False, "1.0"),
        (20, [0, 20, 40], False, "20"),
        (1500, [1000, 1500, 2000], False, "1,500"),
        (-0.0, [-1, 0, 1], False, "0"),
        (0.002, [0.001, 0.002, 0.005], True, "0.002"),
        (100, [1, 10, 100], True, "100"),
    ],
)
def test_format_tick(value: float, ticks: list[float], log: bool, expected: str) -> None:
    assert format_tick(value, ticks, log) == expected


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("../teams/a/", True),
        ("teams/a.md#x", True),
        ("#anchor", True),
        ("/abs/path", True),
        ("https://example.org/x?a=1", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        (" javascript:x", False),
        ("java\nscript:x", False),
        ("data:text/html,x", False),
        ("http://example.org", False),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("https:///path", False),
        ("vbscript:x", False),
        ("", False),
        (None, False),
        ("mailto:a@b.c", False),
    ],
)
def test_safe_href(href: str | None, kept: bool) -> None:
    assert safe_href(href) == (href if kept else None)


def test_parse_when() -> None:
    day = date(2026, 11, 29).toordinal()
    assert parse_when("2026-11-29") == day
    assert parse_when("2026-11-29T12:00:00Z") == day + 0.5
    assert parse_when("2026-11-29T14:00:00+02:00") == day + 0.5
    assert parse_when("2026-11-29 06:00") == day + 0.25
    with pytest.raises(ValueError):
        parse_when("29/11/2026")


def test_date_ticks() -> None:
    d = date(2026, 11, 1).toordinal()
    assert date_ticks(d, d + 3, 6) == [(d + i, f"Nov {1 + i}") for i in range(4)]
    weekly = date_ticks(d, d + 30, 6)
    assert [label for _, label in weekly] == ["Nov 2", "Nov 9", "Nov 16", "Nov 23", "Nov 30"]
    assert all(date.fromordinal(int(t)).weekday() == 0 for t, _ in weekly)  # Mondays
    monthly = date_ticks(date(2026, 1, 15).toordinal(), date(2026, 6, 20).toordinal(), 6)
    assert [label for _, label in monthly] == [
        "Feb 2026",
        "Mar 2026",
        "Apr 2026",
        "May 2026",
        "Jun 2026",
    ]
    yearly = date_ticks(date(2020, 3, 1).toordinal(), date(2026, 3, 1).toordinal(), 6)
    assert [label for _, label in yearly] == [str(y) for y in range(2021, 2027)]


# --- charts ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOLDEN_CHARTS))
def test_golden(name: str) -> None:
    svg = GOLDEN_CHARTS[name]()
    assert svg == GOLDEN_CHARTS[name](), "same input must give the same bytes"
    check_golden(name, svg)


def test_every_golden_file_is_still_produced() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.svg")) == sorted(GOLDEN_CHARTS)


@pytest.mark.parametrize("name", sorted(GOLDEN_CHARTS))
def test_chart_is_safe_accessible_and_themeable(name: str) -> None:
    svg = GOLDEN_CHARTS[name]()
    root = assert_safe_svg(svg)
    assert root.find(f".//{SVG}style") is not None  # the theme colours live there
    # A chart with links is a group (links may not sit inside an image role), else an image.
    has_links = root.find(f".//{SVG}a") is not None
    assert root.get("role") == ("group" if has_links else "img") and root.get("aria-label")
    # It scales with its column: a viewBox, no fixed width or height.
    assert root.get("viewBox") and root.get("width") is None and root.get("height") is None
    assert root.find(SVG + "title").text and root.find(SVG + "desc").text
    assert "\n\n" not in svg and not re.search(r"^\s", svg, re.M), "raw-HTML-block safe"
    # Colours follow the page: currentColor and mkdocs-material properties, never a fixed
    # fill or stroke on an element (fixed hex values appear only as var() fallbacks or in the
    # fixed series palette, which reads on light and dark backgrounds alike).
    assert "currentColor" in svg and "var(--md-default-fg-color" in svg
    for el in root.iter():
        assert "fill" not in el.attrib and "stroke" not in el.attrib, el.attrib


@pytest.mark.parametrize("name", ["pareto-hostile.svg", "progression-normal.svg"])
def test_markdown_leaves_an_inline_chart_alone(name: str) -> None:
    # The site inlines charts in Markdown pages; even bare inside a paragraph (not wrapped in a
    # block element), Python-Markdown must pass the SVG through byte for byte.
    markdown = pytest.importorskip("markdown")
    svg = GOLDEN_CHARTS[name]().strip()
    html = markdown.markdown(
        f"Before {svg} after",
        extensions=[
            "tables",
            "toc",
            "admonition",
            "attr_list",
            "md_in_html",
            "pymdownx.details",
            "pymdownx.superfences",
        ],
    )
    assert html == f"<p>Before {svg} after</p>"


def test_hostile_labels_are_text_and_bad_links_dropped() -> None:
    root = assert_safe_svg(GOLDEN_CHARTS["pareto-hostile.svg"]())
    assert [a.get("href") for a in root.iter(SVG + "a")] == ["https://ok.example/?a=1&b=<2>"]
    tips = {t.text for t in root.iter(SVG + "title")}
    assert "<script>alert(1)</script>: x <axis> 0.97, y & axis 1" in tips
    assert "evil zero\u200bwidth: x <axis> 0.99, y & axis 3" in tips
    assert root.find(SVG + "title").text == '<b>Title</b> & "more"'


def test_empty_states() -> None:
    for name, message in (
        ("pareto-empty.svg", EMPTY_PARETO),
        ("progression-empty.svg", EMPTY_PROGRESSION),
    ):
        root = ET.fromstring(GOLDEN_CHARTS[name]())
        assert message in [t.text for t in root.iter(SVG + "text")]
        assert root.find(f".//{SVG}circle") is None


def test_frontier_points_are_emphasised_and_joined_by_steps() -> None:
    root = ET.fromstring(GOLDEN_CHARTS["pareto-normal.svg"]())
    front = {p.label for p in pareto_frontier(MLP, "higher", "lower")}
    assert front == {"fast-tensors", "numpy-ninjas", "big-brain"}  # worked by hand
    for g in root.iter(SVG + "g"):
        circle, title = g.find(SVG + "circle"), g.find(SVG + "title")
        if circle is not None and title is not None:
            emphasised = circle.get("class") == "tmlp-dot-front"
            assert emphasised == (title.text.split(":")[0] in front)
    path = root.find(f"{SVG}path[@class='tmlp-front']").get("d")
    # Three frontier points: a start and two (corner, point) pairs, with axis-parallel steps.
    coords = [tuple(map(float, c.split())) for c in re.findall(r"[ML]([\d.]+ [\d.]+)", path)]
    assert len(coords) == 5
    for (x0, y0), (x1, y1) in itertools.pairwise(coords):
        assert x0 == x1 or y0 == y1


def test_crowded_chart_keeps_every_point_as_a_tooltip() -> None:
    points = [
        Point(f"team-{i:02d}", 0.95 + (i % 7) * 0.006, 1 + (i * 37 % 50) / 5) for i in range(60)
    ]
    root = assert_safe_svg(pareto_chart(points, title="crowd", x_label="x", y_label="y"))
    tips = [
        g.find(SVG + "title").text
        for g in root.iter(SVG + "g")
        if g.find(SVG + "title") is not None
    ]
    assert len(tips) == 60
    labels = [t for t in root.iter(SVG + "text") if (t.text or "").startswith("team-")]
    assert 0 < len(labels) < 60


def test_progression_draws_steps_and_single_points_as_dots() -> None:
    root = ET.fromstring(GOLDEN_CHARTS["progression-normal.svg"]())
    groups = [
        g for g in root.iter(SVG + "g") if g.find(SVG + "circle") is not None and g.get("style")
    ]
    assert [len(g.findall(SVG + "circle")) for g in groups] == [4, 1, 2]
    assert [g.find(SVG + "path") is not None for g in groups] == [True, False, True]
    legend = [t.text for t in root.find(f"{SVG}g[@class='tmlp-legend']").iter(SVG + "text")]
    assert legend == [s.name for s in RECORDS]
    one = ET.fromstring(GOLDEN_CHARTS["progression-one-point.svg"]())
    assert one.find(f".//{SVG}path") is None and len(one.findall(f".//{SVG}circle")) == 1


def test_log_axis_drops_non_positive_values_and_says_so() -> None:
    root = ET.fromstring(GOLDEN_CHARTS["pareto-log.svg"]())
    assert "1 entry not plotted" in root.find(SVG + "desc").text
    assert (
        len(
            [
                g
                for g in root.iter(SVG + "g")
                if g.find(SVG + "circle") is not None and g.find(SVG + "title") is not None
            ]
        )
        == 4
    )


def test_progression_skips_points_it_cannot_place_and_says_so() -> None:
    svg = progression_chart(
        [
            Series(
                "a",
                [
                    ("", 1.0),
                    ("2026-11-01", 2.0),
                    ("not a date", 3.0),
                    ("2026-11-02", None),
                    ("2026-11-03", math.nan),
                    ("2026-11-04", 4.0),
                ],
            )
        ],
        title="t",
        y_label="y",
    )
    root = assert_safe_svg(svg)
    assert len(root.findall(f".//{SVG}circle")) == 2
    assert "4 points not plotted" in root.find(SVG + "desc").text
    only_bad = ET.fromstring(progression_chart([Series("a", [("", 1.0)])], title="t", y_label="y"))
    assert "1 point not plotted" in only_bad.find(SVG + "desc").text


def test_chart_size_is_validated() -> None:
    with pytest.raises(ValueError):
        pareto_chart([], title="t", x_label="x", y_label="y", width=10)
    with pytest.raises(ValueError):
        progression_chart([], title="t", y_label="y", better="sideways")


def _y_tick_values(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    ticks = [g for g in root.iter(SVG + "g") if g.get("text-anchor") == "end"][0]
    return [float(t.text.replace(",", "")) for t in ticks.iter(SVG + "text")]


def test_a_small_gain_is_not_drawn_as_a_cliff() -> None:
    # Two records 1.6% apart (1.600x then 1.626x). Before, the axis ran from 1.595 to 1.63,
    # so the step filled the chart; now the range spans at least 20% of its top value.
    svg = progression_chart(
        [Series("Speed record", [("2026-11-01", 1.6), ("2026-11-09", 1.626)])],
        title="t",
        y_label="Speed-up",
        better="higher",
    )
    ticks = _y_tick_values(svg)
    assert ticks[-1] - ticks[0] >= 0.2 * 1.626
    assert ticks[0] >= 0  # never below zero for positive data


def test_the_reference_line_is_drawn_and_in_range() -> None:
    svg = progression_chart(
        [Series("Speed record", [("2026-11-01", 3.0), ("2026-11-09", 4.0)])],
        title="t",
        y_label="Speed-up",
        better="higher",
        reference=1.0,
    )
    root = ET.fromstring(svg)
    assert root.find(f".//{SVG}line[@class='tmlp-ref']") is not None
    assert _y_tick_values(svg)[0] <= 1.0
    assert "baseline" in [t.text for t in root.iter(SVG + "text")]


def test_legends_list_only_what_is_drawn() -> None:
    # A series without a plottable point is not in the legend.
    svg = progression_chart(
        [Series("drawn", [("2026-11-01", 1.0)]), Series("empty", [("", 2.0)])],
        title="t",
        y_label="y",
    )
    legend = ET.fromstring(svg).find(f"{SVG}g[@class='tmlp-legend']")
    assert [t.text for t in legend.iter(SVG + "text")] == ["drawn"]
    # Every point on the frontier: no "Other entries" item.
    front_only = pareto_chart(
        [Point("a", 1.0, 1.0), Point("b", 2.0, 2.0)], title="t", x_label="x", y_label="y"
    )
    legend = ET.fromstring(front_only).find(f"{SVG}g[@class='tmlp-legend']")
    assert [t.text for t in legend.iter(SVG + "text")] == ["Pareto frontier"]
