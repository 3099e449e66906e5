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

from scorer.site import build as site
from scorer.site import mdtext, pages
from scorer.site.build import BuildReport
from scorer.text import md_text

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "site"))
import sitefixture  # noqa: E402

GOLDEN = Path(__file__).parent / "golden" / "pages"
GOLDEN_PAGES = (
    "events/mlp_sprint.md",
    "teams/hostile.md",
    "categories/speed.md",
    "index.md",
    "entries/fast-tensors/mlp_sprint.md",
    "entries/hostile/cnn_marathon.md",
    "records.md",
)

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
    cell = md_text(text)
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


@pytest.mark.parametrize(
    "text, shown",
    [
        ("a\u202eb", "a\u2039U+202E\u203ab"),
        ("zero\u200bwidth", "zero\u2039U+200B\u203awidth"),
        ("bell\x07", "bell\u2039U+0007\u203a"),
        ("مرحبا", "مرحبا"),  # right-to-left letters themselves are text and stay
    ],
)
def test_invisible_characters_are_made_visible(text, shown):
    assert md_text(text) == shown


def test_md_text_truncates_long_text():
    assert md_text("x" * 500, 10) == "x" * 9 + "\u2026"


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "\u2014"),
        (0.9712, "0.9712"),
        (0.1, "0.1"),
        (1234.5, "1234"),
        (12345.6, "12346"),
        (3, "3"),
        (float("nan"), "\u2014"),
        (1 / 3, "0.3333"),
        (2.0, "2"),
    ],
)
def test_fmt_num(value, text):
    assert mdtext.fmt_num(value) == text


def test_links_quote_their_target_and_escape_their_text():
    assert mdtext.link("a]b", "../teams/x y.md") == "[a&#93;b](../teams/x%20y.md)"
    assert mdtext.link("code", None) == "code"


