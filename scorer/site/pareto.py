"""The Pareto scatter: qualified entries on two measures, with their frontier as a step line.

Charts are made at build time and inlined in Markdown pages, so they carry no script, load no
font or other resource, and draw only with ``currentColor`` and mkdocs-material's CSS custom
properties (each with a fallback): inline, they follow the site's light/dark palette toggle;
standalone, a ``prefers-color-scheme`` rule keeps them readable. The markup lives in
``scorer/site/templates/charts/``; this module does the data work (frontier, label placement)
with the scales of ``scorer.site.axes`` and hands the template pixel positions. Text safety and
number formatting are ``scorer.site.svg``'s (``svg_text``, ``svg_number``), so output is escaped
and byte-for-byte stable.

Output is Markdown-proof: no blank or indented lines, no line starting with ``<style>`` or ``#``,
and punctuation in text as character references, so Python-Markdown passes a chart through byte
for byte even bare inside a paragraph (the tests check this).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scorer.site.axes import (
    FONT,
    TITLE_FONT,
    _axis_title,
    _check_direction,
    _check_palette,
    _count,
    _frame,
    _not_plotted,
    _Scale,
    format_value,
)
from scorer.site.svg import content_id, fit_text, render_svg, safe_href, text_width
from scorer.text import clean_text

MAX_LABELLED = 40  # above this many points only frontier/highlighted points get visible labels
EMPTY_PARETO = "No qualified entries yet"
_UNPLOTTABLE = "a value is not finite, or not positive on a log axis"


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    href: str | None = None
    highlight: bool = False


def pareto_frontier(points: list[Point], x_better: str, y_better: str) -> list[Point]:
    """The points no other point dominates (as good on both axes and better on one).

    Points with equal coordinates do not dominate each other, so exact ties are all kept.
    Non-finite values are ignored. Result order: x ascending, then y ascending, then label,
    then href: independent of the input order.
    """
    _check_direction("x_better", x_better)
    _check_direction("y_better", y_better)
    sx = 1.0 if x_better == "lower" else -1.0  # signs turning both axes into "lower is better"
    sy = 1.0 if y_better == "lower" else -1.0
    finite = [p for p in points if math.isfinite(p.x) and math.isfinite(p.y)]
    finite.sort(key=lambda p: (sx * p.x, sy * p.y, p.label, p.href or ""))
    front: list[Point] = []
    best_y = math.inf
    for p in finite:
        # Sorted by x, so p is dominated unless it beats every y so far or ties the last one.
        if sy * p.y < best_y or (front and (p.x, p.y) == (front[-1].x, front[-1].y)):
            front.append(p)
            best_y = min(best_y, sy * p.y)
    return sorted(front, key=lambda p: (p.x, p.y, p.label, p.href or ""))


def _pareto_legend(highlight: bool, others: bool = True) -> list[dict[str, object]]:
    """Legend items for what is drawn: "Other entries" only when some point is off the front."""
    entries = [("tmlp-dot-front", "Pareto frontier")]
    if others:
        entries.append(("tmlp-dot", "Other entries"))
    if highlight:
        entries.append(("tmlp-dot-hl", "Highlighted entry"))
    items, x = [], 64.0
    for cls, name in entries:
        items.append({"x": x, "y": 42.0, "name": name, "cls": cls})
        x += 14 + text_width(name, FONT) + 16
    return items


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_labels(marks: list[dict], box: dict[str, float]) -> None:
    """Give each mark a visible label where one fits without overlapping; others keep only
    their tooltip. Highlighted and frontier points choose first, then the rest by label."""
    taken = [
        (m["cx"] - r, m["cy"] - r, m["cx"] + r, m["cy"] + r)
        for m in marks
        for r in [7 if m["highlight"] else 5]
    ]
    order = sorted(
        range(len(marks)),
        key=lambda i: (not marks[i]["highlight"], not marks[i]["front"], marks[i]["label"], i),
    )
    crowded = len(marks) > MAX_LABELLED
    for i in order:
        m = marks[i]
        if crowded and not (m["highlight"] or m["front"]):
            continue
        text, w = fit_text(m["label"], 140.0, FONT)
        cx, cy = m["cx"], m["cy"]
        # (anchor, text x, baseline y): right of the point, left of it, above it, below it.
        for anchor, tx, ty in (
            ("start", cx + 7, cy + 4),
            ("end", cx - 7, cy + 4),
            ("middle", cx, cy - 8),
            ("middle", cx, cy + 16),
        ):
            x0 = {"start": tx, "end": tx - w, "middle": tx - w / 2}[anchor]
            rect = (x0, ty - 9, x0 + w, ty + 3)
            inside = (
                box["left"] <= rect[0]
                and rect[2] <= box["right"]
                and box["top"] <= rect[1]
                and rect[3] <= box["bottom"]
            )
            if inside and not any(_overlaps(rect, t) for j, t in enumerate(taken) if j != i):
                m.update(text=text, anchor=anchor, tx=tx, ty=ty)
                taken.append(rect)
                break


def pareto_chart(
    points: list[Point],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_better: str = "higher",
    y_better: str = "lower",
    log_x: bool = False,
    log_y: bool = False,
    width: int = 640,
    height: int = 400,
    palette: str = "site",
) -> str:
    """Scatter of qualified entries with their Pareto frontier as a step line (see module doc).

    ``palette`` "book" draws with inherited colours only (for a Jupyter Book, whose own
    light/dark toggle then applies); "site" uses mkdocs-material's properties; "print" fixed
    dark-on-white colours for the static image a PDF build converts.
    """
    _check_direction("x_better", x_better)
    _check_direction("y_better", y_better)
    uid = content_id(
        "tmlp-chart",
        points,
        title,
        x_label,
        y_label,
        x_better,
        y_better,
        log_x,
        log_y,
        width,
        height,
        *(() if palette == "site" else (palette,)),
    )
    _check_palette(palette)
    box = _frame(width, height, 52.0)
    shown = [
        p
        for p in points
        if math.isfinite(p.x)
        and math.isfinite(p.y)
        and not (log_x and p.x <= 0)
        and not (log_y and p.y <= 0)
    ]
    hidden = len(points) - len(shown)
    ctx: dict[str, object] = {
        "uid": uid,
        "width": width,
        "height": height,
        "box": box,
        "title": fit_text(title, width - 24.0, TITLE_FONT)[0],
        "full_title": clean_text(title),
        "x_title": fit_text(_axis_title(x_label, x_better), box["right"] - box["left"], FONT)[0],
        "y_title": fit_text(_axis_title(y_label, y_better), box["bottom"] - box["top"], FONT)[0],
        "legend": _pareto_legend(any(p.highlight for p in shown)),
        "marks": [],
        "xticks": [],
        "yticks": [],
        "path": "",
        "empty": EMPTY_PARETO,
        "palette": palette,
    }
    if not shown:
        ctx["desc"] = f"{EMPTY_PARETO}.{_not_plotted(hidden, _UNPLOTTABLE)}"
        return render_svg("charts/pareto.svg.j2", **ctx)
    front = pareto_frontier(shown, x_better, y_better)
    front_ids = {id(p) for p in front}
    sx = _Scale([p.x for p in shown], box["left"], box["right"], log_x)
    sy = _Scale([p.y for p in shown], box["bottom"], box["top"], log_y)
    # Highlighted points last, so nothing is drawn over them.
    order = sorted(shown, key=lambda p: (p.highlight, p.x, p.y, p.label, p.href or ""))
    marks = [
        {
            "cx": sx(p.x),
            "cy": sy(p.y),
            "label": clean_text(p.label),
            "front": id(p) in front_ids,
            "highlight": p.highlight,
            "href": safe_href(p.href),
            "text": None,
            "tip": f"{clean_text(p.label)}: {clean_text(x_label)} {format_value(p.x)}, "
            f"{clean_text(y_label)} {format_value(p.y)}",
        }
        for p in order
    ]
    _place_labels(marks, box)
    ctx["legend"] = _pareto_legend(any(p.highlight for p in shown), len(front) < len(shown))
    worse_x, worse_y = (max if x_better == "lower" else min), (max if y_better == "lower" else min)
    steps = [f"M{sx(front[0].x):.2f} {sy(front[0].y):.2f}"]
    for a, b in zip(front, front[1:], strict=False):
        # Through the corner both points dominate: the edge of the region they dominate.
        steps.append(f"L{sx(worse_x(a.x, b.x)):.2f} {sy(worse_y(a.y, b.y)):.2f}")
        steps.append(f"L{sx(b.x):.2f} {sy(b.y):.2f}")
    listed = "; ".join(
        f"{clean_text(p.label)} ({format_value(p.x)}, {format_value(p.y)})" for p in front
    )
    ctx.update(
        marks=marks,
        xticks=sx.tick_marks(),
        yticks=sy.tick_marks(),
        path=" ".join(steps),
        desc=f"{_count(len(shown))}, {_axis_title(x_label, x_better)} against "
        f"{_axis_title(y_label, y_better)}"
        f"{', log scale' if log_x or log_y else ''}. Pareto frontier: {listed}."
        + _not_plotted(hidden, _UNPLOTTABLE),
    )
    return render_svg("charts/pareto.svg.j2", **ctx)
