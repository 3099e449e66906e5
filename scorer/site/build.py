"""``tinymlperf build``: turn submissions/, results/ and awards.yml into the leaderboard site.

    build_site(root)                  -> build/docs/  (then: mkdocs build --strict  -> site/)
    build_site(root, fmt="myst")      -> build/myst/  (MyST Markdown for a Jupyter Book)

The build reads every input first (records, submission metadata, awards, READMEs of awarded
entries, mkdocs.yml's URLs; the schemas and templates are the package's own data), then computes
rankings, badges and charts, then writes. It never imports or runs submission code: it only
reads JSON, YAML and README.md. The MkDocs output is a staging docs dir: a copy of the
hand-written ``docs/`` (each page with the "last updated" line appended) plus the generated
pages (events, categories, teams, one page per entry under ``entries/``, ``compare``),
badges, exports and feed, and the packaged JSON Schemas under ``schemas/`` (where their
``$id`` points), which ``mkdocs.yml`` names as its ``docs_dir``. The MyST output adds
``_toc_part.yml``, one item for a course book's ``parts:`` list. The same inputs give byte-identical output: iteration is sorted and the only
dates are the inputs' own.

Rebuilds are incremental (``scorer.site.files``): files validated before with the same bytes
are not validated again (cache in build/cache/), and only changed outputs are rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from scorer.contract import review, schema
from scorer.contract.errors import UsageError
from scorer.contract.events import EVENTS, entry_folder
from scorer.leaderboard import badges, ranking
from scorer.leaderboard.records import record_history
from scorer.site import badges as badge_svg
from scorer.site import exports, pages, pareto, progression
from scorer.site.files import ValidationCache, parallel_map, write_tree
from scorer.site.model import SiteModel, TeamInfo, unit_text, updated_line
from scorer.text import visible

DEFAULT_OUT = {"mkdocs": Path("build/docs"), "myst": Path("build/myst")}
DEFAULT_SITE_URL = "https://tinymlperf.github.io/leaderboard/"
DEFAULT_REPO_URL = "https://github.com/tinymlperf/leaderboard"
README_LIMIT = 50_000  # characters of a write-up shown
CACHE = Path("build/cache/validated.json")


@dataclass
class BuildReport:
    fmt: str
    out: Path
    records: int = 0
    teams: int = 0
    pages: int = 0
    files: int = 0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"built {self.pages} pages ({self.files} files) from {self.records} records of "
            f"{self.teams} teams into {self.out}"
        )


@dataclass
class Inputs:
    site_url: str
    repo_url: str
    records: list[dict]
    metadata: dict[tuple[str, str], dict]
    awards: list[dict]
    readmes: dict[tuple[str, str], str]
    submission_schema: dict
    docs_dir: Path
    reviews: list[dict] = field(default_factory=list)  # reviews.yml: approved flagged entries


def build_site(root: Path, *, fmt: str = "mkdocs", out: Path | None = None) -> BuildReport:
    """Build the leaderboard from the repository at ``root``; see the module docstring."""
    if fmt not in DEFAULT_OUT:
        raise UsageError(f"unknown format {fmt!r}; use one of: {', '.join(DEFAULT_OUT)}")
    root = Path(root)
    out = Path(out) if out is not None else root / DEFAULT_OUT[fmt]
    report = BuildReport(fmt=fmt, out=out)

    # 1. Read: records, submission metadata, awards and write-ups, the schema, the site URLs.
    inputs = read_inputs(root, report)
    # 2. Compute: rankings, overall tables, badges, record history, charts.
    model = compute_model(inputs, team_pages=fmt == "mkdocs")
    report.records, report.teams = len(inputs.records), len(model.teams)
    # 3. Render: {path: text} of the pages (and, for MkDocs, badge SVGs, exports and the feed).
    files = (
        render_mkdocs(model, inputs.docs_dir)
        if fmt == "mkdocs"
        else pages.render_myst(model, folder=out.name)
    )
    # 4. Write what changed; MkDocs also gets the hand-written docs/ and the records copied in.
    mkdocs = fmt == "mkdocs"
    write_tree(
        out,
        files,
        copy_from=inputs.docs_dir if mkdocs else None,
        records_from=root / "results" if mkdocs else None,
    )
    report.pages = sum(1 for p in files if p.endswith(".md"))
    report.files = len(files)
    return report


# ---------------------------------------------------------------------------------- reading


def read_inputs(root: Path, report: BuildReport) -> Inputs:
    site_url, repo_url = read_urls(root / "mkdocs.yml")
    cache = ValidationCache(root / CACHE)
    records = cache.records(root / "results")
    keys = [(r["team"], r["event"]) for r in records]
    metadata: dict[tuple[str, str], dict] = {}
    for key, meta in zip(
        keys, cache.metadata([entry_folder(root, t, e) for t, e in keys]), strict=True
    ):
        if isinstance(meta, dict):
            metadata[key] = meta
        else:  # The record was scored from valid metadata; it stays the source of truth.
            report.warnings.append(f"{meta}; showing the record's own title instead")
    cache.save()
    awards = read_awards(root / "awards.yml")
    readmes = {}
    for a in awards:
        path = entry_folder(root, a["team"], a["event"]) / "README.md"
        if path.is_file() and not path.is_symlink():
            readmes[(a["team"], a["event"])] = path.read_bytes()[: README_LIMIT * 4].decode(
                "utf-8", errors="replace"
            )[:README_LIMIT]
    sub_schema = schema.load_schema("submission")  # package data, as the scorer validates with
    return Inputs(
        site_url,
        repo_url,
        records,
        metadata,
        awards,
        readmes,
        sub_schema,
        root / "docs",
        reviews=review.read_reviews(root / review.REVIEWS_FILE),
    )


class _Loader(yaml.SafeLoader):
    """SafeLoader that tolerates mkdocs.yml's ``!!python/name:`` and ``!ENV`` tags as null."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


