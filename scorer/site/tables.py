"""The site's ranking-like tables as raw HTML, following the markup contract with the browser side.

Every table is ``<div class="tmlp-scroll"><table class="tmlp-table" data-table="board|unranked|
overall|teams|records" data-event="...">`` (tables across events add ``data-labels``, event id to
name as JSON); headings carry ``scope="col"``, ``data-priority`` (1 = rank, team and the ranked
column, kept on a phone; 2 = other key figures; 3 = the rest) and ``data-sort``; rows carry
``data-team``, ``data-status`` (the code), ``data-techniques`` and ``data-event``; numeric cells
carry ``data-value`` (a number or empty) for sorting. Every row is in the HTML: tables.js pages,
filters and sorts them; without JavaScript all of them show.

Raw HTML is not Markdown-processed: links are final URLs relative to the page (``url_root``);
cell text passes ``scorer.text.md_text``, attribute values and URLs ``attr`` and ``href``.
"""

from __future__ import annotations

import calendar
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup

from scorer.contract.events import EVENTS
from scorer.leaderboard.badges import beats_baseline
from scorer.leaderboard.ranking import Board, Entry, speedup_interval
from scorer.site import badges as badge_svg
from scorer.site import fmt
from scorer.site.model import SiteModel, code_url, ranking_text
from scorer.text import attr, md_text

_STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})")


@dataclass(frozen=True)
class Col:
    title: str
    priority: int  # 1, 2 or 3
    sort: str = "text"  # "number", "text" or "none"


def url_root(path: str) -> str:
    """From the page made of ``path`` (``events/x.md`` -> ``events/x/``) up to the site root."""
    parts = path[:-3].split("/")
    depth = len(parts) - 1 if parts[-1] == "index" else len(parts)
    return "../" * depth


def href(url: str) -> str:
    """A URL for an attribute: percent-quoted, then HTML-escaped (raw HTML is not Markdown)."""
    return html.escape(quote(url, safe="/:#.-_~"), quote=True)


def a(text: object, url: str | None, limit: int | None = None, cls: str = "") -> Markup:
    if not url:
        return md_text(text, limit) if text else Markup(fmt.DASH)
    klass = f' class="{cls}"' if cls else ""
    return Markup(f'<a href="{href(url)}"{klass}>{md_text(text, limit)}</a>')


def stamp_value(stamp: str) -> str:
    """A sortable number for an ISO stamp (seconds since 1970), or empty."""
    m = _STAMP.match(stamp or "")
    if not m:
        return ""
    try:
        return str(calendar.timegm(tuple(int(g) for g in m.groups()) + (0, 0, 0)))
    except (ValueError, OverflowError):
        return ""


def num_value(value: object) -> str:
    return repr(float(value)) if fmt.finite(value) else ""


def td(content: object, value: str | None = None) -> str:
    text = content if isinstance(content, Markup) else md_text(content)
    if value is None:
        return f"<td>{text}</td>"
    return f'<td data-value="{value}">{text}</td>'


