"""Do rounds that take turns call by call pair better than one run after the other?

    TINYMLPERF_DATA=../shared/datasets .venv/bin/python benchmarks/interleaving.py \\
        [--event mlp_sprint] [--arms calls,runs] [--pairs 3] [--rounds 10] [--difference 0] \\
        [--threads 1] [--load] [--json out.json]

Scores A (the baseline's files under another team name, or ``--difference`` percent more of its
work: ``benchmarks/resolution.py``'s variant) against the baseline B through the real pipeline
with a fixed number of rounds, ``--pairs`` times in each arm, the arms alternating (ABAB, BABA,
...) so that all meet the same phases of the host. An arm is a protocol:

* ``calls`` (scorer 0.7.0): both children alive, taking turns call by call, the idle one frozen
  in its cgroup (``scorer/scoring/turns.py``);
* ``runs`` (before): one whole run after the other;

optionally with ``/N``: the Transformer Decathlon's timed generations per run
(``SPEED_PROMPTS``; ``--arms calls/3,calls/11`` compares 3 with 11).

For each arm it prints the per-round noise (the standard deviation of the rounds' log ratios on
the ranked estimator: the kernel's CPU count on one thread, else the wall clock) of every
scoring, their median, the pooled value and the wall seconds a round took; then each arm's noise
against the first's. The noise, not the mean, decides how many rounds Stein's rule runs (about
(t * sd / 0.015)^2) and so whether a 3% pair is resolved. Figures, not assertions: the machine
is shared and its noise is the point.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # the sibling resolution

from resolution import NEIGHBOUR, loadavg, make_pair

from scorer.contract.events import EVENTS
from scorer.contract.results import INTERLEAVED_CALLS, SEQUENTIAL_RUNS
from scorer.progress import Progress
from scorer.scoring import datasets
from scorer.scoring import engine as scoring
from scorer.scoring.events import transformer_decathlon as transformer

PROTOCOLS = (INTERLEAVED_CALLS, SEQUENTIAL_RUNS)
DEFAULT_PROMPTS = transformer.SPEED_PROMPTS


def parse_arms(text: str) -> list[tuple[str, int | None]]:
    """``calls,runs`` or ``calls/3,calls/11``: (protocol, timed prompts or None) per arm."""
    arms: list[tuple[str, int | None]] = []
    for item in text.split(","):
        protocol, _, prompts = item.strip().partition("/")
        if protocol not in PROTOCOLS or (prompts and not prompts.isdigit()):
            raise SystemExit(f"--arms: {item!r} is not calls or runs, optionally with /N prompts")
        arms.append((protocol, int(prompts) if prompts else None))
    if len(set(arms)) != len(arms) or len(arms) < 2:
        raise SystemExit("--arms: at least two different arms, e.g. calls,runs")
    return arms


def round_logs(record: dict) -> list[float]:
    """log(B's time / A's time) per round (or A's rate / B's) on the record's estimator."""
    base = record["baseline"]
    if base.get("estimator") == "cpu":
        a, b = record["cpu"]["speed_samples"], base["cpu_speed_samples"]
    else:
        a, b = record["speed"]["samples"], base["speed_samples"]
    higher = EVENTS[record["event"]].speed.direction == "higher"
    return [math.log(x / y) if higher else math.log(y / x) for x, y in zip(a, b, strict=True)]