def read_urls(path: Path) -> tuple[str, str]:
    """site_url (with a trailing slash) and repo_url from mkdocs.yml, or the defaults."""
    config = {}
    if path.is_file():
        config = yaml.load(path.read_text("utf-8"), Loader=_Loader) or {}  # noqa: S506
    site_url = str(config.get("site_url") or DEFAULT_SITE_URL).rstrip("/") + "/"
    repo_url = str(config.get("repo_url") or DEFAULT_REPO_URL).rstrip("/")
    return site_url, repo_url


def read_awards(path: Path) -> list[dict]:
    """awards.yml, validated against its schema, newest first; a bad file is a RecordError."""
    if not path.is_file():
        return []
    data = schema.load_yaml(
        path.read_bytes(), str(path), "awards", "scorer/contract/schemas/awards.schema.json"
    )
    return sorted(data["awards"], key=lambda a: (a["date"], a["team"], a["event"]), reverse=True)


# -------------------------------------------------------------------------------- computing


def render_writeup(text: str) -> str:
    """A README as HTML with raw HTML, links and images disabled: nothing in it is active."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.disable(["image", "link", "autolink", "html_inline", "html_block", "reference"])
    md.enable("table")
    return md.render(visible(text))


def compute_model(inputs: Inputs, *, team_pages: bool = True) -> SiteModel:
    """Everything the pages show; ``team_pages`` False drops chart links to team pages."""
    approved = review.approvals(inputs.reviews)
    entries = [
        ranking.entry_from_record(r, inputs.metadata.get((r["team"], r["event"])), approved)
        for r in inputs.records
    ]
    boards = ranking.build_boards(entries)
    awarded = sorted({(a["team"], a["event"]) for a in inputs.awards})
    teams = team_infos(entries, inputs.metadata)
    falls = [f for b in boards.values() for f in record_history(b, entries)]
    model = SiteModel(
        site_url=inputs.site_url,
        repo_url=inputs.repo_url,
        boards=boards,
        overall={k: ranking.overall(boards, k) for k in ranking.KINDS},
        badges=badges.badges(boards, awarded),
        event_badges=badges.event_badges(boards, awarded),
        awards=inputs.awards,
        writeups={k: render_writeup(v) for k, v in sorted(inputs.readmes.items())},
        teams=teams,
        falls=falls,
        submission_schema=inputs.submission_schema,
        award_names=dict(badge_svg.AWARDS),
        updated=max((r.get("finished_at") or "" for r in inputs.records), default=""),
    )
    if team_pages:
        model.charts = make_charts(model, team_pages)
    else:  # MyST: colours from the book's theme, plus fixed-colour copies for PDF builds
        model.charts = make_charts(model, False, palette="book", teams=False)
        model.print_charts = make_charts(model, False, palette="print", teams=False)
    model.captions = chart_captions(model)
    return model


def team_infos(entries: list[ranking.Entry], metadata: dict) -> dict[str, TeamInfo]:
    """A team's display name and members come from its newest submission.json."""
    order = {eid: i for i, eid in enumerate(EVENTS)}
    teams: dict[str, TeamInfo] = {}
    for e in sorted(entries, key=lambda e: (e.team, order.get(e.event, 99))):
        info = teams.setdefault(e.team, TeamInfo(e.team, e.team, [], []))
        info.entries.append(e)
    newest: dict[str, dict] = {}
    for (team, event), meta in sorted(metadata.items()):
        if team in teams:
            teams[team].about[event] = meta
        if team not in newest or (meta.get("created", ""), event) >= (
            newest[team].get("created", ""),
            newest[team].get("event", ""),
        ):
            newest[team] = meta
    for tid, meta in newest.items():
        if tid in teams:
            teams[tid].name = meta["team"]["name"]
            teams[tid].members = meta["team"].get("members", [])
    return dict(sorted(teams.items()))


