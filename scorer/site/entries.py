"""What an entry's own page (``entries/<team>/<event>/``) and the compare page show.

Like the Benchmarks Game's program pages: ``entry_view`` gathers, from the entry's record and
submission.json, its description and techniques, each metric's samples and spread, the
baseline measured in the same job with the speed-up's interval, per-phase times, flags and
review state, weights provenance, the machine and software, dataset hashes, the code at the
measured commit, its history and the commands that reproduce it. ``templates/pages/entry.md.j2``
lays it out; everything stays plain values here and is escaped by the page environment.

``compare_json`` is the data of every entry for ``compare/``: one JSON document embedded in
``<script type="application/json" id="tmlp-compare-data">`` (``<``, ``>`` and ``&`` written as
``\\u003c`` etc., so no text can close the script), which the browser side's script reads.
"""

from __future__ import annotations

import json

from markupsafe import Markup

from scorer.contract import review as review_gate
from scorer.contract.events import entry_path
from scorer.leaderboard.badges import beats_baseline
from scorer.leaderboard.ranking import KINDS, Board, Entry, speedup_interval
from scorer.site import fmt
from scorer.site.model import SiteModel, code_url, ranking_text

KIND_WORDS = {"speed": "speed", "memory": "memory", "efficiency": "efficiency"}


def _metric_row(label: str, block: dict, text) -> dict:
    samples = [s for s in block.get("samples") or [] if fmt.finite(s)]
    spread = block.get("spread")
    return {
        "label": label,
        "median": text(block.get("median")),
        "min": text(block.get("min")),
        "max": text(block.get("max")),
        "spread": f"{spread * 100:.1f}%" if fmt.finite(spread) else fmt.DASH,
        "samples": ", ".join(text(s) for s in samples) or fmt.DASH,
        "n": len(samples),
    }


