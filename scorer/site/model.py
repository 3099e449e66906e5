"""The site's view model (``SiteModel``, ``TeamInfo``) and the page helpers that read it.

``scorer.site.build.build_site`` computes a ``SiteModel`` (rankings, badges, charts as SVG
strings) once; ``scorer.site.pages`` renders it through the page templates, and
``scorer.site.tables``, ``scorer.site.entries`` and ``scorer.site.exports`` read it too. The
helpers here turn model values into the texts and links the pages show (a ranking value in
words, an entry's code link, a team's badges); all text goes through ``scorer.site.mdtext``'s
escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup

from scorer.leaderboard.ranking import Board, Entry, OverallRow
from scorer.leaderboard.records import RecordFall
from scorer.site import fmt
from scorer.site.mdtext import image, link
from scorer.text import md_text

_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


def code_url(repo_url: str, entry: Entry) -> str | None:
    """The entry's folder at the commit that was scored, or None when the commit is unknown."""
    if not entry.commit or not _COMMIT.match(entry.commit):
        return None
    return f"{repo_url.rstrip('/')}/tree/{entry.commit}/submissions/{entry.team}/{entry.event}"


def unit_text(value: float | None, unit: str) -> str:
    """A measured value with its unit, at its column's one precision (``site_format``)."""
    if unit == "MiB":
        return fmt.memory_text(value)
    if unit in ("fraction", "perplexity"):
        return fmt.quality_text(value, unit)
    return fmt.speed_text(value, unit)


def ratio_text(value: float | None) -> str:
    return fmt.ratio_number(value)


def ranking_text(board: Board, kind: str, value: float | None) -> str:
    """A ranking value as shown: a worded ratio to the baseline, or the median with its unit."""
    if kind == "speed":
        if board.speed_basis == "speedup":
            return fmt.speedup_text(value)
        return unit_text(value, board.event.speed.unit)
    if kind == "memory":
        if board.memory_basis == "memory_ratio":
            return fmt.memory_ratio_text(value)
        return unit_text(value, "MiB")
    return fmt.efficiency_text(value)


def entry_date(entry: Entry) -> str:
    """When the scorer first measured the entry's current content, in words."""
    return fmt.date_text(entry.measured_at or entry.finished_at)


def team_link(model: SiteModel, team: str, root: str, limit: int | None = 60) -> Markup:
    name = model.teams[team].name if team in model.teams else team
    return link(name, f"{root}teams/{team}.md", limit)


def award_images(model: SiteModel, team: str, root: str, event: str | None = None) -> Markup:
    """A team's badges (those won in ``event`` only, when given) as Markdown images."""
    got = model.badges.get(team, []) if event is None else model.event_badges.get((team, event), [])
    return Markup(" ").join(
        image(model.award_names[a][0], f"{root}badges/{team}/{a}.svg") for a in got
    )


def threshold_text(event) -> str:
    sign = "\u2265" if event.quality.direction == "higher" else "\u2264"
    return f"{event.quality.label} {sign} {fmt.quality_text(event.threshold, event.quality.unit)}"


def embed_lines(model: SiteModel, team: str) -> list[str]:
    """Markdown a team pastes into its README: each badge (absolute URL) links to the site."""
    site = model.site_url
    lines = []
    for eid, board in model.boards.items():
        if board.rank_of("speed", team):
            lines.append(
                f"[![{board.event.name} rank]({site}badges/{team}/{eid}.svg)]({site}events/{eid}/)"
            )
    for award in model.badges.get(team, []):
        lines.append(
            f"[![{model.award_names[award][0]}]({site}badges/{team}/{award}.svg)]"
            f"({site}teams/{team}/)"
        )
    return lines


@dataclass
class TeamInfo:
    id: str
    name: str
    members: list[dict]
    entries: list[Entry]
    about: dict[str, dict] = field(default_factory=dict)  # event -> that entry's submission.json


@dataclass
class SiteModel:
    """Everything the pages show, computed once by ``scorer.site.build``."""

    site_url: str
    repo_url: str
    boards: dict[str, Board]
    overall: dict[str, list[OverallRow]]
    badges: dict[str, list[str]]
    awards: list[dict]
    writeups: dict[tuple[str, str], str]
    teams: dict[str, TeamInfo]
    falls: list[RecordFall]
    submission_schema: dict
    charts: dict[str, str] = field(default_factory=dict)  # name -> trusted inline SVG
    captions: dict[str, str] = field(default_factory=dict)  # name -> plain-text figcaption
    print_charts: dict[str, str] = field(default_factory=dict)  # MyST: fixed-colour copies
    award_names: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    event_badges: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    updated: str = ""  # the newest record's finished_at: "last updated", deterministic


def updated_line(model: SiteModel) -> Markup:
    """The "last updated" line of every page: the newest record's time, never the build's."""
    if not model.updated:
        return Markup("")
    return Markup(
        '<p class="tmlp-updated">Leaderboard data last updated '
        f'<time datetime="{md_text(model.updated)}">'
        f"{md_text(fmt.date_text(model.updated, with_time=True))}</time>.</p>"
    )
