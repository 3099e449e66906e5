"""``tinymlperf build``: turn submissions/, results/ and awards.yml into the leaderboard site.

    build_site(root)                  -> build/docs/  (then: mkdocs build --strict  -> site/)
    build_site(root, fmt="myst")      -> build/myst/  (MyST Markdown for a Jupyter Book)

The build reads every input first (records, submission metadata, awards, READMEs of awarded
entries, the submission schema, mkdocs.yml's URLs), then computes rankings, badges and charts,
then writes. It never imports or runs submission code: it only reads JSON, YAML and README.md.
The MkDocs output is a staging docs dir: a copy of the hand-written ``docs/`` plus the generated
pages, badges, exports and feed, which ``mkdocs.yml`` names as its ``docs_dir``. The same inputs
give byte-identical output: iteration is sorted and the only dates are the inputs' own.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from scorer import badges as badge_svg
from scorer import charts, exports, pages, ranking, schema
from scorer.errors import RecordError, SubmissionError, UsageError
from scorer.events.spec import EVENTS
from scorer.results import load_records
from scorer.submission import load_metadata

MARKER = ".tinymlperf-build"  # marks a folder the build owns and may empty
DEFAULT_OUT = {"mkdocs": Path("build/docs"), "myst": Path("build/myst")}
DEFAULT_SITE_URL = "https://tinymlperf.github.io/leaderboard/"
DEFAULT_REPO_URL = "https://github.com/tinymlperf/leaderboard"
README_LIMIT = 50_000  # characters of a write-up shown


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
        return (f"built {self.pages} pages ({self.files} files) from {self.records} records of "
                f"{self.teams} teams into {self.out}")


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


def build_site(root: Path, *, fmt: str = "mkdocs", out: Path | None = None) -> BuildReport:
    """Build the leaderboard from the repository at ``root``; see the module docstring."""
    if fmt not in DEFAULT_OUT:
        raise UsageError(f"unknown format {fmt!r}; use one of: {', '.join(DEFAULT_OUT)}")
    root = Path(root)
    out = Path(out) if out is not None else root / DEFAULT_OUT[fmt]
    report = BuildReport(fmt=fmt, out=out)

    # 1. Read everything.
    inputs = read_inputs(root, report)
    # 2. Compute rankings, badges, charts.
    model = compute_model(inputs)
    report.records, report.teams = len(inputs.records), len(model.teams)
    # 3. Write.
    files = (render_mkdocs(model, inputs) if fmt == "mkdocs" else pages.render_myst(model))
    write_tree(out, files, copy_from=inputs.docs_dir if fmt == "mkdocs" else None,
               records_from=root / "results" if fmt == "mkdocs" else None)
    report.pages = sum(1 for p in files if p.endswith(".md"))
    report.files = len(files)
    return report


# ---------------------------------------------------------------------------------- reading


def read_inputs(root: Path, report: BuildReport) -> Inputs:
    site_url, repo_url = read_urls(root / "mkdocs.yml")
    records = load_records(root / "results")
    metadata: dict[tuple[str, str], dict] = {}
    for rec in records:
        folder = root / "submissions" / rec["team"] / rec["event"]
        try:
            metadata[(rec["team"], rec["event"])] = load_metadata(folder)
        except SubmissionError as err:
            # The record was scored from valid metadata; it stays the source of truth.
            report.warnings.append(f"{err}; showing the record's own title instead")
    awards = read_awards(root / "awards.yml")
    readmes = {}
    for a in awards:
        path = root / "submissions" / a["team"] / a["event"] / "README.md"
        if path.is_file() and not path.is_symlink():
            readmes[(a["team"], a["event"])] = path.read_bytes()[:README_LIMIT * 4].decode(
                "utf-8", errors="replace")[:README_LIMIT]
    schema_path = root / "docs" / "schemas" / "submission.schema.json"
    sub_schema = json.loads(schema_path.read_text("utf-8")) if schema_path.is_file() else \
        schema.load_schema("submission")
    return Inputs(site_url, repo_url, records, metadata, awards, readmes, sub_schema,
                  root / "docs")


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
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise RecordError(f"{path}: not valid YAML ({err}); fix the syntax, "
                          "see docs/schemas/awards.schema.json") from err
    problems = schema.validate(data, "awards")
    if problems:
        raise RecordError(f"{path}: {problems[0]}; fix the entry to match "
                          "docs/schemas/awards.schema.json")
    return sorted(data["awards"], key=lambda a: (a["date"], a["team"], a["event"]), reverse=True)


# -------------------------------------------------------------------------------- computing


def render_writeup(text: str) -> str:
    """A README as HTML with raw HTML, links and images disabled: nothing in it is active."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.disable(["image", "link", "autolink", "html_inline", "html_block", "reference"])
    md.enable("table")
    return md.render(pages.visible(text))