def _flat(value: object) -> str:
    """A small JSON value as one line of text (isolation settings, provenance figures)."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def review_state(e: Entry, record: dict) -> str:
    flagged = review_gate.review_flags(record)
    if e.review:
        return f"{review_gate.AWAITING}: flagged ({', '.join(e.review)}), not ranked until approved"
    if flagged:
        return f"flagged ({', '.join(flagged)}) and approved by a maintainer in reviews.yml"
    return "no review needed (no answer-table flag)"


def places(board: Board, e: Entry) -> list[dict]:
    out = []
    for kind in KINDS:
        r = board.rank_of(kind, e.team)
        if r and r.entry is e:
            out.append(
                {
                    "kind": KIND_WORDS[kind],
                    "rank": r.rank,
                    "of": len(board.qualified),
                    "value": ranking_text(board, kind, r.value),
                    "tied": r.tied_within_noise,
                    "beats": beats_baseline(board, kind, r),
                }
            )
    return out


def entry_view(model: SiteModel, board: Board, e: Entry) -> dict:
    """Everything the entry page shows, as text (escaped later by the page environment)."""
    ev, rec = board.event, e.record
    meta = model.teams[e.team].about.get(e.event, {}) if e.team in model.teams else {}
    measured = fmt.measured(e.status)
    q, s, m = rec.get("quality") or {}, rec.get("speed") or {}, rec.get("memory") or {}
    metrics = []
    if measured:
        metrics = [
            _metric_row(ev.quality.label, q, lambda v: fmt.quality_text(v, ev.quality.unit)),
            _metric_row(
                f"{ev.speed.label} ({ev.speed.unit})", s, lambda v: fmt.speed_text(v, ev.speed.unit)
            ),
            _metric_row("Peak memory (MiB)", m, fmt.memory_text),
        ]
    base = rec.get("baseline") or {}
    interval = base.get("speedup_interval") if isinstance(base, dict) else None
    baseline = None
    if base and measured:
        baseline = {
            "speed": fmt.speed_text(base.get("speed_median"), ev.speed.unit),
            "memory": fmt.memory_text(base.get("memory_median")),
            "speedup": fmt.speedup_text(base.get("speedup")),
            "memory_ratio": fmt.memory_ratio_text(base.get("memory_ratio")),
            "interval": fmt.interval_text((interval["low"], interval["high"]), True)
            if isinstance(interval, dict)
            else fmt.interval_text(speedup_interval(e), False) or "not measured (one round)",
            "method": interval.get("method", "")
            if isinstance(interval, dict)
            else "from the slowest and fastest repeats; this record has no 95% interval",
        }
    phases = [(name, fmt.seconds_text(v)) for name, v in sorted((rec.get("phases") or {}).items())]
    env = rec.get("environment") or {}
    machine = [
        (label, _flat(env[key]))
        for key, label in (
            ("cpu", "CPU"),
            ("cores", "Cores"),
            ("threads", "BLAS threads"),
            ("python", "Python"),
            ("numpy", "NumPy"),
            ("blas", "BLAS"),
            ("os", "OS"),
            ("isolation", "Isolation"),
            ("machine", "Runner"),
        )
        if key in env
    ]
    prov = rec.get("provenance")
    history = [
        {
            "date": fmt.date_text(h.get("finished_at"), with_time=True),
            "status": fmt.status_text(str(h.get("status", ""))),
            "quality": fmt.quality_text(h.get("quality"), ev.quality.unit)
            if h.get("status") in fmt.MEASURED
            else fmt.DASH,
            "speedup": fmt.speedup_text(h.get("speedup"))
            if h.get("status") in fmt.MEASURED
            else fmt.DASH,
            "memory_ratio": fmt.memory_ratio_text(h.get("memory_ratio"))
            if h.get("status") in fmt.MEASURED
            else fmt.DASH,
            "content": "this content"
            if h.get("content_hash") == (rec.get("submission") or {}).get("content_hash")
            else "earlier content",
            "scorer": str(h.get("scorer_version", "")),
        }
        for h in reversed(e.history)
    ]
    folder = entry_path(e.team, e.event)
    commands = [f"git checkout {e.commit}"] if e.commit and code_url("x", e) else []
    commands.append(f"tinymlperf run --event {e.event} --team {e.team}")
    if ev.loads_weights:
        commands.append(f"tinymlperf reproduce --submission {folder}")
    return {
        "team_name": model.teams[e.team].name if e.team in model.teams else e.team,
        "status": fmt.status_text(e.shown_status),
        "status_code": e.status,
        "reason": e.reason,
        "measured": measured,
        "measured_at": fmt.date_text(e.measured_at, with_time=True),
        "scored_at": fmt.date_text(e.finished_at, True),
        "description": str(meta.get("description") or ""),
        "techniques": [str(t) for t in meta.get("techniques") or ()],
        "license": str(meta.get("license") or ""),
        "places": places(board, e),
        "metrics": metrics,
        "baseline": baseline,
        "repeats": rec.get("repeats"),
        "phases": phases,
        "cpu": [
            (k, fmt.seconds_text(v))
            for k, v in sorted((rec.get("cpu") or {}).items())
            if k != "method"
        ],
        "flags": [str(f) for f in rec.get("flags") or ()],
        "review": review_state(e, rec),
        "provenance": fmt.provenance_text(prov),
        "provenance_details": [(str(k), _flat(v)) for k, v in sorted(prov.items()) if k != "status"]
        if isinstance(prov, dict)
        else [],
        "weights": ev.loads_weights,
        "machine": machine,
        "scorer_version": str(rec.get("scorer_version", "")),
        "datasets": sorted((rec.get("datasets") or {}).items()),
        "content_hash": str((rec.get("submission") or {}).get("content_hash", "")),
        "commit": e.commit or "",
        "code_url": code_url(model.repo_url, e),
        "history": history,
        "commands": commands,
        "badges": model.event_badges.get((e.team, e.event), []),
    }


def all_entries(model: SiteModel) -> list[tuple[Board, Entry]]:
    out = []
    for board in model.boards.values():
        ref = [board.reference] if board.reference else []
        out += [(board, e) for e in [*ref, *board.qualified, *board.unranked]]
    return out


def compare_json(model: SiteModel) -> Markup:
    """Every entry's key figures, as shown, for the compare view, script-safe. Raw numbers
    stay in leaderboard.json: the page only shows text, and at 3,000 entries size counts."""
    rows = []
    for board, e in all_entries(model):
        ev, ok = board.event, fmt.measured(e.status)
        speed = board.rank_of("speed", e.team)
        rows.append(
            {
                "id": f"{e.team}/{e.event}",
                "team": e.team,
                "team_name": model.teams[e.team].name if e.team in model.teams else e.team,
                "event": e.event,
                "event_name": ev.name,
                "title": e.title,
                "status": e.status,
                "status_text": fmt.status_text(e.shown_status),
                "rank": speed.rank if speed and speed.entry is e else None,
                "url": f"../entries/{e.team}/{e.event}/",
                "text": {
                    ev.quality.label: fmt.quality_text(e.quality, ev.quality.unit)
                    if ok
                    else fmt.DASH,
                    f"{ev.speed.label} ({ev.speed.unit})": fmt.speed_text(e.speed, ev.speed.unit)
                    if ok
                    else fmt.DASH,
                    "Peak memory": fmt.memory_text(e.memory) if ok else fmt.DASH,
                    "Speed-up": fmt.speedup_text(e.speedup) if ok else fmt.DASH,
                    "Memory ratio": fmt.memory_ratio_text(e.memory_ratio) if ok else fmt.DASH,
                    "Efficiency": fmt.efficiency_text(e.efficiency) if ok else fmt.DASH,
                    "Measured": fmt.date_text(e.measured_at),
                },
            }
        )
    # ASCII only: bidi controls and zero-width characters of team names travel as \\u escapes.
    text = json.dumps(
        {"entries": rows}, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    for ch, ref in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(ch, ref)
    return Markup(text)  # noqa: S704 - JSON with every character that could end the script escaped
