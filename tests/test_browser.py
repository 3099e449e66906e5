"""Drives headless Chromium against the built fixture site, as a visitor would.

Builds the fixture repository (tinymlperf build + mkdocs build --strict), serves it on
127.0.0.1 from a thread, then checks in a real browser that: clicking a table heading sorts the
table, the charts and badges render with a non-zero size, the console shows no error, and no
request leaves 127.0.0.1. Screenshots go to a temporary folder whose path is printed (see them
with ``pytest -s``).

Run: .venv/bin/python -m pytest -m browser -s tests/test_browser.py
Needs Debian's ``chromium`` at /usr/bin/chromium. Without it, the session fixture installs it
once (``apt-get install -y chromium``, as root with apt-get only) or the tests skip, saying why.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scorer.site import build_site

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "site"))
import sitefixture  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium binary, installed once per session when possible, else a clear skip."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright Python package is missing: pip install playwright")
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        try:
            for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
                subprocess.run(cmd, check=False, capture_output=True, timeout=300, env=env)
        except subprocess.TimeoutExpired:
            pass
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is not installed at /usr/bin/chromium and could not be "
                    "installed here; run `apt-get install -y chromium` as root")
    return CHROMIUM


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = sitefixture.make_root(tmp_path_factory.mktemp("browser"))
    build_site(root)
    site = sitefixture.mkdocs_build(root)
    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="tinymlperf-screens-"))
    print(f"\nscreenshots: {folder}")
    return folder


def open_page(browser, url):
    """A new page at ``url`` plus the lists its console errors and foreign requests go to."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="networkidle")
    return page, errors, foreign


def column(page, index):
    """The text of one column of the page's first table, top to bottom."""
    return page.evaluate(
        """i => Array.from(document.querySelector('article table:not([class])').tBodies[0].rows)
                .map(r => r.cells[i].textContent.trim())""", index)


def test_event_page_sorts_and_renders(browser, served, shots):
    page, errors, foreign = open_page(browser, served + "events/mlp_sprint/")
    # Columns: 0 rank, 1 team, 5 speed-up, 7 memory ratio.
    assert column(page, 0) == ["1", "2"]
    header = page.locator("article table:not([class]) th").nth(7)  # memory ratio
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    ratios = [float(t.rstrip("×")) for t in column(page, 7)]
    assert ratios == sorted(ratios) and column(page, 1)[0] == "Tiny Mem"
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert column(page, 1)[0] == "Fast Tensors"
    page.locator("article table:not([class]) th").nth(1).click()  # team names, as text
    assert column(page, 1) == sorted(column(page, 1), key=str.lower)
    for selector in ("div.tmlp-chart svg", "article table img[src*='badges/']"):
        boxes = [el.bounding_box() for el in page.query_selector_all(selector)]
        assert boxes and all(b and b["width"] > 0 and b["height"] > 0 for b in boxes), selector
    page.screenshot(path=str(shots / "event-mlp_sprint.png"), full_page=True)
    assert errors == [] and foreign == []
    page.close()


def test_pages_load_cleanly_in_both_palettes(browser, served, shots):
    for path in ("", "categories/speed/", "categories/innovation/", "teams/hostile/",
                 "records/", "submission-format/"):
        page, errors, foreign = open_page(browser, served + path)
        # A visible hostile name must not have run: no dialog and no injected element.
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"], a[href^=javascript]')"
                             ".length") == 0
        assert errors == [] and foreign == [], (path, errors, foreign)
        page.close()
    page, errors, _ = open_page(browser, served + "teams/fast-tensors/")
    page.locator("label[for='__palette_1']").first.click()  # the dark-mode toggle
    page.wait_for_timeout(200)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    svg = page.query_selector("div.tmlp-chart svg")
    assert svg and svg.bounding_box()["width"] > 0
    page.screenshot(path=str(shots / "team-fast-tensors-dark.png"), full_page=True)
    assert errors == []
    page.close()
