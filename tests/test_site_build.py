"""End-to-end tests of ``build_site``: the fixture repository through ``tinymlperf build`` and
``mkdocs build --strict``, then checks on the generated files and the built HTML.

Run: .venv/bin/python -m pytest tests/test_site_build.py   (about 10 s; mkdocs runs once)
"""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from markdown_it import MarkdownIt

from scorer.contract import schema
from scorer.contract.errors import RecordError, UsageError
from scorer.contract.events import EVENTS
from scorer.site.build import build_site

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "site"))
import sitefixture  # noqa: E402

SCHEMA = schema.load_schema("leaderboard")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = sitefixture.make_root(tmp_path_factory.mktemp("site"))
    report = build_site(root)
    site = sitefixture.mkdocs_build(root)
    return root, report, site


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements (code in
    ``scripts``; ``type="application/json"`` data blocks, never run, in ``data``)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.data: list[str] = []
        self.text: list[str] = []
        self._in_script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = (
                self.data if dict(attrs).get("type") == "application/json" else self.scripts
            )
            self._in_script.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script[-1] += data
        else:
            self.text.append(data)


def parse(path: Path) -> Tags:
    parser = Tags()
    parser.feed(path.read_text("utf-8"))
    return parser


def test_generated_files(built):
    root, report, site = built
    out = root / "build" / "docs"
    assert report.records == 11 and report.teams == 5
    for rel in [
        "index.md",
        "records.md",
        "submission-format.md",
        "teams/index.md",
        "teams/hostile.md",
        "categories/speed.md",
        "categories/innovation.md",
        "data/leaderboard.json",
        "data/leaderboard.csv",
        "feed.xml",
        "data/results/hostile/cnn_marathon.json",
        "schemas/leaderboard.schema.json",
        "badges/fast-tensors/mlp_sprint.svg",
        "badges/fast-tensors/triple-crown.svg",
        "badges/hostile/innovation-pioneer.svg",
    ]:
        assert (out / rel).is_file(), rel
    for eid in EVENTS:
        assert (out / "events" / f"{eid}.md").is_file()
        assert (site / "events" / eid / "index.html").is_file()
    # The packaged schemas are published byte for byte, where their $id points.
    for name in schema.SCHEMA_NAMES:
        assert (site / "schemas" / f"{name}.schema.json").read_bytes() == schema.schema_bytes(name)
    assert (site / "feed.xml").is_file() and (site / "data" / "leaderboard.csv").is_file()
    # The copies of the records are byte-for-byte the official ones.
    src = root / "results/tiny-mem/mlp_sprint.json"
    assert (out / "data/results/tiny-mem/mlp_sprint.json").read_bytes() == src.read_bytes()


def test_nav_lists_every_event():
    config = yaml.load((sitefixture.REPO_ROOT / "mkdocs.yml").read_text(), Loader=yaml.SafeLoader)
    nav = json.dumps(config["nav"])
    for eid in EVENTS:
        assert f"events/{eid}.md" in nav
    assert config["theme"]["font"] is False