def test_schema_tables_cover_every_object():
    schema = site.schema.load_schema("submission")
    tables = {t["name"]: t for t in pages.schema_tables(schema)}
    assert list(tables) == [
        "submission.json",
        "submission.json.team",
        "submission.json.team.members[]",
        "submission.json.claimed",
    ]
    rows = {r["name"]: r for r in tables["submission.json"]["rows"]}
    assert (
        rows["title"]["required"]
        and rows["title"]["example"] == '"Fused float32 MLP, one epoch of Adam"'
    )
    assert rows["entrypoint"]["example"] == '"submission.py"'
    assert "one of mlp_sprint" in rows["event"]["type"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = sitefixture.make_root(tmp_path_factory.mktemp("pages"))
    model = site.compute_model(site.read_inputs(root, BuildReport("mkdocs", root)))
    model.charts = {}  # the charts have their own tests (test_charts.py); goldens cover the templates
    return pages.render_pages(model)


@pytest.mark.parametrize("rel", GOLDEN_PAGES)
def test_golden_pages(rendered, rel):
    goldens.check_golden(GOLDEN / rel, rendered[rel])


def test_event_page_has_every_row_in_the_contract_markup(rendered):
    text = rendered["events/cnn_marathon.md"]
    board = text.split('data-table="board"')[1].split("</table>")[0]
    # cnn_marathon's qualified entries in the fixture: fast-tensors, tiny-mem, hostile.
    assert board.count("<tr data-team=") == 3
    assert '<th scope="col" data-priority="1" data-sort="number">Rank</th>' in board
    assert '<th scope="col" data-priority="1" data-sort="number">Speed-up</th>' in board
    assert 'href="../../entries/fast-tensors/cnn_marathon/"' in board
    assert board.count('href="../../data/results/') == 3
    assert "Efficiency** = quality score × speed-up ÷ memory ratio" in text
    for img in board.split("<img")[1:]:
        assert 'class="tmlp-badge"' in img and 'height="20"' in img


def test_errored_entries_show_dashes_not_their_zeros(rendered):
    # hostile's mlp_sprint run ended in an error; its record holds quality 0 and 1 s.
    team = rendered["teams/hostile.md"]
    row = next(line for line in team.splitlines() if "entries/hostile/mlp_sprint.md" in line)
    assert "0.00%" not in row and "1.000 s" not in row and "| error |" in row
    entry = rendered["entries/hostile/mlp_sprint.md"]
    assert "No measurement" in entry and "0.00%" not in entry


def test_statuses_and_dates_are_words(rendered):
    text = rendered["events/mlp_sprint.md"]
    unranked = text.split('data-table="unranked"')[1].split("</table>")[0]
    assert "below the threshold" in unranked and "below_threshold" not in unranked.split("<tbody>")[
        1
    ].replace('data-status="below_threshold"', "")
    assert "2026-11-" not in text.replace('datetime="2026-11-22T09&#58;00&#58;00Z"', "")
    assert "Leaderboard data last updated" in text


def test_entry_page_shows_samples_machine_history_and_how_to_reproduce(rendered):
    text = rendered["entries/fast-tensors/mlp_sprint.md"]
    for needle in (
        "0.095 s, 0.100 s, 0.105 s",
        "AMD EPYC",
        "scipy-openblas 0.3.30",
        "mnist/t10k-labels-idx1-ubyte.gz",
        "## History",
        "below the threshold",
        "tinymlperf run --event mlp_sprint --team fast-tensors",
        "git checkout 0123456789abcdef0123456789abcdef01234567",
        "range 3.81–4.21×",
    ):
        assert needle in text, needle
    weights = rendered["entries/fast-tensors/cnn_marathon.md"]
    assert "reproduction not yet tried" in weights
    assert "tinymlperf reproduce --submission submissions/fast-tensors/cnn_marathon" in weights


def test_compare_page_embeds_every_entry_as_inert_json(rendered):
    import json

    text = rendered["compare.md"]
    block = text.split('<script type="application/json" id="tmlp-compare-data">')[1]
    block = block.split("</script>")[0]
    assert "<" not in block and block.isascii()
    data = json.loads(block)
    ids = {e["id"] for e in data["entries"]}
    assert {"fast-tensors/mlp_sprint", "hostile/mlp_sprint", "baseline/cnn_marathon"} <= ids
    import html

    assert html.unescape(text).count('<option value="fast-tensors/mlp_sprint">') == 2


@pytest.mark.parametrize(
    "func, value, text",
    [
        ("speedup_text", 1.8, "1.80× faster"),
        ("speedup_text", 1 / 2.1, "2.10× slower"),
        ("speedup_text", 1.0, "1.00×, as fast"),
        ("speedup_text", None, "\u2014"),
        ("memory_ratio_text", 0.3, "0.30× the memory"),
        ("memory_ratio_text", 5.5, "5.50× the memory"),
        ("memory_text", 1234.56, "1,234.6 MiB"),
        ("efficiency_text", 5.415, "5.42"),
        ("seconds_text", 0.1, "0.100 s"),
        ("status_text", "below_threshold", "below the threshold"),
        ("status_text", "memory_limit", "over the memory limit"),
        ("date_text", "2026-11-20T09:00:00Z", "20 Nov 2026"),
        ("date_text", "2026-13-01", "2026-13-01"),  # not a date: shown as given
        ("provenance_text", None, "reproduction not yet tried"),
        ("provenance_text", {"status": "not_reproduced"}, "weights not reproduced"),
    ],
)
def test_site_format(func, value, text):
    from scorer.site import fmt as site_format

    assert getattr(site_format, func)(value) == text


@pytest.mark.parametrize(
    "value, unit, text",
    [(0.9712, "fraction", "97.12%"), (5.5, "perplexity", "5.50"), (None, "fraction", "\u2014")],
)
def test_quality_has_one_precision_per_unit(value, unit, text):
    from scorer.site import fmt as site_format

    assert site_format.quality_text(value, unit) == text


@pytest.mark.parametrize(
    "value, unit, text",
    [(0.1, "s", "0.100 s"), (12.3456, "s", "12.346 s"), (2500.4, "tokens/s", "2,500 tokens/s")],
)
def test_speed_has_one_precision_per_unit(value, unit, text):
    from scorer.site import fmt as site_format

    assert site_format.speed_text(value, unit) == text


def test_speedup_shows_the_95_interval_when_the_record_has_one():
    from scorer.leaderboard.ranking import Entry
    from scorer.site import tables as site_tables

    def entry(interval):
        return Entry(
            team="a",
            event="mlp_sprint",
            team_name="A",
            title="t",
            status="ok",
            reason="",
            quality=0.96,
            speed=0.2,
            memory=100.0,
            speedup=1.8,
            memory_ratio=0.5,
            speed_range=(0.19, 0.21),
            memory_range=(99.0, 101.0),
            created="",
            finished_at="2026-11-20T00:00:00Z",
            commit=None,
            speedup_interval=interval,
        )

    assert "1.80× faster" in site_tables.speedup_cell(entry((1.71, 1.93)))
    assert "95% CI 1.71–1.93×" in site_tables.speedup_cell(entry((1.71, 1.93)))
    # Without it, the repeats' range as a ratio: 1.8 * 0.2 / [0.21, 0.19] = 1.71-1.89.
    assert "range 1.71–1.89×" in site_tables.speedup_cell(entry(None))
    errored = Entry(**{**entry(None).__dict__, "status": "error"})
    assert site_tables.speedup_cell(errored) == '<td data-value="">\u2014</td>'


def test_provenance_is_shown_and_a_not_reproduced_entry_is_listed_apart(tmp_path):
    import json

    root = sitefixture.make_root(tmp_path)
    for team, status in (("tiny-mem", "not_reproduced"), ("fast-tensors", "reproduced")):
        path = root / "results" / team / "cnn_marathon.json"
        rec = json.loads(path.read_text("utf-8"))
        rec["provenance"] = {
            "status": status,
            "reason": f"retrained: {status}",
            "content_hash": rec["submission"]["content_hash"],
        }
        path.write_text(json.dumps(rec), "utf-8")
    model = site.compute_model(site.read_inputs(root, BuildReport("mkdocs", root)))
    model.charts = {}
    out = pages.render_pages(model)
    event = out["events/cnn_marathon.md"]
    board = event.split('data-table="board"')[1].split("</table>")[0]
    unranked = event.split('data-table="unranked"')[1].split("</table>")[0]
    assert 'data-team="tiny-mem"' in unranked and 'data-team="tiny-mem"' not in board
    assert 'data-status="not_reproduced"' in unranked and "weights not reproduced" in unranked
    assert "weights reproduced" in board  # the Weights column of a weights-loading event
    entry = out["entries/tiny-mem/cnn_marathon.md"]
    assert "weights not reproduced" in entry and "retrained&#58; not&#95;reproduced" in entry
