"""Shared pieces of the site's SVG charts: axis scales, ticks, the plot frame and desc texts.

``scorer.site.pareto`` and ``scorer.site.progression`` draw with these: a ``_Scale`` maps data
values to pixels (linear or log10) with round ticks from ``nice_ticks``/``log_ticks`` labelled by
``format_tick``; ``_frame`` is the plot box, and the ``_axis_title``/``_not_plotted`` sentences
keep the two charts' accessible descriptions worded alike.
"""

from __future__ import annotations

import math

from scorer.text import clean_text

DIRECTIONS = ("higher", "lower")
FONT = 11.0  # px, ticks, labels and legend
TITLE_FONT = 14.0

PALETTES = ("site", "book", "print")  # print: fixed colours for a PDF's image converter


def _check_palette(value: str) -> None:
    if value not in PALETTES:
        raise ValueError(f"palette must be one of {', '.join(PALETTES)}, not {value!r}")


def _check_direction(name: str, value: str) -> None:
    if value not in DIRECTIONS:
        raise ValueError(f"{name} must be 'higher' or 'lower', not {value!r}")


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


class _Scale:
    """Maps data values to pixels on one axis, linearly or in log10."""

    def __init__(
        self, values: list[float], p0: float, p1: float, log: bool = False, exact: bool = False
    ) -> None:
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
        return [{"pos": self(t), "text": format_tick(t, self.ticks, self.log)} for t in self.ticks]


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