def make_charts(
    model: SiteModel, team_pages: bool = True, palette: str = "site", teams: bool = True
) -> dict[str, str]:
    """Pareto and progression per event, a speed-up history per team; all inline SVG."""
    out: dict[str, str] = {}
    for eid, b in model.boards.items():
        ev = b.event
        ratio = b.speed_basis == "speedup" and b.memory_basis == "memory_ratio"
        pts = []
        for r in b.speed:
            e = r.entry
            x = e.speedup if ratio else e.speed
            y = e.memory_ratio if ratio else e.memory
            if x is not None and y is not None:
                pts.append(
                    pareto.Point(
                        model.teams[e.team].name,
                        x,
                        y,
                        href=f"../../entries/{e.team}/{eid}/" if team_pages else None,
                        highlight=r.rank == 1,
                    )
                )
        if not pts:  # no empty chart frame: the page says how to enter instead
            continue
        x_better = "higher" if ratio else ev.speed.direction
        shown = pts[: pages.TOP_ROWS]
        ids = {id(p) for p in shown}
        shown += [p for p in pareto.pareto_frontier(pts, x_better, "lower") if id(p) not in ids]
        out[f"pareto:{eid}"] = pareto.pareto_chart(
            shown,
            title=f"{ev.name}: speed against memory",
            x_label="Speed-up over baseline (×)"
            if ratio
            else f"{ev.speed.label} ({ev.speed.unit})",
            y_label="Memory ratio to baseline (×)" if ratio else "Peak memory (MiB)",
            x_better=x_better,
            y_better="lower",
            palette=palette,
        )
        speed_falls = [f for f in model.falls if f.event == eid and f.kind == "speed"]
        if speed_falls:
            ref = (
                1.0
                if b.speed_basis == "speedup"
                else (b.reference.speed if b.reference and b.reference.speed else None)
            )
            out[f"progress:{eid}"] = progression.progression_chart(
                [progression.Series("Speed record", [(f.at, f.value) for f in speed_falls])],
                title=f"{ev.name}: speed record over time",
                y_label="Speed-up (×)" if b.speed_basis == "speedup" else ev.speed.unit,
                better="higher" if b.speed_basis == "speedup" else ev.speed.direction,
                reference=ref,
                reference_label="baseline",
                palette=palette,
            )
    team_series = []
    for tid, info in model.teams.items() if teams else ():
        series = []
        for e in info.entries:
            pts = [
                (h.get("finished_at", ""), h["speedup"])
                for h in e.history
                if h.get("status") == "ok" and h.get("speedup")
            ]
            if e.qualified and e.speedup:
                pts.append((e.finished_at, e.speedup))
            if pts:
                series.append(progression.Series(EVENTS[e.event].name, pts))
        # A history needs two scorings at least; one point per event says nothing over time
        # (and skipping those keeps a 10,000-record build fast).
        if sum(len(s.points) for s in series) > len(series):
            team_series.append((tid, series))
    svgs = parallel_map(_team_chart, [s for _, s in team_series])
    for (tid, _), svg in zip(team_series, svgs, strict=True):
        out[f"team:{tid}"] = svg
    return out


