"""Entries, their order and the categories: the rankings, computed from result records.

Pure functions over plain data: nothing here reads files or renders anything, so every rule of
the leaderboard is tested table-driven in ``tests/test_ranking.py``. Badges earned and beating
the baseline are ``scorer.leaderboard.badges``; record history is ``scorer.leaderboard.records``.
The rules (also shown on the site's event and category pages):

* Only qualified entries (record status ``ok``) are ranked; the rest are listed apart. An entry
  flagged as a possible answer table is "awaiting review" and not ranked until reviews.yml
  approves its exact content hash (``scorer.contract.review``).
* Speed ranks by ``baseline.speedup`` (higher is better). When any qualified entry of an event
  lacks a baseline ratio, the whole event falls back to the absolute speed median in the
  metric's own direction, so every entry of one table is compared on the same scale.
* Memory ranks by ``baseline.memory_ratio`` (lower is better), with the same fallback to MiB.
* Efficiency = quality_score * speedup / memory_ratio, where quality_score is
  quality / threshold for higher-is-better quality (accuracy) and threshold / quality for
  lower-is-better quality (perplexity). Entries without both ratios have no efficiency.
* Overall tables (Speed Champions, Memory Masters, Efficiency Leaders) use the geometric mean
  over *all* events; an event a team has no qualified ratio in counts as 1.0, the baseline's own
  value, so entering only one event neither helps nor hurts beyond that event.
* When an entry was measured: the earliest ``finished_at`` in the record's history whose
  content hash is the record's current one, else the record's own ``finished_at``. The
  team-written ``created`` date is never used (anyone can backdate it).
* Equal values: the entry measured first (as above), then the team id. An entry whose interval
  overlaps the interval of the entry directly above it is marked "tied within noise". The
  interval of a speed-up is the record's 95% ``baseline.speedup_interval`` when it has one,
  else the range from the slowest to the fastest repeat, as a ratio (memory and efficiency
  always use the repeats' range).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from scorer.contract import review as review_gate
from scorer.contract.events import BASELINE_TEAM, EVENTS, NOT_REPRODUCED, Event

KINDS = ("speed", "memory", "efficiency")


@dataclass(frozen=True)
class Entry:
    """One team's scored entry in one event, flattened from its record and submission.json."""

    team: str
    event: str
    team_name: str
    title: str
    status: str
    reason: str
    quality: float | None
    speed: float | None
    memory: float | None
    speedup: float | None
    memory_ratio: float | None
    speed_range: tuple[float, float] | None
    memory_range: tuple[float, float] | None
    created: str
    finished_at: str
    commit: str | None
    history: tuple[dict, ...] = field(default=(), compare=False, repr=False)
    review: tuple[str, ...] = ()  # review flags not yet approved: the entry awaits review
    measured_at: str = ""  # when the scorer first measured the current content (see docstring)
    speedup_interval: tuple[float, float] | None = None  # baseline.speedup_interval, 95%
    record: Mapping = field(default_factory=dict, compare=False, repr=False)  # for entry pages
    provenance: str = ""  # the record's provenance.status; "not_reproduced" is not ranked

    @property
    def qualified(self) -> bool:
        return self.status == "ok" and not self.review and self.provenance != NOT_REPRODUCED

    @property
    def shown_status(self) -> str:
        """The status as the tables show it: "awaiting review" for a held entry, "not
        reproduced" for one whose weights train.py did not reproduce."""
        if self.review:
            return review_gate.AWAITING
        return "not reproduced" if self.provenance == NOT_REPRODUCED else self.status

    @property
    def efficiency(self) -> float | None:
        return efficiency(EVENTS[self.event], self.quality, self.speedup, self.memory_ratio)

    @property
    def order_key(self) -> tuple[str, str]:
        """The tie-break: measured first, then team id (never the team-written ``created``)."""
        return (self.measured_at or self.finished_at or "9999", self.team)


def _range(block: Mapping) -> tuple[float, float] | None:
    samples = [s for s in block.get("samples") or [] if s is not None]
    lo = block.get("min", min(samples) if samples else None)
    hi = block.get("max", max(samples) if samples else None)
    if lo is None or hi is None:
        med = block.get("median")
        return None if med is None else (med, med)
    return (float(lo), float(hi))


def first_measured(record: Mapping) -> str:
    """The earliest ``finished_at`` of the record's current content hash (see the docstring)."""
    current = (record.get("submission") or {}).get("content_hash")
    stamps = [
        h.get("finished_at")
        for h in record.get("history") or ()
        if current and h.get("content_hash") == current and h.get("finished_at")
    ]
    own = record.get("finished_at") or ""
    return min([*stamps, own] if own else stamps, default="")