def compute_model(inputs: Inputs) -> pages.SiteModel:
    entries = [ranking.entry_from_record(r, inputs.metadata.get((r["team"], r["event"])))
               for r in inputs.records]
    boards = ranking.build_boards(entries)
    awarded = sorted({a["team"] for a in inputs.awards})
    teams = team_infos(entries, inputs.metadata)
    falls = [f for b in boards.values() for f in ranking.record_history(b, entries)]
    model = pages.SiteModel(
        site_url=inputs.site_url,
        repo_url=inputs.repo_url,
        boards=boards,
        overall={k: ranking.overall(boards, k) for k in ranking.KINDS},
        badges=ranking.badges(boards, awarded),
        awards=inputs.awards,
        writeups={k: render_writeup(v) for k, v in sorted(inputs.readmes.items())},
        teams=teams,
        falls=falls,
        submission_schema=inputs.submission_schema,
        award_names=dict(badge_svg.AWARDS),
    )
    model.charts = make_charts(model)
    return model


def team_infos(entries: list[ranking.Entry], metadata: dict) -> dict[str, pages.TeamInfo]:
    """A team's display name and members come from its newest submission.json."""
    order = {eid: i for i, eid in enumerate(EVENTS)}
    teams: dict[str, pages.TeamInfo] = {}
    for e in sorted(entries, key=lambda e: (e.team, order.get(e.event, 99))):
        info = teams.setdefault(e.team, pages.TeamInfo(e.team, e.team, [], []))
        info.entries.append(e)
    for tid, info in teams.items():
        metas = sorted((m for (t, _), m in metadata.items() if t == tid),
                       key=lambda m: (m.get("created", ""), m.get("event", "")))
        if metas:
            info.name = metas[-1]["team"]["name"]
            info.members = metas[-1]["team"].get("members", [])
    return dict(sorted(teams.items()))


def make_charts(model: pages.SiteModel) -> dict[str, str]:
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
                pts.append(charts.Point(model.teams[e.team].name, x, y,
                                        href=f"../../teams/{e.team}/", highlight=r.rank == 1))
        x_better = "higher" if ratio else ev.speed.direction
        shown = pts[:pages.TOP_ROWS]
        ids = {id(p) for p in shown}
        shown += [p for p in charts.pareto_frontier(pts, x_better, "lower") if id(p) not in ids]
        out[f"pareto:{eid}"] = charts.pareto_chart(
            shown, title=f"{ev.name}: speed against memory",
            x_label="Speed-up over baseline (×)" if ratio else f"{ev.speed.label} ({ev.speed.unit})",
            y_label="Memory ratio to baseline (×)" if ratio else "Peak memory (MiB)",
            x_better=x_better, y_better="lower")
        speed_falls = [f for f in model.falls if f.event == eid and f.kind == "speed"]
        if speed_falls:
            out[f"progress:{eid}"] = charts.progression_chart(
                [charts.Series("Speed record", [(f.at, f.value) for f in speed_falls])],
                title=f"{ev.name}: speed record over time",
                y_label="Speed-up (×)" if b.speed_basis == "speedup" else ev.speed.unit,
                better="higher" if b.speed_basis == "speedup" else ev.speed.direction)
    for tid, info in model.teams.items():
        series = []
        for e in info.entries:
            pts = [(h.get("finished_at", ""), h["speedup"]) for h in e.history
                   if h.get("status") == "ok" and h.get("speedup")]
            if e.qualified and e.speedup:
                pts.append((e.finished_at, e.speedup))
            if pts:
                series.append(charts.Series(EVENTS[e.event].name, pts))
        if series:
            out[f"team:{tid}"] = charts.progression_chart(
                series, title="Speed-up over the baseline, per scoring", y_label="Speed-up (×)",
                better="higher")
    return out


# ---------------------------------------------------------------------------------- writing


def render_mkdocs(model: pages.SiteModel, inputs: Inputs) -> dict[str, str | bytes]:
    """Generated files for the staging docs dir: pages, badges, exports, feed."""
    files: dict[str, str | bytes] = {}
    for eid, b in model.boards.items():
        for r in b.speed:
            e = r.entry
            files[f"badges/{e.team}/{eid}.svg"] = badge_svg.render_rank_badge(
                b.event.name, r.rank, pages.unit_text(e.speed, b.event.speed.unit))
    award_svgs = {a: badge_svg.render_award_badge(a) for a in ranking.AWARD_IDS}
    for team, got in model.badges.items():
        for award in got:
            files[f"badges/{team}/{award}.svg"] = award_svgs[award]
    files.update(pages.render_pages(model))
    files.update(exports.export_files(model))
    return files


def _prepare(out: Path) -> None:
    """Empty ``out`` if the build made it; refuse to empty any other non-empty folder."""
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file()):
            raise UsageError(f"{out} exists and was not made by tinymlperf build; "
                             "choose an empty or new folder with --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("made by tinymlperf build; emptied on every build\n")


def write_tree(out: Path, files: dict[str, str | bytes], *, copy_from: Path | None,
               records_from: Path | None) -> None:
    _prepare(out)
    if copy_from is not None and copy_from.is_dir():
        shutil.copytree(copy_from, out, dirs_exist_ok=True)
    if records_from is not None and records_from.is_dir():
        for src in sorted(records_from.glob("*/*.json")):
            dst = out / "data" / "results" / src.parent.name / src.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    made: set[Path] = set()
    for rel, content in sorted(files.items()):
        path = out / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="\n")
