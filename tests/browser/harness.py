"""Builds the sites the browser checks look at, serves them on 127.0.0.1 and opens pages.

Shared by tests/test_browser.py and benchmarks/screenshots.py (which put this folder on
sys.path). Two sites: the fixture repository (tests/fixtures/site) and the synthetic one of
3,000 records (benchmarks/synthetic_results.py; its finished build is cached by a digest of
its inputs, see ``build_synthetic``). Each is built with ``build_site`` and
``mkdocs build --strict``, then served under the base path of its site_url (/leaderboard/, as on
the project's pages host) by a server that answers a missing path with 404.html and status
404, as static hosts do: that is how the 404 page is tried under a non-root base path.

Pages are opened in a browser context per (width, palette): 1400 px or 390 px wide, and
mkdocs-material's light ("default") or dark ("slate") scheme, chosen the way a visitor's
system chooses it (prefers-color-scheme; mkdocs.yml ties each palette to that media query).
Every page records its console errors, failed requests and requests that leave 127.0.0.1
(those are aborted).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "site"))
sys.path.insert(0, str(REPO))

import sitefixture  # noqa: E402

from benchmarks.synthetic_results import write_repo  # noqa: E402
from scorer.site.build import build_site  # noqa: E402

BASE = "/leaderboard/"  # the path of mkdocs.yml's site_url
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
WIDTHS = {"desktop": (1400, 1000), "phone": (390, 844)}
PALETTES = {"default": "light", "slate": "dark"}  # mkdocs-material scheme -> prefers-color-scheme
# `make test` builds a synthetic site of 600 records (200 teams: event boards of about 200 rows,
# so paging, filters and find-my-team have something to do) in well under a minute; the full
# 3,000-record site (1,000 teams) takes minutes of mkdocs here and runs with
# `make test-browser-scale`, which sets TINYMLPERF_BROWSER_RECORDS=3000.
SYNTHETIC_RECORDS = int(os.environ.get("TINYMLPERF_BROWSER_RECORDS") or 600)


def chromium_problem() -> str | None:
    """Why the browser checks cannot run here, or None; installs Chromium once when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is missing: pip install -e '.[dev]'"
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        try:
            for cmd in (
                ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "chromium"],
            ):
                subprocess.run(cmd, check=False, capture_output=True, timeout=300, env=env)
        except subprocess.TimeoutExpired:
            pass
    if not CHROMIUM.exists():
        return (
            "headless Chromium is not installed at /usr/bin/chromium and could not be "
            "installed here; run `apt-get install -y chromium` as root"
        )
    return None


