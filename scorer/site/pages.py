"""Renders the leaderboard's Markdown pages from ``scorer/site/templates/pages/*.md.j2``.

``scorer.site.build_site`` computes a ``SiteModel`` (rankings, badges, charts as SVG strings)
and hands it to ``render_pages``, which returns ``{relative path: Markdown text}``; nothing here
touches the disk, so the page tests (``tests/test_pages.py``) render straight from a model.

Escaping: every ``{{ value }}`` in a template passes through ``md_text`` unless it is already
``Markup`` (the trusted SVG of a chart, a link built by ``link``). ``md_text`` HTML-escapes and
turns every character Markdown reacts to (``| [ ] ( ) * _ ` \\ # ! ~`` ...) into a numeric
character reference, so a team name such as ``[x](javascript:alert(1)) | <script>`` stays one
table cell of plain text in both Python-Markdown (MkDocs) and markdown-it (MyST). Controls and
invisible format characters (bidi overrides, zero-width spaces) are shown as ``‹U+202E›``.
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from scorer.contract.events import EVENTS
from scorer.leaderboard.badges import MIN_FIELD
from scorer.leaderboard.ranking import Board, Entry, OverallRow
from scorer.leaderboard.records import RecordFall
from scorer.site import fmt

TEMPLATE_DIR = Path(str(resources.files("scorer.site") / "templates" / "pages"))  # package data
TOP_ROWS = 100  # rows per event table; the exports hold every entry
CELL_LIMIT = 120  # characters of free text in one table cell before "…"

# Characters Markdown (Python-Markdown, markdown-it, MyST) or HTML give a meaning to.
_SPECIAL = "&<>\"'\\`*_{}[]()#!|~^=$:"
_TABLE = {ord(c): f"&#{ord(c)};" for c in _SPECIAL}
_SPACES = {ord("\n"): " ", ord("\r"): " ", ord("\t"): " "}
KIND_TITLES = {"speed": "Speed Champions", "memory": "Memory Masters",
               "efficiency": "Efficiency Leaders"}
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


@functools.lru_cache(maxsize=4096)
def _visible(ch: str) -> str:
    """Invisible or control characters become a visible code point marker (cached per
    character: a 3,000-entry site asks for a few hundred distinct ones millions of times)."""
    if ch in "\n\t":
        return ch
    if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"):
        return f"\u2039U+{ord(ch):04X}\u203a"
    return ch


def visible(text: str) -> str:
    """``text`` with invisible and control characters (but newlines and tabs) made visible."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(map(_visible, text))


@functools.lru_cache(maxsize=65536)
def _md_text(text: str, limit: int | None) -> Markup:
    text = text.translate(_SPACES)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return Markup(visible(text).translate(_TABLE))


def md_text(value: object, limit: int | None = None) -> Markup:
    """Plain text made inert for Markdown + HTML, optionally cut to ``limit`` characters."""
    return _md_text(str(value), limit)


