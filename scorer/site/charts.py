"""Static SVG charts for the leaderboard site: Pareto scatter plots and record progressions.

Charts are made at build time and inlined in Markdown pages, so they carry no script, load no
font or other resource, and draw only with ``currentColor`` and mkdocs-material's CSS custom
properties (each with a fallback): inline, they follow the site's light/dark palette toggle;
standalone, a ``prefers-color-scheme`` rule keeps them readable. The markup lives in
``scorer/site/templates/charts/``; this module does the data work (frontier, scales, ticks, label
placement) and hands the template pixel positions. Text safety and number formatting are the
badge module's (``svg_text``, ``svg_number``), so output is escaped and byte-for-byte stable.

Output is Markdown-proof: no blank or indented lines, no line starting with ``<style>`` or ``#``,
and punctuation in text as character references, so Python-Markdown passes a chart through byte
for byte even bare inside a paragraph (the tests check this).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

from scorer.site.badges import clean_text, content_id, fit_text, render_svg, text_width

DIRECTIONS = ("higher", "lower")
FONT = 11.0  # px, ticks, labels and legend
TITLE_FONT = 14.0
MAX_LABELLED = 40  # above this many points only frontier/highlighted points get visible labels
EMPTY_PARETO = "No qualified entries yet"
EMPTY_PROGRESSION = "No records yet"
_UNPLOTTABLE = "a value is not finite, or not positive on a log axis"
_UNDATED = "no valid date or value"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    href: str | None = None
    highlight: bool = False


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[str, float]]  # (ISO date "YYYY-MM-DD" or datetime string, value)


PALETTES = ("site", "book", "print")  # print: fixed colours for a PDF's image converter


def _check_palette(value: str) -> None:
    if value not in PALETTES:
        raise ValueError(f"palette must be one of {', '.join(PALETTES)}, not {value!r}")


def _check_direction(name: str, value: str) -> None:
    if value not in DIRECTIONS:
        raise ValueError(f"{name} must be 'higher' or 'lower', not {value!r}")


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


def _round_tick(value: float, step: float) -> float:
    # i * step carries float noise (3 * 0.1 = 0.30000000000000004): round it off.
    return round(value, max(0, -math.floor(math.log10(step))) + 1)


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 x 10^k apart) whose span covers [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("tick range must be finite")
    lo, hi = min(lo, hi), max(lo, hi)
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, target)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-9))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [_round_tick(i * step, step) for i in range(first, last + 1)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten covering [lo, hi] (both > 0); over two decades or less, 2 and 5 x 10^k too."""
    if not (lo > 0 and hi > 0 and math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("log-axis range must be positive and finite")
    lo, hi = min(lo, hi), max(lo, hi)
    e0, e1 = math.floor(math.log10(lo) + 1e-9), math.ceil(math.log10(hi) - 1e-9)
    if e1 == e0:  # lo == hi == a power of ten
        e0, e1 = e0 - 1, e1 + 1
    if e1 - e0 <= 2:  # few decades: 1, 2, 5 in each, or the axis has too few labels
        return [float(f"{m}e{e}") for e in range(e0, e1) for m in (1, 2, 5)] + [float(f"1e{e1}")]
    every = math.ceil((e1 - e0) / 8)  # at most about 8 labelled decades
    e0 -= e0 % every
    return [float(f"1e{e}") for e in range(e0, e1 + every, every)]


def format_tick(value: float, ticks: list[float], log: bool = False) -> str:
    """A tick label with as many decimals as the spacing needs (fixed, locale-free); on a log
    axis each label has the decimals its own value needs."""
    gaps = [abs(b - a) for a, b in zip(ticks, ticks[1:], strict=False) if b != a]
    unit = abs(value) if log else min(gaps) if gaps else abs(value)
    places = max(0, -math.floor(math.log10(unit) + 1e-9)) if unit else 0
    text = f"{value:,.{places}f}"
    return "0" if float(text.replace(",", "")) == 0 else text


def format_value(value: float) -> str:
    """A data value for tooltips and descriptions: four significant figures."""
    return f"{value:.4g}"


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


class _Scale:
    """Maps data values to pixels on one axis, linearly or in log10."""

    def __init__(self, values: list[float], p0: float, p1: float, log: bool = False,
                 exact: bool = False) -> None:
        self.log = log
        lo, hi = min(values), max(values)
        if not exact:
            # Keep points off the frame (and room for their labels), but do not invent
            # negative values for an all-positive axis.
            if log:
                span = math.log10(hi / lo) * 0.05
                lo, hi = lo / 10**span, hi * 10**span
            else:
                span = (hi - lo) * 0.05
                lo, hi = (max(0.0, lo - span) if lo >= 0 else lo - span), hi + span
        # ``exact`` maps [lo, hi] itself (dates get their own ticks); else round tick bounds.
        self.ticks = [lo, hi] if exact else log_ticks(lo, hi) if log else nice_ticks(lo, hi)
        self.t0, self.t1 = self._t(self.ticks[0]), self._t(self.ticks[-1])
        self.p0, self.p1 = p0, p1

    def _t(self, v: float) -> float:
        return math.log10(v) if self.log else v

    def __call__(self, v: float) -> float:
        return self.p0 + (self._t(v) - self.t0) / (self.t1 - self.t0) * (self.p1 - self.p0)

    def tick_marks(self) -> list[dict[str, object]]:
        return [{"pos": self(t), "text": format_tick(t, self.ticks, self.log)}
                for t in self.ticks]


def _frame(width: int, height: int, top: float) -> dict[str, float]:
    if not (isinstance(width, int) and isinstance(height, int)) or width < 240 or height < 160:
        raise ValueError("charts need integer width >= 240 and height >= 160")
    return {"left": 64.0, "right": width - 20.0, "top": top, "bottom": height - 48.0}


def _axis_title(label: str, better: str) -> str:
    return f"{clean_text(label)} ({better} is better)"


def _count(n: int, one: str = "entry", many: str = "entries") -> str:
    return f"{n} {one if n == 1 else many}"


def _not_plotted(n: int, reason: str, one: str = "entry", many: str = "entries") -> str:
    """A sentence for the desc about points left out, so screen readers hear of them too."""
    return f" {_count(n, one, many)} not plotted: {reason}." if n else ""


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
    taken = [(m["cx"] - r, m["cy"] - r, m["cx"] + r, m["cy"] + r)
             for m in marks for r in [7 if m["highlight"] else 5]]
    order = sorted(range(len(marks)), key=lambda i: (
        not marks[i]["highlight"], not marks[i]["front"], marks[i]["label"], i))
    crowded = len(marks) > MAX_LABELLED
    for i in order:
        m = marks[i]
        if crowded and not (m["highlight"] or m["front"]):
            continue
        text, w = fit_text(m["label"], 140.0, FONT)
        cx, cy = m["cx"], m["cy"]
        # (anchor, text x, baseline y): right of the point, left of it, above it, below it.
        for anchor, tx, ty in (("start", cx + 7, cy + 4), ("end", cx - 7, cy + 4),
                               ("middle", cx, cy - 8), ("middle", cx, cy + 16)):
            x0 = {"start": tx, "end": tx - w, "middle": tx - w / 2}[anchor]
            rect = (x0, ty - 9, x0 + w, ty + 3)
            inside = (box["left"] <= rect[0] and rect[2] <= box["right"]
                      and box["top"] <= rect[1] and rect[3] <= box["bottom"])
            if inside and not any(_overlaps(rect, t) for j, t in enumerate(taken) if j != i):
                m.update(text=text, anchor=anchor, tx=tx, ty=ty)
                taken.append(rect)
                break


def pareto_chart(points: list[Point], *, title: str, x_label: str, y_label: str,
                 x_better: str = "higher", y_better: str = "lower", log_x: bool = False,
                 log_y: bool = False, width: int = 640, height: int = 400,
                 palette: str = "site") -> str:
    """Scatter of qualified entries with their Pareto frontier as a step line (see module doc).

    ``palette`` "book" draws with inherited colours only (for a Jupyter Book, whose own
    light/dark toggle then applies); "site" uses mkdocs-material's properties; "print" fixed
    dark-on-white colours for the static image a PDF build converts.
    """
    _check_direction("x_better", x_better)
    _check_direction("y_better", y_better)
    uid = content_id("tmlp-chart", points, title, x_label, y_label, x_better, y_better, log_x,
                     log_y, width, height, *(() if palette == "site" else (palette,)))
    _check_palette(palette)
    box = _frame(width, height, 52.0)
    shown = [p for p in points if math.isfinite(p.x) and math.isfinite(p.y)
             and not (log_x and p.x <= 0) and not (log_y and p.y <= 0)]
    hidden = len(points) - len(shown)
    ctx: dict[str, object] = {
        "uid": uid, "width": width, "height": height, "box": box,
        "title": fit_text(title, width - 24.0, TITLE_FONT)[0], "full_title": clean_text(title),
        "x_title": fit_text(_axis_title(x_label, x_better), box["right"] - box["left"], FONT)[0],
        "y_title": fit_text(_axis_title(y_label, y_better), box["bottom"] - box["top"], FONT)[0],
        "legend": _pareto_legend(any(p.highlight for p in shown)), "marks": [], "xticks": [],
        "yticks": [], "path": "", "empty": EMPTY_PARETO, "palette": palette,
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
    marks = [{
        "cx": sx(p.x), "cy": sy(p.y), "label": clean_text(p.label), "front": id(p) in front_ids,
        "highlight": p.highlight, "href": safe_href(p.href), "text": None,
        "tip": f"{clean_text(p.label)}: {clean_text(x_label)} {format_value(p.x)}, "
               f"{clean_text(y_label)} {format_value(p.y)}",
    } for p in order]
    _place_labels(marks, box)
    ctx["legend"] = _pareto_legend(any(p.highlight for p in shown), len(front) < len(shown))
    worse_x, worse_y = (max if x_better == "lower" else min), (max if y_better == "lower" else min)
    steps = [f"M{sx(front[0].x):.2f} {sy(front[0].y):.2f}"]
    for a, b in zip(front, front[1:], strict=False):
        # Through the corner both points dominate: the edge of the region they dominate.
        steps.append(f"L{sx(worse_x(a.x, b.x)):.2f} {sy(worse_y(a.y, b.y)):.2f}")
        steps.append(f"L{sx(b.x):.2f} {sy(b.y):.2f}")
    listed = "; ".join(f"{clean_text(p.label)} ({format_value(p.x)}, {format_value(p.y)})"
                       for p in front)
    ctx.update(marks=marks, xticks=sx.tick_marks(), yticks=sy.tick_marks(), path=" ".join(steps),
               desc=f"{_count(len(shown))}, {_axis_title(x_label, x_better)} against "
                    f"{_axis_title(y_label, y_better)}"
                    f"{', log scale' if log_x or log_y else ''}. Pareto frontier: {listed}."
                    + _not_plotted(hidden, _UNPLOTTABLE))
    return render_svg("charts/pareto.svg.j2", **ctx)


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
    ("#e8590c", "6 3"), ("#2f9e44", "2 3"), ("#ae3ec9", "8 3 2 3"), ("#1098ad", "4 4"),
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
        out.append(max(0.0, hi * (1 - MIN_RELATIVE_SPAN)) if lo >= 0 else lo - MIN_RELATIVE_SPAN * hi)
    return out


def progression_chart(series: list[Series], *, title: str, y_label: str, better: str = "lower",
                      width: int = 640, height: int = 320, reference: float | None = None,
                      reference_label: str = "baseline", palette: str = "site") -> str:
    """Each series as a step line over dated x (a value holds until the next one); the last
    value runs on to the newest date in the chart. Single-point series are just a dot.

    ``reference`` (the baseline's value, say) is drawn as a dashed line and kept in the y
    range; the range always spans at least ``MIN_RELATIVE_SPAN`` of its top value. The legend
    lists only the series that have a plottable point.
    """
    _check_direction("better", better)
    _check_palette(palette)
    uid = content_id("tmlp-chart", series, title, y_label, better, width, height, reference,
                     reference_label, *(() if palette == "site" else (palette,)))
    parsed_all = [_dated(s) for s in series]
    drawn = [s for s, p in zip(series, parsed_all, strict=True) if p]
    legend = _legend(drawn, width)
    box = _frame(width, height, (legend[-1]["y"] + 16.0) if legend else 52.0)
    parsed = [p for p in parsed_all if p]
    every, series = series, drawn
    skipped = sum(len(s.points) for s in every) - sum(map(len, parsed))
    ctx: dict[str, object] = {
        "uid": uid, "width": width, "height": height, "box": box, "legend": legend,
        "title": fit_text(title, width - 24.0, TITLE_FONT)[0], "full_title": clean_text(title),
        "y_title": fit_text(_axis_title(y_label, better), box["bottom"] - box["top"], FONT)[0],
        "lines": [], "xticks": [], "yticks": [], "reference": None, "palette": palette,
        "empty": EMPTY_PROGRESSION, "desc": f"{EMPTY_PROGRESSION}."
                 + _not_plotted(skipped, _UNDATED, "point", "points"),
    }
    times = [e[0] for entries in parsed for e in entries]
    if not times:
        return render_svg("charts/progression.svg.j2", **ctx)
    t0, t1 = min(times), max(times)
    pad = max((t1 - t0) * 0.03, 0.5) if t1 > t0 else 3.0
    sx = _Scale([t0 - pad, t1 + pad], box["left"], box["right"], exact=True)
    sy = _Scale(_y_values([e[3] for entries in parsed for e in entries], reference),
                box["bottom"], box["top"])
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
        dots = [{"cx": sx(t), "cy": sy(v),
                 "tip": f"{name}: {format_value(v)} on {clean_text(when)}"}
                for t, _, when, v in entries]
        lines.append({"path": " ".join(path) if len(entries) > 1 else "", "dots": dots,
                      "color": item["color"], "dash": item["dash"]})
        described.append(f"{name} from {format_value(entries[0][3])} "
                         f"({clean_text(entries[0][2])}) to {format_value(entries[-1][3])} "
                         f"({clean_text(entries[-1][2])})")
    ctx.update(lines=lines, yticks=sy.tick_marks(),
               xticks=[{"pos": sx(t), "text": label} for t, label in date_ticks(
                   t0 - pad, t1 + pad, max_ticks)],
               desc=f"{_axis_title(y_label, better)} over time. " + "; ".join(described) + "."
                    + _not_plotted(skipped, _UNDATED, "point", "points"))
    return render_svg("charts/progression.svg.j2", **ctx)
