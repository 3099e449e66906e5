"""Screenshots of the leaderboard's main pages, at both widths and in both palettes.

    .venv/bin/python benchmarks/screenshots.py OUT_DIR [--site fixture|synthetic|both]
                                                       [--keep BUILD_DIR]

Builds the fixture site (tests/fixtures/site) and the synthetic one of 3,000 records
(benchmarks/synthetic_results.py, seed 1), serves each on 127.0.0.1 under /leaderboard/ and
saves full-page PNGs of the home page, an event page, an entry page, the compare page, the
teams page and the 404 page, at 1400 px and 390 px, in mkdocs-material's light ("default")
and dark ("slate") palettes: OUT_DIR/<site>/<page>-<width>-<palette>.png. It also prints how
long each page took to load and run its scripts (the teams page of the synthetic site has
1,000 teams). Needs Chromium at /usr/bin/chromium and the playwright package (dev extras).
--keep builds in BUILD_DIR and keeps the sites there (built again each run).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))

import harness

READY = "document.documentElement.getAttribute('data-tmlp-ready') === '1'"


def pages_of(site: Path) -> dict[str, str]:
    """Name -> path under the base, for the pages that exist in this build."""
    entries = (
        sorted(
            p.parent.relative_to(site).as_posix() for p in (site / "entries").glob("*/*/index.html")
        )
        if (site / "entries").is_dir()
        else []
    )
    wanted = {
        "home": "",
        "event": "events/mlp_sprint/",
        "teams": "teams/",
        "compare": "compare/",
        "entry": entries[0] + "/" if entries else None,
    }
    out = {k: v for k, v in wanted.items() if v is not None and (site / v / "index.html").is_file()}
    out["404"] = "no/such/page/"
    return out


def shoot(browser, name: str, site: Path, out: Path) -> None:
    with harness.serve(site) as base:
        for width in harness.WIDTHS:
            for palette in harness.PALETTES:
                context = harness.new_context(browser, width, palette)
                for page_name, path in pages_of(site).items():
                    t = time.perf_counter()
                    visit = harness.open_page(context, base + path)
                    visit.page.wait_for_function(READY, timeout=60_000)
                    seconds = time.perf_counter() - t
                    png = out / name / f"{page_name}-{width}-{palette}.png"
                    harness.screenshot(visit.page, png)
                    trouble = visit.errors + visit.failed + visit.foreign
                    print(
                        f"{name:9s} {page_name:8s} {width:7s} {palette:7s} "
                        f"loaded in {seconds:5.2f} s -> {png}"
                        + (f"  PROBLEMS: {trouble}" if trouble else "")
                    )
                    visit.page.close()
                context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--site", choices=("fixture", "synthetic", "both"), default="both")
    parser.add_argument("--keep", type=Path, help="build the sites in this folder and keep them")
    args = parser.parse_args()
    problem = harness.chromium_problem()
    if problem:
        raise SystemExit(f"screenshots: {problem}")
    from playwright.sync_api import sync_playwright

    tmp = None
    if args.keep:
        work = args.keep
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tinymlperf-shots-")
        work = Path(tmp.name)
    builders = {"fixture": harness.build_fixture, "synthetic": harness.build_synthetic}
    names = list(builders) if args.site == "both" else [args.site]
    with sync_playwright() as p:
        browser = harness.launch(p)
        for name in names:
            folder = work / name
            if folder.exists() and any(folder.iterdir()):
                raise SystemExit(f"screenshots: {folder} is not empty; give a new --keep folder")
            folder.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            site = builders[name](folder)
            print(f"{name} site built in {time.perf_counter() - t:.1f} s: {site}")
            shoot(browser, name, site, args.out)
        browser.close()
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
