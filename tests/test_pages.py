"""Tests of the generated Markdown: the escaping filter, number formatting, the schema tables,
and golden files for a few pages rendered from the fixture repository.

Run: .venv/bin/python -m pytest tests/test_pages.py
Regenerate the golden files after an intended change, then review the diff:
    TINYMLPERF_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_pages.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import goldens
import markdown
import pytest
from markdown_it import MarkdownIt

from scorer import pages, site
from scorer.site import BuildReport

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "site"))
import sitefixture  # noqa: E402

GOLDEN = Path(__file__).parent / "golden" / "pages"
GOLDEN_PAGES = ("events/mlp_sprint.md", "teams/hostile.md", "categories/speed.md", "index.md")

HOSTILE = [
    "<script>alert(1)</script>",
    "a | b | c",
    "[x](javascript:alert(1))",
    "![i](https://evil.example/i.png)",
    "**bold** _em_ `code` ~~s~~",
    "<img src=x onerror=alert(1)>",
    "&amp; &lt; \\| \\",
    "line\nbreak\r\ttab",
    "# not a heading",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("render", ["python-markdown", "markdown-it"])
def test_md_text_is_one_plain_cell(text, render):
    cell = pages.md_text(text)
    doc = f"| h |\n|---|\n| {cell} |\n"
    if render == "python-markdown":
        html = markdown.markdown(doc, extensions=["tables"])
    else:
        html = MarkdownIt("commonmark").enable("table").render(doc)
    body = html.split("<tbody>")[1]
    assert body.count("<td") == 1, html
    for tag in ("<script", "<a ", "<img", "<strong", "<em", "<code", "<del", "<h1"):
        assert tag not in body, html
    plain = text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    import html as html_mod

    inner = body.split(">", 2)[2].rsplit("</td>", 1)[0]
    assert html_mod.unescape(inner) == plain


@pytest.mark.parametrize("text, shown", [
    ("a\u202eb", "a\u2039U+202E\u203ab"),
    ("zero\u200bwidth", "zero\u2039U+200B\u203awidth"),
    ("bell\x07", "bell\u2039U+0007\u203a"),
    ("مرحبا", "مرحبا"),  # right-to-left letters themselves are text and stay
])
def test_invisible_characters_are_made_visible(text, shown):
    assert pages.md_text(text) == shown


def test_md_text_truncates_long_text():
    assert pages.md_text("x" * 500, 10) == "x" * 9 + "\u2026"


@pytest.mark.parametrize("value, text", [
    (None, "\u2014"), (0.9712, "0.9712"), (0.1, "0.1"), (1234.5, "1234"), (12345.6, "12346"),
    (3, "3"), (float("nan"), "\u2014"), (1 / 3, "0.3333"), (2.0, "2"),
])
def test_fmt_num(value, text):
    assert pages.fmt_num(value) == text


def test_links_quote_their_target_and_escape_their_text():
    assert pages.link("a]b", "../teams/x y.md") == "[a&#93;b](../teams/x%20y.md)"
    assert pages.link("code", None) == "code"


def test_schema_tables_cover_every_object():
    schema = site.schema.load_schema("submission")
    tables = {t["name"]: t for t in pages.schema_tables(schema)}
    assert list(tables) == ["submission.json", "submission.json.team",
                            "submission.json.team.members[]", "submission.json.claimed"]
    rows = {r["name"]: r for r in tables["submission.json"]["rows"]}
    assert rows["title"]["required"] and rows["title"]["example"] == '"Fused float32 MLP, one epoch of Adam"'
    assert rows["entrypoint"]["example"] == '"submission.py"'
    assert "one of mlp_sprint" in rows["event"]["type"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = sitefixture.make_root(tmp_path_factory.mktemp("pages"))
    model = site.compute_model(site.read_inputs(root, BuildReport("mkdocs", root)))
    model.charts = {}  # the charts are scorer.charts' to test; goldens cover the templates
    return pages.render_pages(model)


@pytest.mark.parametrize("rel", GOLDEN_PAGES)
def test_golden_pages(rendered, rel):
    goldens.check_golden(GOLDEN / rel, rendered[rel])


def test_event_page_caps_rows_and_points_to_the_exports(rendered):
    text = rendered["events/cnn_marathon.md"]
    assert text.count("](../data/results/") >= 3
    assert "Showing the top" not in text  # only 3 entries; the cap is tested at scale
    assert "Efficiency** = quality score × speed-up ÷ memory ratio" in text
