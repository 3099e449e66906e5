"""The record progression chart: each series' record value as a step line over dated x.

Like the Pareto scatter (``scorer.site.pareto``, whose module docstring has the rules every
chart keeps: no script, palette-following colours, Markdown-proof output), it is made at build
time and inlined in pages; the markup is ``scorer/site/templates/charts/progression.svg.j2``.
This module reads the dates, picks round date ticks and the y range, and lays out the legend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone

from scorer.site.axes import (
    FONT,
    TITLE_FONT,
    _axis_title,
    _check_direction,
    _check_palette,
    _frame,
    _not_plotted,
    _Scale,
    format_value,
)
from scorer.site.svg import content_id, fit_text, render_svg
from scorer.text import clean_text

EMPTY_PROGRESSION = "No records yet"
_UNDATED = "no valid date or value"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[str, float]]  # (ISO date "YYYY-MM-DD" or datetime string, value)


def parse_when(text: str) -> float:
    """Days since 0001-01-01 for an ISO date or datetime string (aware ones read as UTC)."""
    s = str(text).strip()
    try:
        if len(s) == 10:
            return float(date.fromisoformat(s).toordinal())
        moment = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
    return moment.toordinal() + seconds / 86400


def date_ticks(t0: float, t1: float, max_ticks: int) -> list[tuple[float, str]]:
    """Round dates (days, weeks, months or years apart) within [t0, t1], with short labels."""
    span = t1 - t0
    for days in (1, 2, 7, 14):
        if span / days <= max_ticks:
            first = math.ceil(t0)
            # Weeks start on Mondays (ordinal 1, 0001-01-01, was a Monday).
            offset = 1 if days >= 7 else 0
            first += (offset - first) % days
            return [(float(t), _day_label(t)) for t in range(first, math.floor(t1) + 1, days)]
    d0, d1 = date.fromordinal(math.floor(t0)), date.fromordinal(math.floor(t1))
    m0, m1 = d0.year * 12 + d0.month - 1, d1.year * 12 + d1.month - 1
    months = next(m for m in (1, 2, 3, 6, 12, 24, 60, 120, 10**9) if (m1 - m0) / m <= max_ticks)
    ticks = []
    for m in range(m0 + (-m0) % months, m1 + 1, months):
        t = date(m // 12, m % 12 + 1, 1).toordinal()
        if t0 <= t <= t1:
            label = str(m // 12) if months >= 12 else f"{_MONTHS[m % 12]} {m // 12}"
            ticks.append((float(t), label))
    return ticks


def _dated(s: Series) -> list[tuple[float, int, str, float]]:
    """(day, input index, date text, value) per plottable point, oldest first. A point with no
    valid date or finite value is left out (and counted in the desc), not fatal to the build."""
    out = []
    for i, (when, value) in enumerate(s.points):
        try:
            t, v = parse_when(when), float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(v):
            out.append((t, i, str(when), v))
    return sorted(out, key=lambda e: e[:2])


def _day_label(ordinal: int) -> str:
    d = date.fromordinal(ordinal)
    return f"{_MONTHS[d.month - 1]} {d.day}"


SERIES_STYLES = (  # (stroke colour, dash pattern): colour and dash both tell series apart
    ("var(--md-typeset-a-color, var(--md-primary-fg-color, #4051b5))", ""),
    ("#e8590c", "6 3"),
    ("#2f9e44", "2 3"),
    ("#ae3ec9", "8 3 2 3"),
    ("#1098ad", "4 4"),
    ("currentColor", "1 3"),
)


def _legend(series: list[Series], width: int) -> list[dict[str, object]]:
    """Legend entries laid out left to right, wrapping to a new row when one fills up."""
    items, x, row = [], 64.0, 0
    for i, s in enumerate(series):
        name, w = fit_text(s.name, 160.0, FONT)
        if x + 28 + w > width - 20 and x > 64:
            x, row = 64.0, row + 1
        color, dash = SERIES_STYLES[i % len(SERIES_STYLES)]
        items.append({"x": x, "y": 40.0 + 16 * row, "name": name, "color": color, "dash": dash})
        x += 28 + w + 16
    return items


MIN_RELATIVE_SPAN = 0.2  # a y axis spans at least 20% of its largest value (see below)


def _y_values(values: list[float], reference: float | None) -> list[float]:
    """The values the y axis must show: the data, the reference line, and enough room below
    that a small change stays small. Without it a 1.6% gain between two records fills the
    whole height and reads as a cliff; the axis still never goes below zero for positive data."""
    out = list(values) + ([reference] if reference is not None else [])
    lo, hi = min(out), max(out)
    if hi > 0 and hi - lo < MIN_RELATIVE_SPAN * hi:
        out.append(
            max(0.0, hi * (1 - MIN_RELATIVE_SPAN)) if lo >= 0 else lo - MIN_RELATIVE_SPAN * hi
        )
    return out


def progression_chart(
    series: list[Series],
    *,
    title: str,
    y_label: str,
    better: str = "lower",
    width: int = 640,
    height: int = 320,
    reference: float | None = None,
    reference_label: str = "baseline",
    palette: str = "site",
) -> str:
    """Each series as a step line over dated x (a value holds until the next one); the last
    value runs on to the newest date in the chart. Single-point series are just a dot.

    ``reference`` (the baseline's value, say) is drawn as a dashed line and kept in the y
    range; the range always spans at least ``MIN_RELATIVE_SPAN`` of its top value. The legend
    lists only the series that have a plottable point.
    """
    _check_direction("better", better)
    _check_palette(palette)
    uid = content_id(
        "tmlp-chart",
        series,
        title,
        y_label,
        better,
        width,
        height,
        reference,
        reference_label,
        *(() if palette == "site" else (palette,)),
    )
    parsed_all = [_dated(s) for s in series]
    drawn = [s for s, p in zip(series, parsed_all, strict=True) if p]
    legend = _legend(drawn, width)
    box = _frame(width, height, (legend[-1]["y"] + 16.0) if legend else 52.0)
    parsed = [p for p in parsed_all if p]
    every, series = series, drawn
    skipped = sum(len(s.points) for s in every) - sum(map(len, parsed))
    ctx: dict[str, object] = {
        "uid": uid,
        "width": width,
        "height": height,
        "box": box,
        "legend": legend,
        "title": fit_text(title, width - 24.0, TITLE_FONT)[0],
        "full_title": clean_text(title),
        "y_title": fit_text(_axis_title(y_label, better), box["bottom"] - box["top"], FONT)[0],
        "lines": [],
        "xticks": [],
        "yticks": [],
        "reference": None,
        "palette": palette,
        "empty": EMPTY_PROGRESSION,
        "desc": f"{EMPTY_PROGRESSION}." + _not_plotted(skipped, _UNDATED, "point", "points"),
    }
    times = [e[0] for entries in parsed for e in entries]
    if not times:
        return render_svg("charts/progression.svg.j2", **ctx)
    t0, t1 = min(times), max(times)
    pad = max((t1 - t0) * 0.03, 0.5) if t1 > t0 else 3.0
    sx = _Scale([t0 - pad, t1 + pad], box["left"], box["right"], exact=True)
    sy = _Scale(
        _y_values([e[3] for entries in parsed for e in entries], reference),
        box["bottom"],
        box["top"],
    )
    if reference is not None:
        ctx["reference"] = {"pos": sy(reference), "text": reference_label}
    max_ticks = max(2, int((box["right"] - box["left"]) // 80))
    lines, described = [], []
    for s, entries, item in zip(series, parsed, legend, strict=True):
        if not entries:
            continue
        path = [f"M{sx(entries[0][0]):.2f} {sy(entries[0][3]):.2f}"]
        for t, _, _, v in entries[1:]:
            path.append(f"H{sx(t):.2f} V{sy(v):.2f}")
        if len(entries) > 1 and entries[-1][0] < t1:
            path.append(f"H{sx(t1):.2f}")
        name = clean_text(s.name)
        dots = [
            {"cx": sx(t), "cy": sy(v), "tip": f"{name}: {format_value(v)} on {clean_text(when)}"}
            for t, _, when, v in entries
        ]
        lines.append(
            {
                "path": " ".join(path) if len(entries) > 1 else "",
                "dots": dots,
                "color": item["color"],
                "dash": item["dash"],
            }
        )
        described.append(
            f"{name} from {format_value(entries[0][3])} "
            f"({clean_text(entries[0][2])}) to {format_value(entries[-1][3])} "
            f"({clean_text(entries[-1][2])})"
        )
    ctx.update(
        lines=lines,
        yticks=sy.tick_marks(),
        xticks=[
            {"pos": sx(t), "text": label} for t, label in date_ticks(t0 - pad, t1 + pad, max_ticks)
        ],
        desc=f"{_axis_title(y_label, better)} over time. "
        + "; ".join(described)
        + "."
        + _not_plotted(skipped, _UNDATED, "point", "points"),
    )
    return render_svg("charts/progression.svg.j2", **ctx)
