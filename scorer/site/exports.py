"""Machine-readable exports of the leaderboard: data/leaderboard.json, data/leaderboard.csv and
the Atom feed feed.xml of new records.

``export_files(model)`` returns ``{relative path: text}``; ``scorer.site.build`` writes them into the
site next to the pages (the raw result records are copied beside them, under data/results/).
leaderboard.json follows scorer/contract/schemas/leaderboard.schema.json (published at /schemas/) and
holds every entry, ranked or not, where the event pages show only the top 100.
"""

from __future__ import annotations

import csv
import io
import json
import re
from xml.sax.saxutils import escape

from scorer.contract.events import EVENTS
from scorer.leaderboard.ranking import Entry
from scorer.site import fmt as site_format
from scorer.site.model import SiteModel, code_url, ranking_text

SCHEMA_ID = "https://tinymlperf.github.io/leaderboard/schemas/leaderboard.schema.json"
FEED_ITEMS = 50
EPOCH = "1970-01-01T00:00:00Z"  # "updated" of an empty feed: the build adds no clock of its own
# Characters XML 1.0 cannot hold at all; a team name could still carry them in JSON.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CSV_COLUMNS = (
    "event",
    "team",
    "team_name",
    "title",
    "status",
    "reason",
    "qualified",
    "speed_rank",
    "memory_rank",
    "efficiency_rank",
    "tied_within_noise",
    "quality",
    "quality_unit",
    "threshold",
    "speed",
    "speed_unit",
    "memory",
    "memory_unit",
    "speedup",
    "speedup_low",
    "speedup_high",
    "memory_ratio",
    "efficiency",
    "baseline_quality",
    "baseline_speed",
    "baseline_memory",
    "provenance",
    "cpu",
    "cores",
    "python",
    "numpy",
    "blas",
    "scorer_version",
    "measured_at",
    "created",
    "finished_at",
    "commit",
    "code_url",
    "entry_url",
    "record_url",
)
ENV_COLUMNS = ("cpu", "cores", "python", "numpy", "blas")


