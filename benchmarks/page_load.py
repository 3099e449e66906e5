"""How long the big pages of the synthetic site take to load in headless Chromium, and where
the time goes.

    .venv/bin/python benchmarks/page_load.py [--records 3000] [--repeats 3]
                                             [--page teams/ --page events/mlp_sprint/ ...]
                                             [--width desktop|phone] [--site SITE_DIR]

Builds the synthetic site (benchmarks/synthetic_results.py, seed 1; the finished build is
cached by tests/browser/harness.py, keyed by a digest of its inputs) or takes a built site/
folder (--site), serves it on 127.0.0.1 under /leaderboard/ and opens each page --repeats
times, each in a fresh browser context (nothing cached), in the light palette. For each page
it prints the median of:

- ``ready``: from the start of the navigation until tables.js marks the page ready
  (``data-tmlp-ready``: scripts run, images loaded, tables fitted), as the browser tests wait;
- the navigation timings: ``html`` (the response's last byte), ``parsed`` (domInteractive: the
  HTML parsed), ``dcl`` (DOMContentLoaded handlers done), ``load`` (the load event: images);
- Chromium's own counters (CDP ``Performance.getMetrics``): time spent in script, style
  recalculation and layout, and how many layouts ran;
- the page's size: HTML bytes, table rows, rows shown, <img> elements and images fetched.

Timing belongs here, not in the tests: ``tests/test_browser.py`` only checks that the teams
page loads, with a bound generous enough for a loaded machine. The figures of a change are
quoted in its commit message.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))

import harness

READY = "document.documentElement.getAttribute('data-tmlp-ready') === '1'"
DEFAULT_PAGES = ("teams/", "events/mlp_sprint/", "categories/speed/")

FIGURES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const images = performance.getEntriesByType('resource')
    .filter(r => r.initiatorType === 'img').length;
  const rows = Array.from(document.querySelectorAll('article table.tmlp-table tbody tr'));
  return {
    html: nav.responseEnd, parsed: nav.domInteractive, dcl: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd, bytes: nav.transferSize || nav.encodedBodySize,
    rows: rows.length, shown: rows.filter(r => r.offsetParent !== null).length,
    imgs: document.querySelectorAll('article img').length, fetched: images,
  };
}"""

COUNTERS = {
    "ScriptDuration": "script",
    "RecalcStyleDuration": "style",
    "LayoutDuration": "layout",
    "LayoutCount": "layouts",
}


def measure(browser, url: str, width: str) -> dict[str, float]:
    context = harness.new_context(browser, width, "default")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        t = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(READY, timeout=120_000, polling=50)
        ready = (time.perf_counter() - t) * 1000
        page.wait_for_load_state("load")
        out = {"ready": ready, **page.evaluate(FIGURES)}
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        for name, key in COUNTERS.items():
            value = metrics.get(name, 0.0)
            out[key] = value if key == "layouts" else value * 1000  # seconds -> ms
        return out
    finally:
        context.close()


def report(path: str, runs: list[dict[str, float]]) -> None:
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    ready = ", ".join(f"{r['ready'] / 1000:.2f}" for r in runs)
    print(f"{path or '(home)'}: ready in {med['ready'] / 1000:.2f} s (median; runs {ready})")
    print(
        f"  html {med['html']:.0f} ms, parsed {med['parsed']:.0f} ms, "
        f"DOMContentLoaded {med['dcl']:.0f} ms, load {med['load']:.0f} ms"
    )
    print(
        f"  script {med['script']:.0f} ms, style {med['style']:.0f} ms, layout "
        f"{med['layout']:.0f} ms in {med['layouts']:.0f} layouts"
    )
    print(
        f"  {med['bytes'] / 1024:.0f} KiB of HTML, {med['rows']:.0f} table rows "
        f"({med['shown']:.0f} shown), {med['imgs']:.0f} <img>, {med['fetched']:.0f} images fetched"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--page", action="append", help="path under the base (repeatable)")
    parser.add_argument("--width", choices=tuple(harness.WIDTHS), default="desktop")
    parser.add_argument("--site", type=Path, help="a built site/ folder to serve instead")
    args = parser.parse_args()
    problem = harness.chromium_problem()
    if problem:
        raise SystemExit(f"page_load: {problem}")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tinymlperf-load-") as tmp:
        if args.site:
            site = args.site
        else:
            t = time.perf_counter()
            site = harness.build_synthetic(Path(tmp), args.records)
            print(f"synthetic site ({args.records} records) in {time.perf_counter() - t:.1f} s")
        print(f"site: {site}; {args.repeats} runs per page, {args.width}, fresh context each")
        with harness.serve(site) as base, sync_playwright() as p:
            browser = harness.launch(p)
            for path in args.page or DEFAULT_PAGES:
                runs = [measure(browser, base + path, args.width) for _ in range(args.repeats)]
                report(path, runs)
            browser.close()


if __name__ == "__main__":
    main()
