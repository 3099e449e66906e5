"""Renders the leaderboard's Markdown pages from ``scorer/site/templates/pages/*.md.j2``.

``scorer.site.build.build_site`` computes a ``SiteModel`` (``scorer.site.model``: rankings,
badges, charts as SVG strings) and hands it to ``render_pages``, which returns ``{relative path:
Markdown text}``; nothing here touches the disk, so the page tests (``tests/test_pages.py``)
render straight from a model. ``render_myst`` does the same for a Jupyter Book. The template
environment's escaping is ``scorer.site.mdtext``'s (see its module docstring).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from scorer.contract.events import EVENTS
from scorer.leaderboard.badges import MIN_FIELD
from scorer.site import entries as entry_pages
from scorer.site import fmt
from scorer.site import tables as site_tables
from scorer.site.files import parallel_map
from scorer.site.mdtext import _finalize, fmt_num, image, link, svg_block
from scorer.site.model import (
    SiteModel,
    award_images,
    code_url,
    embed_lines,
    entry_date,
    ranking_text,
    ratio_text,
    team_link,
    threshold_text,
    unit_text,
    updated_line,
)
from scorer.text import md_text

TEMPLATE_DIR = Path(str(resources.files("scorer.site") / "templates" / "pages"))  # package data
TOP_ROWS = 100  # rows per event table; the exports hold every entry
CELL_LIMIT = 120  # characters of free text in one table cell before "…"
KIND_TITLES = {
    "speed": "Speed Champions",
    "memory": "Memory Masters",
    "efficiency": "Efficiency Leaders",
}


def environment() -> jinja2.Environment:
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
    env.globals.update(
        link=link,
        image=image,
        EVENTS=EVENTS,
        TOP_ROWS=TOP_ROWS,
        code_url=code_url,
        unit_text=unit_text,
        ranking_text=ranking_text,
        entry_date=entry_date,
        KIND_TITLES=KIND_TITLES,
        embed_lines=embed_lines,
        team_link=team_link,
        award_images=award_images,
        threshold_text=threshold_text,
        T=site_tables,
        F=fmt,
        updated_line=updated_line,
        MIN_FIELD=MIN_FIELD,
    )
    return env


_SHARED: dict = {}  # what forked page workers read: set just before the pool starts


def _render_page(job: tuple[str, str, dict]) -> str:
    """One page from (path, template, context); module-level so a process pool can run it."""
    path, template, ctx = job
    env, common = _SHARED["env"], _SHARED["common"]
    root = "../" * path.count("/")  # Markdown links: relative to the .md file
    uroot = site_tables.url_root(path)  # raw HTML links: relative to the page's URL
    return env.get_template(template).render(root=root, uroot=uroot, **common, **ctx)


def _render_team(team: str) -> str:
    model = _SHARED["common"]["m"]
    return _render_page((f"teams/{team}.md", "team.md.j2", {"team": model.teams[team]}))


def _render_entry(index: int) -> str:
    model = _SHARED["common"]["m"]
    board, e = _SHARED["entries"][index]
    return _render_page(
        (
            f"entries/{e.team}/{e.event}.md",
            "entry.md.j2",
            {"e": e, "board": board, "view": entry_pages.entry_view(model, board, e)},
        )
    )


def render_pages(model: SiteModel, env: jinja2.Environment | None = None) -> dict[str, str]:
    """Every generated Markdown page of the MkDocs site, by path under the docs dir.

    The thousands of team and entry pages are rendered on every core (``parallel_map``: a
    forked pool reading the model from ``_SHARED``, results in input order), so the output
    is the same as one process would give.
    """
    env = env or environment()
    common = {
        "m": model,
        "charts": {k: svg_block(v, model.captions.get(k, "")) for k, v in model.charts.items()},
    }
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
        pages.update(
            zip((f"teams/{t}.md" for t in teams), parallel_map(_render_team, teams), strict=True)
        )
        put("records.md", "records.md.j2")
        paths = [f"entries/{e.team}/{e.event}.md" for _, e in entries]
        pages.update(
            zip(paths, parallel_map(_render_entry, list(range(len(entries)))), strict=True)
        )
        put("compare.md", "compare.md.j2", data=entry_pages.compare_json(model))
        put(
            "submission-format.md",
            "submission_format.md.j2",
            objects=schema_tables(model.submission_schema),
        )
    finally:
        _SHARED.clear()
    return pages


BOOK_PART = "TinyMLPerf leaderboard"  # the caption of the part the _toc fragment adds


def render_myst(
    model: SiteModel, env: jinja2.Environment | None = None, folder: str = "leaderboard"
) -> dict[str, str]:
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
            m=model,
            board=board,
            charts=charts,
            static=f"charts/pareto-{eid}.svg" if f"charts/pareto-{eid}.svg" in files else "",
        )
    chapters = "".join(f"  - file: {eid}\n" for eid in model.boards)
    files["_toc.yml"] = f"format: jb-book\nroot: index\nchapters:\n{chapters}"
    sections = "".join(f"      - file: {folder}/{eid}\n" for eid in model.boards)
    files["_toc_part.yml"] = (
        "# Append this item to the parts: list of your book's _toc.yml, with this folder\n"
        f"# copied to <book root>/{folder}/ (tinymlperf build --format myst --out <book>/{folder}).\n"
        f"- caption: {BOOK_PART}\n  chapters:\n    - file: {folder}/index\n"
        f"      sections:\n{sections}"
    )
    files["_config.yml"] = (
        "title: TinyMLPerf leaderboard\nexecute:\n  execute_notebooks: 'off'\n"
        "sphinx:\n  extra_extensions:\n    - sphinx.ext.imgconverter\n"
    )
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
            rows.append(
                {
                    "name": key,
                    "type": _type_text(prop),
                    "required": key in required,
                    "description": prop.get("description", ""),
                    "example": _example(examples[0]) if examples else "",
                }
            )
        tables.append(
            {
                "name": name,
                "title": node.get("title", name),
                "description": node.get("description", ""),
                "rows": rows,
            }
        )
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