def fmt_num(value: float | None, digits: int = 4) -> str:
    """Stable, short number text: 4 significant digits, no exponent below 10,000."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "\u2014"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if abs(value) >= 10_000:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def _finalize(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt_num(value)
    return md_text(value)


def link(text: object, href: str | None, limit: int | None = None) -> Markup:
    """A Markdown link with escaped text; ``href`` is built by this package, only quoted here.

    Without an ``href`` (an unknown commit, say) the text is shown alone, or a dash.
    """
    if not href:
        return md_text(text, limit) if text else Markup("\u2014")
    return Markup(f"[{md_text(text, limit)}]({quote(href, safe='/:#.-_~')})")


def image(alt: str, src: str) -> Markup:
    return Markup(f"![{md_text(alt)}]({quote(src, safe='/:#.-_~')})")


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
        image(model.award_names[a][0], f"{root}badges/{team}/{a}.svg") for a in got)


def threshold_text(event) -> str:
    sign = "\u2265" if event.quality.direction == "higher" else "\u2264"
    return f"{event.quality.label} {sign} {fmt.quality_text(event.threshold, event.quality.unit)}"


def embed_lines(model: SiteModel, team: str) -> list[str]:
    """Markdown a team pastes into its README: each badge (absolute URL) links to the site."""
    site = model.site_url
    lines = []
    for eid, board in model.boards.items():
        if board.rank_of("speed", team):
            lines.append(f"[![{board.event.name} rank]({site}badges/{team}/{eid}.svg)]"
                         f"({site}events/{eid}/)")
    for award in model.badges.get(team, []):
        lines.append(f"[![{model.award_names[award][0]}]({site}badges/{team}/{award}.svg)]"
                     f"({site}teams/{team}/)")
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


def environment() -> jinja2.Environment:
    from scorer.site import tables as site_tables  # it builds on this module's escaping and model

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        autoescape=False,  # Markdown, not HTML: _finalize escapes for both instead
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = lambda v, limit=CELL_LIMIT: md_text("" if v is None else v, limit)
    env.filters["num"] = lambda v, digits=4: Markup(fmt_num(v, digits))
    env.filters["trusted"] = lambda v: Markup(v)
    env.filters["ratio"] = lambda v: Markup(ratio_text(v))
    env.globals.update(link=link, image=image, EVENTS=EVENTS, TOP_ROWS=TOP_ROWS,
                       code_url=code_url, unit_text=unit_text, ranking_text=ranking_text,
                       entry_date=entry_date, KIND_TITLES=KIND_TITLES,
                       embed_lines=embed_lines, team_link=team_link,
                       award_images=award_images, threshold_text=threshold_text,
                       T=site_tables, F=fmt, updated_line=updated_line,
                       MIN_FIELD=MIN_FIELD)
    return env


def updated_line(model: SiteModel) -> Markup:
    """The "last updated" line of every page: the newest record's time, never the build's."""
    if not model.updated:
        return Markup("")
    return Markup('<p class="tmlp-updated">Leaderboard data last updated '
                  f'<time datetime="{md_text(model.updated)}">'
                  f'{md_text(fmt.date_text(model.updated, with_time=True))}</time>.</p>')


def svg_block(svg: str, caption: str = "") -> Markup:
    """An inline SVG in the contract's ``<figure class="tmlp-chart">`` with its caption, as one
    raw HTML block (blank lines would end it early in Markdown)."""
    body = "\n".join(line for line in svg.strip().splitlines() if line.strip())
    cap = f"\n<figcaption>{md_text(caption)}</figcaption>" if caption else ""
    return Markup(f'<figure class="tmlp-chart">\n{body}{cap}\n</figure>')


_SHARED: dict = {}  # what forked page workers read: set just before the pool starts


def _render_page(job: tuple[str, str, dict]) -> str:
    """One page from (path, template, context); module-level so a process pool can run it."""
    from scorer.site import tables as site_tables

    path, template, ctx = job
    env, common = _SHARED["env"], _SHARED["common"]
    root = "../" * path.count("/")  # Markdown links: relative to the .md file
    uroot = site_tables.url_root(path)  # raw HTML links: relative to the page's URL
    return env.get_template(template).render(root=root, uroot=uroot, **common, **ctx)


def _render_team(team: str) -> str:
    model = _SHARED["common"]["m"]
    return _render_page((f"teams/{team}.md", "team.md.j2", {"team": model.teams[team]}))


def _render_entry(index: int) -> str:
    from scorer.site import entries as entry_pages

    model = _SHARED["common"]["m"]
    board, e = _SHARED["entries"][index]
    return _render_page((f"entries/{e.team}/{e.event}.md", "entry.md.j2", {
        "e": e, "board": board, "view": entry_pages.entry_view(model, board, e)}))


def render_pages(model: SiteModel, env: jinja2.Environment | None = None) -> dict[str, str]:
    """Every generated Markdown page of the MkDocs site, by path under the docs dir.

    The thousands of team and entry pages are rendered on every core (``parallel_map``: a
    forked pool reading the model from ``_SHARED``, results in input order), so the output
    is the same as one process would give.
    """
    from scorer.site import entries as entry_pages
    from scorer.site.files import parallel_map

    env = env or environment()
    common = {"m": model, "charts": {k: svg_block(v, model.captions.get(k, ""))
                                     for k, v in model.charts.items()}}
    entries = entry_pages.all_entries(model)
    _SHARED.update(env=env, common=common, entries=entries)
    for name in ("team.md.j2", "entry.md.j2"):  # compiled once, before the pool forks
        env.get_template(name)
    pages: dict[str, str] = {}

    def put(path: str, template: str, **ctx) -> None:
        pages[path] = _render_page((path, template, ctx))

    try:
        put("index.md", "home.md.j2")
        for eid, board in model.boards.items():
            put(f"events/{eid}.md", "event.md.j2", board=board)
        for kind in ("speed", "memory", "efficiency"):
            put(f"categories/{kind}.md", "category.md.j2", kind=kind)
        put("categories/innovation.md", "innovation.md.j2")
        put("teams/index.md", "teams.md.j2")
        teams = sorted(model.teams)
        pages.update(zip((f"teams/{t}.md" for t in teams), parallel_map(_render_team, teams),
                         strict=True))
        put("records.md", "records.md.j2")
        paths = [f"entries/{e.team}/{e.event}.md" for _, e in entries]
        pages.update(zip(paths, parallel_map(_render_entry, list(range(len(entries)))),
                         strict=True))
        put("compare.md", "compare.md.j2", data=entry_pages.compare_json(model))
        put("submission-format.md", "submission_format.md.j2",
            objects=schema_tables(model.submission_schema))
    finally:
        _SHARED.clear()
    return pages


BOOK_PART = "TinyMLPerf leaderboard"  # the caption of the part the _toc fragment adds


def render_myst(model: SiteModel, env: jinja2.Environment | None = None,
                folder: str = "leaderboard") -> dict[str, str]:
    """The leaderboard as MyST Markdown for a Jupyter Book: an index and a page per event.

    Charts are inline SVG for HTML (inherited colours: the book's light/dark toggle applies)
    and, for PDF builds, a fixed-colour copy under ``charts/`` shown by a LaTeX-only figure
    (Sphinx's ``sphinx.ext.imgconverter`` turns it into a bitmap; ``_config.yml`` enables it).
    ``_toc.yml`` builds the folder as a book of its own; ``_toc_part.yml`` is one entry of a
    ``parts:`` list, with files relative to the book root where this output is the ``folder``
    subfolder, to append to a course's table of contents as it is.
    """
    env = env or environment()
    charts = {k: Markup(v) for k, v in model.charts.items()}
    files: dict[str, str] = {}
    for name, svg in sorted(model.print_charts.items()):
        if name.startswith("pareto:"):
            files[f"charts/pareto-{name.split(':', 1)[1]}.svg"] = svg
    files["index.md"] = env.get_template("myst_index.md.j2").render(m=model)
    for eid, board in model.boards.items():
        files[f"{eid}.md"] = env.get_template("myst_event.md.j2").render(
            m=model, board=board, charts=charts,
            static=f"charts/pareto-{eid}.svg" if f"charts/pareto-{eid}.svg" in files else "")
    chapters = "".join(f"  - file: {eid}\n" for eid in model.boards)
    files["_toc.yml"] = f"format: jb-book\nroot: index\nchapters:\n{chapters}"
    sections = "".join(f"      - file: {folder}/{eid}\n" for eid in model.boards)
    files["_toc_part.yml"] = (
        "# Append this item to the parts: list of your book's _toc.yml, with this folder\n"
        f"# copied to <book root>/{folder}/ (tinymlperf build --format myst --out <book>/{folder}).\n"
        f"- caption: {BOOK_PART}\n  chapters:\n    - file: {folder}/index\n"
        f"      sections:\n{sections}")
    files["_config.yml"] = ("title: TinyMLPerf leaderboard\nexecute:\n  execute_notebooks: 'off'\n"
                            "sphinx:\n  extra_extensions:\n    - sphinx.ext.imgconverter\n")
    return files


def _type_text(prop: dict) -> str:
    if "const" in prop:
        return f"constant {prop['const']!r}"
    if "enum" in prop:
        return "one of " + ", ".join(str(v) for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type_text(p) for p in prop["anyOf"])
    kind = prop.get("type", "any")
    text = " or ".join(kind) if isinstance(kind, list) else kind
    if text == "array" and isinstance(prop.get("items"), dict):
        item = prop["items"]
        text += " of " + (item.get("title", "").lower() or _type_text(item))
    if "pattern" in prop:
        text += f" matching {prop['pattern']}"
    return text


def schema_tables(schema: dict) -> list[dict]:
    """One table per object in a JSON schema: property, type, required, description, example."""
    tables: list[dict] = []

    def visit(node: dict, name: str) -> None:
        rows = []
        required = set(node.get("required", ()))
        for key, prop in node.get("properties", {}).items():
            examples = prop.get("examples") or ([prop["default"]] if "default" in prop else [])
            rows.append({
                "name": key, "type": _type_text(prop), "required": key in required,
                "description": prop.get("description", ""),
                "example": _example(examples[0]) if examples else "",
            })
        tables.append({"name": name, "title": node.get("title", name),
                       "description": node.get("description", ""), "rows": rows})
        for key, prop in node.get("properties", {}).items():
            if prop.get("type") == "object" and "properties" in prop:
                visit(prop, f"{name}.{key}")
            items = prop.get("items")
            if isinstance(items, dict) and items.get("type") == "object" and "properties" in items:
                visit(items, f"{name}.{key}[]")

    visit(schema, "submission.json")
    return tables


def _example(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)