def _interval(base: Mapping) -> tuple[float, float] | None:
    block = base.get("speedup_interval")
    if not isinstance(block, Mapping):
        return None
    lo, hi = block.get("low"), block.get("high")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (lo, hi)):
        return None
    return (float(min(lo, hi)), float(max(lo, hi)))


def entry_from_record(
    record: Mapping,
    meta: Mapping | None = None,
    approved: frozenset[tuple[str, str, str]] = frozenset(),
) -> Entry:
    """Flatten a result record (and the entry's submission.json, when readable) into an Entry.

    ``approved`` holds the (team, event, content_hash) approvals of reviews.yml: a record with
    review flags and no approval of its content hash is held back from the rankings.
    """
    meta = meta or {}
    held = tuple(review_gate.awaiting(record, approved))
    sub = record.get("submission") or {}
    base = record.get("baseline") or {}
    team_meta = meta.get("team") or {}
    return Entry(
        team=record["team"],
        event=record["event"],
        team_name=str(team_meta.get("name") or record["team"]),
        title=str(meta.get("title") or sub.get("title") or ""),
        status=record["status"],
        reason=review_gate.reason(record, list(held)) if held else record.get("reason") or "",
        quality=record["quality"].get("median"),
        speed=record["speed"].get("median"),
        memory=record["memory"].get("median"),
        speedup=base.get("speedup"),
        memory_ratio=base.get("memory_ratio"),
        speed_range=_range(record["speed"]),
        memory_range=_range(record["memory"]),
        created=str(meta.get("created") or sub.get("created") or ""),
        finished_at=record.get("finished_at") or "",
        commit=sub.get("commit"),
        history=tuple(record.get("history") or ()),
        review=held,
        provenance=str((record.get("provenance") or {}).get("status") or ""),
        measured_at=first_measured(record),
        speedup_interval=_interval(base),
        record=record,
    )


def quality_score(event: Event, quality: float | None) -> float | None:
    """How far past the threshold: above 1 is better than required, in either direction."""
    if quality is None or quality <= 0:
        return None
    if event.quality.direction == "higher":
        return quality / event.threshold
    return event.threshold / quality


def efficiency(event: Event, quality, speedup, memory_ratio) -> float | None:
    q = quality_score(event, quality)
    if q is None or speedup is None or not memory_ratio:
        return None
    return q * speedup / memory_ratio


@dataclass(frozen=True)
class Ranked:
    rank: int
    entry: Entry
    value: float
    tied_within_noise: bool


@dataclass
class Board:
    """An event's leaderboard: the three rankings plus the entries that were not ranked."""

    event: Event
    speed_basis: str  # "speedup" or "absolute"
    memory_basis: str  # "memory_ratio" or "absolute"
    speed: list[Ranked]
    memory: list[Ranked]
    efficiency: list[Ranked]
    unranked: list[Entry]
    reference: Entry | None
    qualified: list[Entry]

    def rank_of(self, kind: str, team: str) -> Ranked | None:
        return self.ranks(kind).get(team)

    def ranks(self, kind: str) -> dict[str, Ranked]:
        """Team id -> its place in one ranking (built once: pages ask for it per row)."""
        index = self.__dict__.setdefault("_index", {})
        if kind not in index:
            index[kind] = {r.entry.team: r for r in getattr(self, kind)}
        return index[kind]


def _speed_value(e: Entry, basis: str):
    """(value, noise interval) of an entry on the speed scale; intervals scale with the ratio."""
    if basis == "absolute":
        return e.speed, e.speed_range
    if e.speedup is None:
        return None, None
    if e.speedup_interval is not None:
        return e.speedup, e.speedup_interval
    lo, hi = e.speed_range or (e.speed, e.speed)
    if not e.speed or not lo or not hi:
        return e.speedup, (e.speedup, e.speedup)
    if EVENTS[e.event].speed.direction == "lower":  # speedup = baseline / time
        return e.speedup, (e.speedup * e.speed / hi, e.speedup * e.speed / lo)
    return e.speedup, (e.speedup * lo / e.speed, e.speedup * hi / e.speed)


def speedup_interval(e: Entry) -> tuple[float, float] | None:
    """The interval ties use for an entry's speed-up: its 95% interval, else the repeats'
    range as a ratio (see the docstring); None without a speed-up."""
    return _speed_value(e, "speedup")[1] if e.speedup is not None else None


def _memory_value(e: Entry, basis: str):
    if basis == "absolute":
        return e.memory, e.memory_range
    if e.memory_ratio is None:
        return None, None
    lo, hi = e.memory_range or (e.memory, e.memory)
    if not e.memory or lo is None or hi is None:
        return e.memory_ratio, (e.memory_ratio, e.memory_ratio)
    return e.memory_ratio, (e.memory_ratio * lo / e.memory, e.memory_ratio * hi / e.memory)