def test_leaderboard_json_matches_its_schema(built):
    root, _, _ = built
    data = json.loads((root / "build/docs/data/leaderboard.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    mlp = next(e for e in data["events"] if e["id"] == "mlp_sprint")
    assert [(r["team"], r["speed_rank"]) for r in mlp["entries"]] == [
        ("fast-tensors", 1),
        ("tiny-mem", 2),
        ("hostile", None),
        ("slowpoke", None),
    ]
    assert data["updated"] == "2026-11-22T09:00:00Z"


def _walk(node, path="#"):
    yield path, node
    for key in ("properties", "$defs"):
        for name, child in node.get(key, {}).items():
            yield from _walk(child, f"{path}/{key}/{name}")
    if isinstance(node.get("items"), dict) and "$ref" not in node["items"]:
        yield from _walk(node["items"], f"{path}/items")


def test_leaderboard_schema_documents_every_property():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == (
        "https://tinymlperf.github.io/leaderboard/schemas/leaderboard.schema.json"
    )
    for path, node in _walk(SCHEMA):
        if "/properties/" in path:
            for key in ("title", "description", "examples"):
                assert key in node, f"{path} lacks {key}"
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, path
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for example in SCHEMA["examples"]:
        validator.validate(example)


def test_csv_has_a_row_per_entry_and_defuses_formulas(built):
    root, _, _ = built
    text = (root / "build/docs/data/leaderboard.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 11 - 3  # every record but the baseline's three
    hostile = [r for r in rows if r["team"] == "hostile"]
    assert hostile and all(r["team_name"].startswith("<script>") for r in hostile)


def test_exports_carry_baseline_environment_units_and_plain_booleans(built):
    root, _, _ = built
    rows = list(
        csv.DictReader(io.StringIO((root / "build/docs/data/leaderboard.csv").read_text("utf-8")))
    )
    assert {r["qualified"] for r in rows} == {"true", "false"}
    assert {r["tied_within_noise"] for r in rows} <= {"true", "false"}
    fast = next(r for r in rows if (r["team"], r["event"]) == ("fast-tensors", "mlp_sprint"))
    assert (fast["baseline_speed"], fast["speed_unit"], fast["memory_unit"], fast["cpu"]) == (
        "0.4",
        "s",
        "MiB",
        "AMD EPYC",
    )
    assert fast["quality_unit"] == "fraction" and fast["threshold"] == "0.95"
    # Speed Demon was won in mlp_sprint: its row carries it, cnn_marathon's does not.
    board = json.loads((root / "build/docs/data/leaderboard.json").read_text("utf-8"))
    events = {e["id"]: e for e in board["events"]}
    assert events["mlp_sprint"]["baseline"]["speed"] == 0.4
    row = next(x for x in events["cnn_marathon"]["entries"] if x["team"] == "fast-tensors")
    assert row["provenance"] == "not_tried" and row["environment"]["blas"].startswith("scipy")
    assert row["entry_url"].endswith("/entries/fast-tensors/cnn_marathon/")
    hostile = next(x for x in events["cnn_marathon"]["entries"] if x["team"] == "hostile")
    assert hostile["badges"] == ["innovation-pioneer"]
    assert board["updated"] == "2026-11-22T09:00:00Z"  # the newest record, not the build time


def test_feed_is_well_formed_and_escaped(built):
    root, _, _ = built
    raw = (root / "build/docs/feed.xml").read_text("utf-8")
    feed = ET.fromstring(raw)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert entries, "records fell in the fixture"
    titles = [e.find("a:title", ns).text for e in entries]
    assert any("Fast Tensors" in t for t in titles)
    updated = [e.find("a:updated", ns).text for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert "<script" not in raw


def test_hostile_text_is_only_text(built):
    _, _, site = built
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    seen_as_text = False
    for page in pages:
        tags = parse(page)
        for tag, attrs in tags.tags:
            for name, value in attrs.items():
                assert not name.startswith("on"), f"{page}: {tag} has {name}"
                if name in ("href", "src", "xlink:href", "action") and value:
                    assert not value.strip().lower().startswith(("javascript:", "data:text")), (
                        f"{page}: {tag} {name}={value}"
                    )
            assert not (tag == "img" and attrs.get("src") == "x"), page
        for script in tags.scripts:
            assert "XSS" not in script and "alert(" not in script, page
        for block in tags.data:  # JSON data: it must parse, and nothing in it can end the script
            json.loads(block)
            assert "<" not in block and "\u2028" not in block, page
            seen_as_text |= '<script>alert("XSS-name")</script>' in block
        html = page.read_text("utf-8")
        assert "\u202e" not in html and "\u200b" not in html, page
        seen_as_text |= any('<script>alert("XSS-name")</script>' in t for t in tags.text)
    assert seen_as_text, "the hostile name is shown, as text"
    team = parse(site / "teams/hostile/index.html")
    # Markdown syntax in a name is shown literally, not as bold text or a link.
    assert any("**b** " in t and "[x](javascript:alert(1))" in t for t in team.text)
    assert any("‹U+202E›" in t for t in team.text)
    assert any("XSS-readme" in t for t in parse(site / "categories/innovation/index.html").text)


def test_no_resource_or_link_to_another_host(built):
    _, _, site = built
    allowed = {("tinymlperf.github.io", "/leaderboard/"), ("github.com", "/tinymlperf/leaderboard")}
    for page in sorted(site.rglob("*.html")):
        for tag, attrs in parse(page).tags:
            for name in ("href", "src", "srcset", "xlink:href", "action", "poster"):
                value = (attrs.get(name) or "").strip()
                parts = urlsplit(value)
                if parts.scheme in ("http", "https") or value.startswith("//"):
                    assert any(
                        parts.hostname == host and parts.path.startswith(prefix)
                        for host, prefix in allowed
                    ), f"{page}: <{tag} {name}={value}>"


def test_pages_link_code_at_commit_and_records(built):
    _, _, site = built
    html = (site / "events/mlp_sprint/index.html").read_text("utf-8")
    html = html + htmllib.unescape(html)  # raw HTML tables write URLs with references
    assert (
        "https://github.com/tinymlperf/leaderboard/tree/"
        "0123456789abcdef0123456789abcdef01234567/submissions/fast-tensors/mlp_sprint"
    ) in html
    assert "../../data/results/fast-tensors/mlp_sprint.json" in html
    team = (site / "teams/fast-tensors/index.html").read_text("utf-8")
    assert "https://tinymlperf.github.io/leaderboard/badges/fast-tensors/mlp_sprint.svg" in team


def test_build_is_deterministic(tmp_path):
    outs = []
    for name in ("one", "two"):
        root = sitefixture.make_root(tmp_path / name)
        build_site(root)
        out = root / "build" / "docs"
        outs.append(
            {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        )
    assert outs[0].keys() == outs[1].keys()
    for rel in outs[0]:
        assert outs[0][rel] == outs[1][rel], rel


def test_myst_format(tmp_path):
    root = sitefixture.make_root(tmp_path)
    report = build_site(root, fmt="myst")
    out = root / "build" / "myst"
    assert report.out == out
    toc = yaml.safe_load((out / "_toc.yml").read_text())
    assert toc["root"] == "index" and [c["file"] for c in toc["chapters"]] == list(EVENTS)
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse((out / "cnn_marathon.md").read_text("utf-8"))
    rows = [t for t in tokens if t.type == "tr_open"]
    cells = [t for t in tokens if t.type in ("td_open", "th_open")]
    assert len(rows) == 4 and len(cells) == 4 * 10  # header + 3 ranked, 10 columns each
    html = md.render((out / "cnn_marathon.md").read_text("utf-8"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    custom = tmp_path / "elsewhere"
    assert build_site(root, fmt="myst", out=custom).out == custom
    assert (custom / "index.md").is_file()


COURSE_TOC = """\
format: jb-book
root: intro
parts:
  - caption: Foundations
    chapters:
      - file: modules/01_tensor/tensor
      - file: modules/02_activations/activations
  - caption: Optimisation
    chapters:
      - file: modules/15_profiling/profiling
        sections:
          - file: modules/15_profiling/exercises
"""


def test_myst_drops_into_a_course_book_with_parts(tmp_path):
    # The course book keeps its own _toc.yml (parts:); the fragment is appended as one part.
    root = sitefixture.make_root(tmp_path)
    book = tmp_path / "book"
    out = book / "leaderboard"
    build_site(root, fmt="myst", out=out)
    toc = yaml.safe_load(COURSE_TOC)
    part = yaml.safe_load((out / "_toc_part.yml").read_text("utf-8"))
    assert isinstance(part, list) and len(part) == 1
    toc["parts"] += part
    merged = yaml.safe_load(yaml.safe_dump(toc))
    assert [p["caption"] for p in merged["parts"]] == [
        "Foundations",
        "Optimisation",
        "TinyMLPerf leaderboard",
    ]
    ours = merged["parts"][-1]["chapters"]
    files = [ours[0]["file"]] + [s["file"] for s in ours[0]["sections"]]
    assert files == ["leaderboard/index"] + [f"leaderboard/{e}" for e in EVENTS]
    for f in files:  # every file the fragment names exists, relative to the book root
        assert (book / f"{f}.md").is_file(), f
    for p in merged["parts"]:  # the shape jupyter-book's jb-book parts take
        assert set(p) == {"caption", "chapters"}
        for c in p["chapters"]:
            assert set(c) <= {"file", "sections"}


def test_myst_charts_follow_the_book_theme_and_keep_a_print_copy(tmp_path):
    root = sitefixture.make_root(tmp_path)
    out = tmp_path / "leaderboard"
    build_site(root, fmt="myst", out=out)
    page = (out / "mlp_sprint.md").read_text("utf-8")
    svg = page.split("```{raw} html", 1)[1].split("```", 1)[0]
    # No colour of its own: inherited text colour and the book theme's variables only.
    assert (
        "<svg" in svg
        and not re.search(r"#[0-9a-fA-F]{3,6}\b(?![;0-9])", svg.replace("&#35;", ""))
        and "prefers-color-scheme" not in svg
    )
    assert "var(--pst-color-primary, currentColor)" in svg
    # The PDF build gets a LaTeX-only figure of a static copy with fixed colours.
    assert "````{only} latex\n```{figure} charts/pareto-mlp_sprint.svg" in page
    static = (out / "charts" / "pareto-mlp_sprint.svg").read_text("utf-8")
    assert "#4051b5" in static and "var(" not in static
    assert "sphinx.ext.imgconverter" in (out / "_config.yml").read_text("utf-8")
    # It carries the baseline and links back to the full leaderboard.
    assert (
        "**Baseline**" in page
        and "https://tinymlperf.github.io/leaderboard/events/mlp_sprint/" in page
    )


def test_bad_awards_file_names_the_file(tmp_path):
    root = sitefixture.make_root(tmp_path)
    (root / "awards.yml").write_text("awards:\n  - team: x\n")
    with pytest.raises(RecordError, match="awards.yml"):
        build_site(root)


def test_corrupt_record_names_the_file(tmp_path):
    root = sitefixture.make_root(tmp_path)
    (root / "results/slowpoke/mlp_sprint.json").write_text("{not json")
    with pytest.raises(RecordError, match="slowpoke/mlp_sprint.json"):
        build_site(root)


def test_refuses_to_empty_a_folder_it_did_not_make(tmp_path):
    root = sitefixture.make_root(tmp_path)
    keep = tmp_path / "precious"
    keep.mkdir()
    (keep / "thesis.tex").write_text("x")
    with pytest.raises(UsageError, match="not made by tinymlperf build"):
        build_site(root, out=keep)
    assert (keep / "thesis.tex").is_file()
    with pytest.raises(UsageError):
        build_site(root, fmt="pdf")


def test_rebuild_after_changes_validates_and_drops_stale_files(tmp_path):
    root = sitefixture.make_root(tmp_path)
    build_site(root)  # fills the validation cache and the output
    out = root / "build" / "docs"
    assert (out / "teams/slowpoke.md").is_file()
    (out / "stray.md").write_text("left over from an older build")
    # A record that changes after a build is validated again, cache or not.
    bad = root / "results/tiny-mem/cnn_marathon.json"
    good = bad.read_text()
    bad.write_text(good.replace('"schema_version": 1', '"schema_version": 2'))
    with pytest.raises(RecordError, match="tiny-mem/cnn_marathon.json"):
        build_site(root)
    bad.write_text(good)
    # A team whose record is gone loses its page, badges and exported record.
    (root / "results/slowpoke/mlp_sprint.json").unlink()
    build_site(root)
    assert not (out / "teams/slowpoke.md").exists()
    assert not (out / "data/results/slowpoke").exists()
    assert not (out / "stray.md").exists()
    assert (out / "teams/tiny-mem.md").is_file()


def test_parallel_build_gives_the_same_bytes(tmp_path, monkeypatch):
    """The process pool (used from 400 items up) changes nothing but the speed."""
    from scorer.site import files as site_files

    serial = sitefixture.make_root(tmp_path / "serial")
    build_site(serial)
    monkeypatch.setattr(site_files, "PARALLEL_MIN", 1)
    parallel = sitefixture.make_root(tmp_path / "parallel")
    build_site(parallel)
    a, b = serial / "build/docs", parallel / "build/docs"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    # A corrupt record found by a worker is still the RecordError naming the file.
    (parallel / "build").joinpath("cache").rename(parallel / "old-cache")
    (parallel / "results/tiny-mem/mlp_sprint.json").write_text("[]")
    with pytest.raises(RecordError, match="tiny-mem/mlp_sprint.json"):
        build_site(parallel)


def test_every_page_announces_the_feed_and_says_when_its_data_was_updated(built):
    _, _, site = built
    pages = [p for p in sorted(site.rglob("*.html")) if p.name != "404.html"]
    assert any("entries" in p.parts for p in pages) and (site / "compare/index.html") in pages
    for page in pages:
        tags = parse(page)
        feeds = [a for t, a in tags.tags if t == "link" and a.get("rel") == "alternate"]
        assert [a.get("type") for a in feeds] == ["application/atom+xml"], page
        depth = len(page.relative_to(site).parts) - 1
        assert feeds[0]["href"] == "../" * depth + "feed.xml", page
        if page.parent.name not in ("search", "schemas"):  # hand-written pages too
            assert "Leaderboard data last updated 22 Nov 2026, 09:00 UTC" in " ".join(
                " ".join(tags.text).split()
            ), page


def test_404_works_under_any_path_and_offers_search_and_links(built):
    _, _, site = built
    tags = parse(site / "404.html")
    hrefs = [a["href"] for t, a in tags.tags if t == "a" and a.get("href")]
    # site_url's path, so the page works whatever missing address it is served for.
    ours = [h for h in hrefs if h.startswith("/leaderboard/")]
    assert "/leaderboard/events/mlp_sprint/" in ours and "/leaderboard/teams/" in ours
    assert not [h for h in hrefs if h.startswith(("../", "./"))]
    forms = [a for t, a in tags.tags if t == "form" and a.get("role") == "search"]
    assert forms and forms[-1]["action"].startswith("/leaderboard/")
    assert any(t == "input" and a.get("name") == "q" for t, a in tags.tags)
    feed = [a for t, a in tags.tags if t == "link" and a.get("rel") == "alternate"]
    assert feed and feed[0]["href"] == "/leaderboard/feed.xml"


def test_table_badges_carry_their_size_and_load_lazily(built):
    # A 1,000-row table is laid out once, at its final width, and fetches only the badges it
    # shows: every badge <img> of a table has its SVG's own width and height, and loads lazily.
    _, _, site = built
    size = re.compile(r'<svg[^>]* width="(\d+)" height="(\d+)"')
    seen = 0
    for page in sorted(site.rglob("index.html")):
        for tag, a in parse(page).tags:
            if tag != "img" or "tmlp-badge" not in (a.get("class") or "").split():
                continue
            svg = (page.parent / urlsplit(a["src"]).path).resolve()
            width, height = size.search(svg.read_text("utf-8")).groups()
            assert (a.get("width"), a.get("height")) == (width, height), (page, a["src"])
            assert a.get("loading") == "lazy" and a.get("alt"), (page, a)
            seen += 1
    assert seen >= 10  # the fixture's boards, overall tables and teams table hold badges


def test_search_index_holds_team_and_event_pages_not_entry_pages(built):
    # One page per record would make the index every visitor downloads grow with the entries
    # (13 MB at 3,000 records); the team and event pages hold each entry's team and title.
    _, _, site = built
    index = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    pages = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert (site / "entries" / "fast-tensors" / "mlp_sprint" / "index.html").is_file()
    assert not [p for p in pages if p.startswith(("entries/", "compare/"))]
    for wanted in ("", "teams/", "teams/fast-tensors/", "events/mlp_sprint/", "records/"):
        assert wanted in pages, wanted
    assert any("Fast Tensors" in doc["text"] for doc in index["docs"])