def chart_captions(model: SiteModel) -> dict[str, str]:
    """One sentence under each chart saying what it shows (the SVG's desc has the details)."""
    out = {}
    for name in model.charts:
        kind, _, key = name.partition(":")
        if kind == "pareto":
            out[name] = (
                f"{EVENTS[key].name}: each qualified entry's speed against its memory; "
                "the line is the Pareto frontier. Points link to the entries' pages."
            )
        elif kind == "progress":
            out[name] = (
                f"{EVENTS[key].name}: the speed record each time it fell; the dashed "
                "line is the baseline."
            )
        elif kind == "team":
            out[name] = "Speed-up over the baseline at each scoring of the team's entries."
    return out


# ---------------------------------------------------------------------------------- writing


def _rank_badge(args: tuple[str, int, str]) -> str:
    return badge_svg.render_rank_badge(*args)


def _team_chart(series: list) -> str:
    return progression.progression_chart(
        series,
        title="Speed-up over the baseline, per scoring",
        y_label="Speed-up (×)",
        better="higher",
    )


def hand_written(docs_dir: Path | None, model: SiteModel) -> dict[str, str]:
    """The hand-written pages with the "last updated" line appended (in the staging copy only),
    so every page of the site says how fresh its data is."""
    out: dict[str, str] = {}
    if docs_dir is None or not docs_dir.is_dir():
        return out
    line = updated_line(model)
    for path in sorted(docs_dir.glob("*.md")):
        if line and path.is_file() and not path.is_symlink():
            out[path.name] = path.read_text("utf-8").rstrip("\n") + f"\n\n{line}\n"
    return out


def render_mkdocs(model: SiteModel, docs_dir: Path | None = None) -> dict[str, str | bytes]:
    """Generated files for the staging docs dir: pages, badges, exports, feed."""
    files: dict[str, str | bytes] = {}
    wanted = [
        (
            f"badges/{r.entry.team}/{eid}.svg",
            (b.event.name, r.rank, unit_text(r.entry.speed, b.event.speed.unit)),
        )
        for eid, b in model.boards.items()
        for r in b.speed
    ]
    svgs = parallel_map(_rank_badge, [args for _, args in wanted])
    files.update((path, svg) for (path, _), svg in zip(wanted, svgs, strict=True))
    award_svgs = {a: badge_svg.render_award_badge(a) for a in badges.AWARD_IDS}
    for team, got in model.badges.items():
        for award in got:
            files[f"badges/{team}/{award}.svg"] = award_svgs[award]
    files.update(pages.render_pages(model))
    files.update(hand_written(docs_dir, model))
    files.update(exports.export_files(model))
    # The schemas ship in the package; the site publishes them where their $id points.
    files.update(schema.published_files())
    return files