def axe_source() -> str | None:
    """axe-core's axe.min.js as bundled by the axe-playwright-python package (dev extras)."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def build_fixture(tmp: Path) -> Path:
    """The fixture repository, built; returns its site/ folder."""
    root = sitefixture.make_root(tmp)
    build_site(root)
    return sitefixture.mkdocs_build(root)


def _inputs_key(records: int) -> str:
    """A digest of everything a synthetic build reads: the scorer, its templates and schemas,
    docs/, mkdocs.yml, the generator, and the versions of mkdocs and its theme."""
    digest = hashlib.sha256(f"{records}\n".encode())
    for name in ("mkdocs", "mkdocs-material"):
        digest.update(f"{name}={metadata.version(name)}\n".encode())
    files = [REPO / "mkdocs.yml", REPO / "benchmarks" / "synthetic_results.py"]
    for folder in ("scorer", "docs"):
        files += sorted(
            p for p in (REPO / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        )
    for path in files:
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def build_synthetic(tmp: Path, records: int = SYNTHETIC_RECORDS, cache: bool = True) -> Path:
    """The synthetic repository (seed 1), built; returns its site/ folder.

    mkdocs takes minutes over its thousands of pages on a loaded 2-core machine, so with
    ``cache`` a finished site is kept under the temporary folder, keyed by a digest of every
    input (``_inputs_key``): any change to the scorer, templates, docs or theme rebuilds it.
    """
    cached = Path(tempfile.gettempdir()) / "tinymlperf-browser-sites" / _inputs_key(records)
    if cache and (cached / "index.html").is_file():
        return cached
    root = write_repo(tmp / "repo", records, seed=1)
    # The synthetic repository copies docs/ wholesale; the fixture's stand-ins fill any
    # hand-written page missing from it so mkdocs --strict finds every page of the nav.
    for name in sitefixture.HAND_WRITTEN:
        page = root / "docs" / name
        if not page.is_file():
            page.write_text(f"# {name[:-3].replace('-', ' ').title()}\n\nStand-in.\n")
    build_site(root)
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1", "HOME": str(root)},
    )
    if proc.returncode != 0:
        raise RuntimeError(
            "mkdocs build of the synthetic site failed:\n" + proc.stdout + proc.stderr
        )
    site = root / "site"
    if not cache:
        return site
    # Atomic: a half-copied cache is never taken for a finished one.
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cached.parent, prefix=".partial-"))
    shutil.copytree(site, staging / "site")
    try:
        os.replace(staging / "site", cached)
    except OSError:  # another run finished the same key first
        pass
    shutil.rmtree(staging, ignore_errors=True)
    return cached if (cached / "index.html").is_file() else site


class _Handler(SimpleHTTPRequestHandler):
    """Serves the site under BASE; anything else, or a missing file, gets 404.html."""

    def log_message(self, *args):  # keep pytest's output readable
        pass

    def send_head(self):
        path = unquote(urlsplit(self.path).path)
        if path.startswith(BASE):
            local = Path(self.directory) / path[len(BASE) :]
            if local.is_file() or (local.is_dir() and (local / "index.html").is_file()):
                self.path = "/" + path[len(BASE) :]
                return super().send_head()
        page = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)
        return None


@contextmanager
def serve(site: Path):
    """Serve ``site`` on 127.0.0.1; yields the base URL (ending in BASE)."""
    handler = functools.partial(_Handler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{BASE}"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)


def new_context(browser, width: str, palette: str):
    w, h = WIDTHS[width]
    return browser.new_context(
        viewport={"width": w, "height": h}, color_scheme=PALETTES[palette], reduced_motion="reduce"
    )


@dataclass
class Visit:
    """One opened page and what went wrong while it loaded."""

    page: object
    status: int | None
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def open_page(context, url: str) -> Visit:
    page = context.new_page()
    visit = Visit(page, None)

    def console(m):
        # A 404 page's own status is logged as an error against the page itself: expected.
        own = m.location.get("url") == url and m.text.startswith("Failed to load resource")
        if m.type == "error" and not own:
            visit.errors.append(m.text)

    page.on("console", console)
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.on(
        "requestfailed",
        lambda r: visit.failed.append(r.url) if urlsplit(r.url).hostname == "127.0.0.1" else None,
    )
    page.on(
        "response",
        lambda r: (
            visit.failed.append(f"{r.status} {r.url}") if r.status >= 400 and r.url != url else None
        ),
    )

    def route(r):
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            visit.foreign.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    response = page.goto(url, wait_until="load")
    visit.status = response.status if response else None
    return visit


# Lazy images below the fold load only when scrolled to; a full-page shot shows the whole page,
# so they are made eager first and waited for (the layout does not move: badges carry their size).
EAGER = """async () => {
  const lazy = Array.from(document.querySelectorAll('img[loading="lazy"]'))
    .filter(img => img.offsetParent !== null);  // not those in rows paged away
  lazy.forEach(img => { img.loading = 'eager'; });
  await Promise.all(lazy.filter(img => !img.complete).map(img => new Promise(done => {
    img.addEventListener('load', done, {once: true});
    img.addEventListener('error', done, {once: true});
  })));
}"""


def screenshot(page, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.evaluate(EAGER)
    page.screenshot(path=str(path), full_page=True)