def _efficiency_value(e: Entry, basis: str):
    value = e.efficiency
    if value is None:
        return None, None
    _, s = _speed_value(e, "speedup")
    _, m = _memory_value(e, "memory_ratio")
    q = quality_score(EVENTS[e.event], e.quality)
    if not s or not m or not m[0]:
        return value, (value, value)
    return value, (q * s[0] / m[1], q * s[1] / m[0])


def rank(
    entries: Iterable[Entry],
    value_of: Callable[[Entry], tuple[float | None, tuple[float, float] | None]],
    higher_is_better: bool,
) -> list[Ranked]:
    """Rank entries by ``value_of``; entries without a value are left out. Deterministic."""
    scored = []
    for e in entries:
        value, interval = value_of(e)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        scored.append((value, interval or (value, value), e))
    scored.sort(key=lambda t: ((-t[0] if higher_is_better else t[0]), t[2].order_key))
    out: list[Ranked] = []
    for i, (value, (lo, hi), e) in enumerate(scored):
        tied = False
        if i:
            _, (plo, phi), _ = scored[i - 1]
            tied = lo <= phi and plo <= hi
        out.append(Ranked(rank=i + 1, entry=e, value=value, tied_within_noise=tied))
    return out


def best_per_team(entries: Iterable[Entry], basis: str) -> list[Entry]:
    """A team's best qualified entry per event counts (by the speed ranking value)."""
    best: dict[tuple[str, str], Entry] = {}
    for e in entries:
        key = (e.team, e.event)
        if key not in best:
            best[key] = e
            continue
        ranked = rank(
            [best[key], e], lambda x: _speed_value(x, basis), speed_higher(EVENTS[e.event], basis)
        )
        if ranked:
            best[key] = ranked[0].entry
    return [best[k] for k in sorted(best)]


def speed_higher(event: Event, basis: str) -> bool:
    return True if basis == "speedup" else event.speed.direction == "higher"


def build_board(event: Event, entries: Iterable[Entry]) -> Board:
    """The leaderboard of one event from all of its entries (any status, any team)."""
    entries = [e for e in entries if e.event == event.id]
    reference = next((e for e in entries if e.team == BASELINE_TEAM), None)
    contenders = [e for e in entries if e.team != BASELINE_TEAM]
    qualified_all = [e for e in contenders if e.qualified]
    speed_basis = "speedup" if all(e.speedup is not None for e in qualified_all) else "absolute"
    memory_basis = (
        "memory_ratio" if all(e.memory_ratio is not None for e in qualified_all) else "absolute"
    )
    qualified = best_per_team(qualified_all, speed_basis)
    ranked_teams = {e.team for e in qualified}
    unranked = sorted(
        (e for e in contenders if not e.qualified and e.team not in ranked_teams),
        key=lambda e: (e.team, e.order_key),
    )
    return Board(
        event=event,
        speed_basis=speed_basis,
        memory_basis=memory_basis,
        speed=rank(
            qualified, lambda e: _speed_value(e, speed_basis), speed_higher(event, speed_basis)
        ),
        memory=rank(qualified, lambda e: _memory_value(e, memory_basis), False),
        efficiency=rank(qualified, lambda e: _efficiency_value(e, ""), True),
        unranked=unranked,
        reference=reference,
        qualified=qualified,
    )


def build_boards(entries: Iterable[Entry]) -> dict[str, Board]:
    entries = list(entries)
    return {eid: build_board(ev, entries) for eid, ev in EVENTS.items()}


@dataclass(frozen=True)
class OverallRow:
    rank: int
    team: str
    value: float
    per_event: dict[str, float | None]


def overall(boards: Mapping[str, Board], kind: str) -> list[OverallRow]:
    """Geometric mean over every event of a ranking's ratio; a missing event counts as 1.0."""
    attr = {"speed": "speedup", "memory": "memory_ratio", "efficiency": "efficiency"}[kind]
    per_team: dict[str, dict[str, float | None]] = {}
    first: dict[str, tuple] = {}
    for eid, board in boards.items():
        for e in board.qualified:
            v = getattr(e, attr)
            per_team.setdefault(e.team, {})[eid] = v if v and v > 0 else None
            first[e.team] = min(first.get(e.team, e.order_key), e.order_key)
    rows = []
    for team, vals in per_team.items():
        logs = [math.log(vals.get(eid) or 1.0) for eid in boards]
        value = math.exp(sum(logs) / len(logs)) if logs else 1.0
        rows.append((value, team, {eid: vals.get(eid) for eid in boards}))
    lower = kind == "memory"
    rows.sort(key=lambda t: ((t[0] if lower else -t[0]), first[t[1]]))
    return [OverallRow(i + 1, team, value, per) for i, (value, team, per) in enumerate(rows)]