def table(
    kind: str,
    event: str,
    cols: Sequence[Col],
    rows: Iterable[tuple[dict, list[str]]],
    caption: str = "",
) -> Markup:
    """The contract's wrapper, heading and rows; ``rows`` are (data attributes, cells)."""
    names = "" if event else json.dumps({e.id: e.name for e in EVENTS.values()}, sort_keys=True)
    out = [
        f'<div class="tmlp-scroll"><table class="tmlp-table" data-table="{kind}" '
        f'data-event="{attr(event)}"' + (f' data-labels="{attr(names)}"' if names else "") + ">"
    ]
    if caption:
        out.append(f"<caption>{md_text(caption)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(
            f'<th scope="col" data-priority="{c.priority}" data-sort="{c.sort}">{md_text(c.title)}</th>'
            for c in cols
        )
        + "</tr></thead>"
    )
    out.append("<tbody>")
    for attrs, cells in rows:
        data = "".join(f' data-{k}="{attr(v)}"' for k, v in attrs.items())
        out.append(f"<tr{data}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return Markup("\n".join(out))


def team_name(model: SiteModel, team: str) -> str:
    return model.teams[team].name if team in model.teams else team


def techniques(model: SiteModel, e: Entry) -> str:
    meta = model.teams[e.team].about.get(e.event, {}) if e.team in model.teams else {}
    slugs = []
    for t in meta.get("techniques") or ():
        slug = re.sub(r"[^a-z0-9-]+", "-", str(t).split(":", 1)[0].lower()).strip("-")
        if slug and slug not in slugs:
            slugs.append(slug)
    return " ".join(slugs)


def row_attrs(model: SiteModel, e: Entry) -> dict:
    # The code the filters use: the record status, or why a status-ok entry is held back.
    code = (
        "awaiting_review"
        if e.review
        else ("not_reproduced" if e.shown_status != e.status else e.status)
    )
    return {"team": e.team, "status": code, "techniques": techniques(model, e), "event": e.event}


def badges_in(model: SiteModel, team: str, event: str) -> list[str]:
    return model.event_badges.get((team, event), [])


def badge_imgs(
    model: SiteModel, team: str, award_ids: Iterable[str], root: str, where: bool = False
) -> Markup:
    """A team's award badges in a cell, each <img> with the badge's own size (the table is laid
    out at its final width before any arrives: tables.js need not re-fit it) and lazy (a 1,000-
    row table fetches the badges of the rows it shows). ``where``: tables of teams, not of one
    event's entries, name the events each badge was won in (text and tooltip)."""
    out = []
    for x in award_ids:
        text = model.award_names[x][0]
        if where:
            won = [b.event.name for k, b in model.boards.items() if x in badges_in(model, team, k)]
            text += f" ({', '.join(won)})" if won else ""
        name = md_text(text)
        title = f' title="{name}"' if where else ""
        out.append(
            Markup(
                f'<img class="tmlp-badge" alt="{name}"{title} '
                f'width="{badge_svg.award_badge_width(x)}" height="{badge_svg.HEIGHT}" loading="lazy" '
                f'decoding="async" src="{href(f"{root}badges/{team}/{x}.svg")}">'
            )
        )
    return Markup(" ").join(out)


def entry_url(root: str, e: Entry) -> str:
    return f"{root}entries/{e.team}/{e.event}/"


def team_cell(model: SiteModel, team: str, root: str) -> str:
    return td(a(team_name(model, team), f"{root}teams/{team}/", 60))


def speedup_cell(e: Entry) -> str:
    """The speed-up with the interval ties use (95% CI, or the repeats' range), or a dash."""
    if not fmt.measured(e.status) or e.speedup is None:
        return td(fmt.DASH, "")
    interval = speedup_interval(e)
    note = fmt.interval_text(interval, e.speedup_interval is not None)
    text = md_text(fmt.speedup_text(e.speedup))
    if note and interval[0] != interval[1]:
        text += Markup(f' <span class="tmlp-ci">({md_text(note)})</span>')
    return td(text, num_value(e.speedup))


def figure_cells(board: Board, e: Entry) -> dict[str, str]:
    ev = board.event
    ok = fmt.measured(e.status)

    def val(v: object) -> str:
        return num_value(v) if ok else ""

    return {
        "quality": td(
            fmt.quality_text(e.quality, ev.quality.unit) if ok else fmt.DASH, val(e.quality)
        ),
        "speed": td(fmt.speed_text(e.speed, ev.speed.unit) if ok else fmt.DASH, val(e.speed)),
        "memory": td(fmt.memory_text(e.memory) if ok else fmt.DASH, val(e.memory)),
        "ratio": td(fmt.memory_ratio_text(e.memory_ratio) if ok else fmt.DASH, val(e.memory_ratio)),
        "efficiency": td(fmt.efficiency_text(e.efficiency) if ok else fmt.DASH, val(e.efficiency)),
    }


FIGURES = ("speedup", "quality", "speed", "memory", "ratio", "efficiency")


def ranked_figure(board: Board, kind: str) -> str:
    """Which figure a ranking is ranked by: a ratio, or the absolute value it falls back to."""
    if kind == "speed":
        return "speedup" if board.speed_basis == "speedup" else "speed"
    if kind == "memory":
        return "ratio" if board.memory_basis == "memory_ratio" else "memory"
    return "efficiency"


def board_table(
    model: SiteModel, board: Board, root: str, limit: int | None = None, kind: str = "speed"
) -> Markup:
    """An event's ranking (every row unless ``limit``), ranked by ``kind``: its figure is the
    fourth column, at priority 1; the other figures follow."""
    ev = board.event
    titles = {
        "speedup": ("Speed-up", 2),
        "quality": (ev.quality.label, 2),
        "speed": (f"{ev.speed.label} ({ev.speed.unit})", 2),
        "memory": ("Peak memory (MiB)", 2),
        "ratio": ("Memory ratio", 3),
        "efficiency": ("Efficiency", 3),
    }
    key = ranked_figure(board, kind)
    others = [k for k in FIGURES if k != key]
    cols = [
        Col("Rank", 1, "number"),
        Col("Team", 1),
        Col("Entry", 3),
        Col(titles[key][0], 1, "number"),
    ]
    cols += [Col(titles[k][0], titles[k][1], "number") for k in others]
    if ev.loads_weights:
        cols.append(Col("Weights", 3))
    cols += [Col("Badges", 3, "none"), Col("Measured", 3, "number"), Col("Links", 3, "none")]
    rows = []
    for r in getattr(board, kind)[:limit]:
        e = r.entry
        rank = a(str(r.rank), entry_url(root, e))
        if r.tied_within_noise:
            rank += Markup(
                ' <abbr class="tmlp-tie" title="tied within noise with the entry above">≈</abbr>'
            )
        if not beats_baseline(board, kind, r):
            rank += Markup(
                ' <span class="tmlp-below-base" title="does not beat the '
                'baseline">(below baseline)</span>'
            )
        figures = figure_cells(board, e)
        figures["speedup"] = speedup_cell(e)
        cells = [
            td(rank, str(r.rank)),
            team_cell(model, e.team, root),
            td(a(e.title or "(untitled)", entry_url(root, e), 120)),
            figures[key],
        ]
        cells += [figures[k] for k in others]
        if ev.loads_weights:
            cells.append(td(fmt.provenance_text(e.record.get("provenance"))))
        cells += [
            td(badge_imgs(model, e.team, badges_in(model, e.team, ev.id), root)),
            td(fmt.date_text(e.measured_at), stamp_value(e.measured_at)),
            td(links(model, e, root)),
        ]
        rows.append((row_attrs(model, e), cells))
    return table("board", ev.id, cols, rows)


def links(model: SiteModel, e: Entry, root: str) -> Markup:
    return (
        a("code", code_url(model.repo_url, e))
        + Markup(" · ")
        + a("record", f"{root}data/results/{e.team}/{e.event}.json")
    )


def unranked_table(model: SiteModel, board: Board, root: str) -> Markup:
    cols = [
        Col("Team", 1),
        Col("Entry", 2),
        Col("Status", 1),
        Col("Reason", 2),
        Col("Measured", 3, "number"),
        Col("Record", 3, "none"),
    ]
    rows = []
    for e in board.unranked:
        rows.append(
            (
                row_attrs(model, e),
                [
                    team_cell(model, e.team, root),
                    td(a(e.title or "(untitled)", entry_url(root, e), 120)),
                    td(fmt.status_text(e.shown_status)),
                    td(md_text(e.reason, 120)),
                    td(fmt.date_text(e.measured_at), stamp_value(e.measured_at)),
                    td(a("JSON", f"{root}data/results/{e.team}/{e.event}.json")),
                ],
            )
        )
    return table("unranked", board.event.id, cols, rows)


def overall_table(model: SiteModel, kind: str, root: str) -> Markup:
    text = {
        "speed": fmt.ratio_number,
        "memory": fmt.ratio_number,
        "efficiency": fmt.efficiency_text,
    }[kind]
    cols = [Col("Rank", 1, "number"), Col("Team", 1), Col("Geometric mean", 1, "number")]
    cols += [Col(b.event.name, 2, "number") for b in model.boards.values()]
    cols.append(Col("Badges", 3, "none"))
    rows = []
    for row in model.overall[kind]:
        per = [td(text(row.per_event[eid]), num_value(row.per_event[eid])) for eid in model.boards]
        cells = [
            td(str(row.rank), str(row.rank)),
            team_cell(model, row.team, root),
            td(text(row.value), num_value(row.value)),
            *per,
            td(badge_imgs(model, row.team, model.badges.get(row.team, []), root, where=True)),
        ]
        rows.append(({"team": row.team, "status": "ok", "techniques": "", "event": ""}, cells))
    return table("overall", "", cols, rows)


def teams_table(model: SiteModel, root: str) -> Markup:
    cols = [
        Col("Team", 1),
        Col("Id", 3),
        Col("Events entered", 2, "number"),
        Col("Qualified", 1, "number"),
        Col("Badges", 3, "none"),
    ]
    rows = []
    for tid, t in model.teams.items():
        qualified = sum(1 for e in t.entries if e.qualified)
        techs = sorted({s for e in t.entries for s in techniques(model, e).split()})
        statuses = "ok" if qualified else (t.entries[0].status if t.entries else "")
        rows.append(
            (
                {
                    "team": tid,
                    "status": statuses,
                    "techniques": " ".join(techs),
                    "event": " ".join(e.event for e in t.entries),
                },
                [
                    td(a(t.name, f"{root}teams/{tid}/", 60)),
                    td(tid),
                    td(str(len(t.entries)), str(len(t.entries))),
                    td(str(qualified), str(qualified)),
                    td(badge_imgs(model, tid, model.badges.get(tid, []), root, where=True)),
                ],
            )
        )
    return table("teams", "", cols, rows)


def records_table(model: SiteModel, board: Board, root: str, falls: list) -> Markup:
    cols = [
        Col("Date", 1, "number"),
        Col("Record", 2),
        Col("Team", 1),
        Col("New value", 1, "number"),
        Col("Previous value", 3, "number"),
        Col("Previous holder", 3),
    ]
    rows = []
    for f in reversed(falls):
        prev = (
            ranking_text(board, f.kind, f.previous_value)
            if f.previous_value is not None
            else fmt.DASH
        )
        holder = team_cell(model, f.previous_team, root) if f.previous_team else td(fmt.DASH)
        rows.append(
            (
                {"team": f.team, "status": "ok", "techniques": "", "event": f.event},
                [
                    td(fmt.date_text(f.at), stamp_value(f.at)),
                    td(f.kind),
                    team_cell(model, f.team, root),
                    td(ranking_text(board, f.kind, f.value), num_value(f.value)),
                    td(prev, num_value(f.previous_value)),
                    holder,
                ],
            )
        )
    return table("records", board.event.id, cols, rows)
