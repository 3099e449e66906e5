"""Progress lines and summary tables for long scoring work, on standard error.

Every line says what is happening, how far along it is and the elapsed time, so a CI log
reads like a story; rich draws the final summary table (and colours it in a terminal).
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.table import Table


class Progress:
    def __init__(self, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.started = time.monotonic()

    def _line(self, text: str) -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            # Submitted names are shown as text, never as rich markup.
            self.console.print(f"[dim]{elapsed:7.1f}s[/dim] {escape(text)}")

    def note(self, text: str) -> None:
        self._line(text)

    def step(self, name: str, where: str, which: str) -> None:
        self._line(f"{name} · {where} · {which} ...")

    def result(self, name: str, outcome, memory_mib: float | None, event) -> None:
        if outcome.status != "ok":
            self._line(f"{name} · {outcome.status}: {outcome.reason}")
            return
        parts = (
            ["timed calls only"]
            if outcome.quality is None
            else [f"{event.quality.key} {outcome.quality:.4g}"]
        )
        if outcome.speed is not None:
            parts.append(f"{event.speed.key} {outcome.speed:.4g} {event.speed.unit}")
        if memory_mib is not None:
            parts.append(f"peak {memory_mib:.0f} MiB")
        self._line(f"{name} · " + ", ".join(parts))

    def summary(self, rows: list[dict], title: str = "Summary") -> None:
        """One row per record: entry, status, quality, speed, memory, ratios, rank."""
        table = Table(title=title, show_lines=False)
        for col in ("entry", "status", "quality", "speed", "memory", "vs baseline", "rank"):
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(
                *(
                    escape(str(row.get(c, "")))
                    for c in (
                        "entry",
                        "status",
                        "quality",
                        "speed",
                        "memory",
                        "vs baseline",
                        "rank",
                    )
                )
            )
        self.console.print(table)
