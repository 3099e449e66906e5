"""Times ``build_site`` over 10,000 synthetic result records and prints figures and page sizes.

    .venv/bin/python benchmarks/build_scale.py [--records 10000] [--repeats 3] [--keep DIR]
                                               [--mkdocs]

Writes the synthetic repository (benchmarks/synthetic_results.py) into a temporary folder (or
DIR with --keep, reused when it already holds one), runs ``build_site`` ``--repeats`` times and
prints the median and every run, cold (no build/ folder: a fresh CI checkout, every
record validated, every file written) and warm (a rebuild: unchanged inputs are not validated
again and unchanged outputs not rewritten), then the time of each stage on one more run (read / compute /
render / write), and the sizes of the largest generated pages. The goal is a median under 10 s
on the 2-core CI machine. With --mkdocs it then times one ``mkdocs build --strict`` of the
result and prints the size of the search index every visitor's browser downloads (mkdocs-
material's search/search_index.json), with the share of each kind of page in it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic_results import write_repo
from scorer.site import build as site


def stage_times(root: Path) -> dict[str, float]:
    """The build's stages timed one by one (the same calls build_site makes)."""
    report = site.BuildReport("mkdocs", root / "build" / "docs")
    times = {}
    t = time.perf_counter()
    inputs = site.read_inputs(root, report)
    times["read"] = time.perf_counter() - t
    t = time.perf_counter()
    model = site.compute_model(inputs)
    times["compute (rankings, badges, charts)"] = time.perf_counter() - t
    t = time.perf_counter()
    files = site.render_mkdocs(model, inputs.docs_dir)
    times["render (pages, badge SVGs, exports)"] = time.perf_counter() - t
    t = time.perf_counter()
    site.write_tree(report.out, files, copy_from=inputs.docs_dir, records_from=root / "results")
    times["write"] = time.perf_counter() - t
    return times


def mkdocs_figures(root: Path) -> None:
    """One ``mkdocs build --strict`` of the built repository, timed, and its search index."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit("mkdocs build failed:\n" + proc.stdout + proc.stderr)
    site = root / "site"
    pages = sum(1 for _ in site.rglob("index.html"))
    index = site / "search" / "search_index.json"
    docs = json.loads(index.read_text("utf-8"))["docs"]
    share: Counter[str] = Counter()
    indexed: dict[str, set[str]] = {}
    for doc in docs:
        page = doc["location"].split("#")[0]
        kind = page.split("/")[0] + "/" if "/" in page.rstrip("/") else (page or "(home)")
        share[kind] += len(json.dumps(doc, ensure_ascii=False).encode())
        indexed.setdefault(kind, set()).add(page)
    print(f"mkdocs build --strict: {seconds:.1f} s for {pages} pages")
    print(
        f"search index: {index.stat().st_size / 2**20:.2f} MiB, {len(docs)} sections of "
        f"{sum(len(p) for p in indexed.values())} pages; by kind of page:"
    )
    for kind, size in share.most_common(8):
        print(f"  {size / 2**20:7.2f} MiB  {kind} ({len(indexed[kind])} pages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--mkdocs", action="store_true", help="then time mkdocs build too")
    args = parser.parse_args()

    tmp = None
    if args.keep:
        root = args.keep
        if not (root / "results").is_dir():
            write_repo(root, args.records)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tinymlperf-scale-")
        root = write_repo(Path(tmp.name) / "repo", args.records)
    print(f"synthetic repository: {root} ({args.records} records)")

    for kind in ("cold", "warm"):
        runs = []
        for _ in range(args.repeats):
            if kind == "cold":  # as on a fresh CI checkout: no output, no validation cache
                shutil.rmtree(root / "build", ignore_errors=True)
            t = time.perf_counter()
            report = site.build_site(root)
            runs.append(time.perf_counter() - t)
        print(
            f"build_site, {kind}: median {statistics.median(runs):.2f} s over {len(runs)} "
            f"runs ({', '.join(f'{r:.2f}' for r in runs)})"
        )
    print(report)
    for name, seconds in stage_times(root).items():
        print(f"  {name:40s} {seconds:6.2f} s")

    out = report.out
    sizes = sorted(
        ((p.stat().st_size, p.relative_to(out)) for p in out.rglob("*") if p.is_file()),
        reverse=True,
    )
    total = sum(s for s, _ in sizes)
    print(f"output: {len(sizes)} files, {total / 2**20:.1f} MiB; largest:")
    for size, rel in sizes[:8]:
        print(f"  {size / 1024:9.1f} KiB  {rel}")
    for eid in ("mlp_sprint", "cnn_marathon", "transformer_decathlon"):
        page = out / "events" / f"{eid}.md"
        board = page.read_text("utf-8").split('data-table="board"', 1)[-1].split("</table>")[0]
        rows = board.count("<tr data-team=")
        print(f"  events/{eid}.md: {page.stat().st_size / 1024:.1f} KiB, {rows} table rows")
    if args.mkdocs:
        mkdocs_figures(root)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