def pooled_sd(groups: list[list[float]]) -> float:
    """The standard deviation within scorings, pooled (each scoring about its own mean)."""
    num = sum(sum((v - statistics.fmean(g)) ** 2 for v in g) for g in groups)
    dof = sum(len(g) - 1 for g in groups)
    return math.sqrt(num / dof) if dof > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--event", default="mlp_sprint", choices=sorted(EVENTS))
    parser.add_argument("--arms", default="calls,runs", help="protocol[/prompts], comma-separated")
    parser.add_argument("--pairs", type=int, default=3, help="scorings per arm")
    parser.add_argument("--rounds", type=int, default=10, help="rounds per scoring (fixed)")
    parser.add_argument("--difference", type=float, default=0.0, help="A's extra work, percent")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads per child")
    parser.add_argument("--load", action="store_true", help="run a CPU-heavy neighbour meanwhile")
    parser.add_argument("--json", type=Path, help="save every scoring's log ratios here")
    args = parser.parse_args()
    if args.pairs < 1 or args.rounds < 2:
        raise SystemExit("--pairs must be at least 1 and --rounds at least 2")
    arms = parse_arms(args.arms)
    labels = [f"{p}/{n}" if n else p for p, n in arms]
    neighbour = None
    if args.load:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        neighbour = subprocess.Popen([sys.executable, "-c", NEIGHBOUR], env=env)
    logs: dict[str, list[list[float]]] = {label: [] for label in labels}
    seconds: dict[str, list[float]] = {label: [] for label in labels}
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="tinymlperf-interleaving-") as tmp:
            variant, base = make_pair(Path(tmp), args.event, args.difference)
            order = list(zip(labels, arms, strict=True))
            for i in range(args.pairs):
                # ABAB BABA ...: no arm always meets the host's later minutes.
                for label, (protocol, prompts) in order if i % 2 == 0 else order[::-1]:
                    # The parent reads it in each run (scoring/events/transformer_decathlon.py).
                    transformer.SPEED_PROMPTS = prompts or DEFAULT_PROMPTS
                    job = scoring.Job(
                        repeats=args.rounds,
                        max_rounds=args.rounds,
                        threads=args.threads,
                        interleave=protocol == INTERLEAVED_CALLS,
                        data_folder=datasets.data_dir(),
                        repo_root=Path(tmp),
                        progress=Progress(quiet=True),
                    )
                    t0 = time.monotonic()
                    record = scoring.score_entry(variant, args.event, job, baseline=base)
                    took = time.monotonic() - t0
                    got = (record.get("baseline") or {}).get("interleaving")
                    if record["status"] != "ok" or got != protocol:
                        raise SystemExit(f"{label}: {record['status']} {record['reason']} ({got})")
                    r = round_logs(record)
                    logs[label].append(r)
                    seconds[label].append(took / len(r))
                    print(
                        f"[{time.monotonic() - started:7.1f}s] {label} {i + 1}/{args.pairs}: "
                        f"{len(r)} rounds, noise {statistics.stdev(r):.2%}, mean ratio "
                        f"{math.exp(statistics.fmean(r)):.4f}, {took / len(r):.1f} s a round, "
                        f"load {loadavg()}",
                        file=sys.stderr,
                        flush=True,
                    )
                    if args.json:
                        saved = {"args": vars(args) | {"json": str(args.json)}, "logs": logs}
                        args.json.write_text(json.dumps(saved, indent=1))
    finally:
        transformer.SPEED_PROMPTS = DEFAULT_PROMPTS
        if neighbour is not None:
            neighbour.terminate()
            neighbour.wait(timeout=10)
    print(
        f"{args.event}, A = {args.difference:g}% more work, {args.rounds} rounds a scoring, "
        f"--threads {args.threads}{', loaded' if args.load else ''}; per-round noise = sd of "
        "log(A/B):"
    )
    print("| arm | each scoring | median | pooled | s a round |")
    print("|---|---|---|---|---|")
    pooled = {}
    for label in labels:
        each = ", ".join(f"{statistics.stdev(r):.1%}" for r in logs[label])
        pooled[label] = pooled_sd(logs[label])
        med = statistics.median(statistics.stdev(r) for r in logs[label])
        print(
            f"| {label} | {each} | {med:.1%} | {pooled[label]:.1%} "
            f"| {statistics.median(seconds[label]):.1f} |"
        )
    for label in labels[1:]:
        ratio = pooled[label] / pooled[labels[0]]
        print(f"noise ratio {label} / {labels[0]} (pooled): {ratio:.2f}x")


if __name__ == "__main__":
    main()