def export_files(model: SiteModel) -> dict[str, str]:
    board = leaderboard(model)
    return {
        # Compact: with indent, json falls back to its pure-Python encoder (3x slower at 10 MB).
        "data/leaderboard.json": json.dumps(
            board, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
        + "\n",
        "data/leaderboard.csv": leaderboard_csv(model, board),
        "feed.xml": atom_feed(model),
    }


def _interval(e: Entry) -> dict | None:
    block = (e.record.get("baseline") or {}).get("speedup_interval")
    if e.speedup_interval is None or not isinstance(block, dict):
        return None
    return {
        "low": e.speedup_interval[0],
        "high": e.speedup_interval[1],
        "level": block.get("level", 0.95),
        "method": str(block.get("method", "")),
    }


def _provenance(e: Entry) -> str | None:
    if not EVENTS[e.event].loads_weights:
        return None
    return site_format.provenance_code(e.record.get("provenance"))


def _entry_row(model: SiteModel, e: Entry, ranks: dict[str, dict]) -> dict:
    speed, memory, eff = (ranks[k].get(e.team) for k in ("speed", "memory", "efficiency"))
    return {
        "team": e.team,
        "team_name": model.teams[e.team].name if e.team in model.teams else e.team,
        "title": e.title,
        "status": e.status,
        "reason": e.reason,
        "qualified": e.qualified,
        "speed_rank": speed.rank if speed else None,
        "memory_rank": memory.rank if memory else None,
        "efficiency_rank": eff.rank if eff else None,
        "tied_within_noise": bool(speed and speed.tied_within_noise),
        "quality": e.quality,
        "speed": e.speed,
        "memory": e.memory,
        "speedup": e.speedup,
        "memory_ratio": e.memory_ratio,
        "efficiency": e.efficiency,
        "badges": list(model.event_badges.get((e.team, e.event), [])),
        "created": e.created or None,
        "finished_at": e.finished_at,
        "commit": e.commit,
        "code_url": code_url(model.repo_url, e),
        "record_url": f"{model.site_url}data/results/{e.team}/{e.event}.json",
        "measured_at": e.measured_at or e.finished_at,
        "speedup_interval": _interval(e),
        "provenance": _provenance(e),
        "environment": dict(e.record.get("environment") or {}),
        "scorer_version": str(e.record.get("scorer_version", "")),
        "entry_url": f"{model.site_url}entries/{e.team}/{e.event}/",
    }


def _baseline(board) -> dict | None:
    ref = board.reference
    if ref is None:
        return None
    return {
        "team": ref.team,
        "status": ref.status,
        "quality": ref.quality,
        "speed": ref.speed,
        "memory": ref.memory,
        "finished_at": ref.finished_at,
    }


def leaderboard(model: SiteModel) -> dict:
    """The whole leaderboard as one JSON document (see leaderboard.schema.json)."""
    events = []
    for eid, b in model.boards.items():
        ranks = {k: b.ranks(k) for k in ("speed", "memory", "efficiency")}
        ordered = [r.entry for r in b.speed]
        seen = {e.team for e in ordered}
        ordered += [e for e in b.qualified if e.team not in seen] + b.unranked
        ev = b.event
        events.append(
            {
                "id": eid,
                "name": ev.name,
                "quality_metric": ev.quality.key,
                "quality_direction": ev.quality.direction,
                "threshold": ev.threshold,
                "speed_metric": ev.speed.key,
                "speed_unit": ev.speed.unit,
                "speed_direction": ev.speed.direction,
                "speed_basis": b.speed_basis,
                "memory_basis": b.memory_basis,
                "quality_unit": ev.quality.unit,
                "memory_metric": ev.memory.key,
                "memory_unit": ev.memory.unit,
                "baseline": _baseline(b),
                "entries": [_entry_row(model, e, ranks) for e in ordered],
            }
        )
    return {
        "$schema": SCHEMA_ID,
        "schema_version": 1,
        "site_url": model.site_url,
        "updated": _updated(model),
        "events": events,
        "overall": {
            kind: [
                {"rank": r.rank, "team": r.team, "value": r.value, "per_event": dict(r.per_event)}
                for r in rows
            ]
            for kind, rows in model.overall.items()
        },
        "awards": [
            {
                "team": a["team"],
                "event": a["event"],
                "title": a["title"],
                "citation": a["citation"],
                "date": a["date"],
                "judges": list(a.get("judges", [])),
            }
            for a in model.awards
        ],
    }


def _updated(model: SiteModel) -> str:
    """The newest record's finished_at (every page's "last updated"), never the build's clock."""
    return model.updated or EPOCH


def _csv_safe(value: object) -> object:
    """Keep spreadsheet programs from reading a team's text as a formula; booleans as
    ``true``/``false`` (as in the JSON), missing values empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def leaderboard_csv(model: SiteModel, board: dict | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for event in (board or leaderboard(model))["events"]:
        base = event["baseline"] or {}
        per_event = {
            "event": event["id"],
            "quality_unit": event["quality_unit"],
            "threshold": event["threshold"],
            "speed_unit": event["speed_unit"],
            "memory_unit": event["memory_unit"],
            "baseline_quality": base.get("quality"),
            "baseline_speed": base.get("speed"),
            "baseline_memory": base.get("memory"),
        }
        for row in event["entries"]:
            interval = row["speedup_interval"] or {}
            env = row["environment"]
            row = {
                **row,
                **per_event,
                "speedup_low": interval.get("low"),
                "speedup_high": interval.get("high"),
                **{k: env.get(k) for k in ENV_COLUMNS},
            }
            writer.writerow([_csv_safe(row[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def _xml(text: object) -> str:
    return escape(_XML_INVALID.sub("\ufffd", str(text)), {'"': "&quot;"})


def atom_feed(model: SiteModel) -> str:
    """An Atom 1.0 feed with one entry per fallen record, newest first."""
    falls = sorted(model.falls, key=lambda f: (f.at, f.event, f.kind, f.team), reverse=True)
    falls = falls[:FEED_ITEMS]
    site = model.site_url
    updated = model.updated or (falls[0].at if falls else EPOCH)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        "  <title>TinyMLPerf: new records</title>",
        f"  <id>{_xml(site)}feed.xml</id>",
        f'  <link rel="self" href="{_xml(site)}feed.xml"/>',
        f'  <link href="{_xml(site)}records/"/>',
        f"  <updated>{_xml(updated)}</updated>",
        "  <author><name>TinyMLPerf scorer</name></author>",
    ]
    for f in falls:
        board = model.boards[f.event]
        name = model.teams[f.team].name if f.team in model.teams else f.team
        value = ranking_text(board, f.kind, f.value)
        title = f"{board.event.name}: new {f.kind} record by {name} ({value})"
        summary = f"{name} ({f.team}) set a {f.kind} record of {value} in {board.event.name}"
        if f.previous_value is not None:
            summary += f", beating {ranking_text(board, f.kind, f.previous_value)}"
        lines += [
            "  <entry>",
            f"    <title>{_xml(title)}</title>",
            f"    <id>tag:tinymlperf.github.io,{_xml(f.at[:10])}:"
            f"{_xml(f.event)}/{_xml(f.kind)}/{_xml(f.team)}/{_xml(f.at)}</id>",
            f'    <link href="{_xml(site)}entries/{_xml(f.team)}/{_xml(f.event)}/"/>',
            f"    <updated>{_xml(f.at)}</updated>",
            f"    <summary>{_xml(summary)}.</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"
