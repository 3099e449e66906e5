"""How small a speed difference does the scorer resolve? Score known-slower copies of a baseline.

    TINYMLPERF_DATA=../shared/datasets .venv/bin/python benchmarks/resolution.py \\
        [--events mlp_sprint] [--runs 10] [--differences 0,3,10,30] [--threads 1] [--load] \\
        [--precision 0.015] [--max-rounds 40] [--round-budget 300] [--json out.json]
    .venv/bin/python benchmarks/resolution.py --analyze out.json   # the table again, no runs

For each event, the baseline is copied to a temporary folder (B) and so is a variant (A) whose
entry module wraps the baseline's and repeats the given percentage of its real work in every
timed call, after the real call (so the real call meets the same cold process as B's):
``train`` and ``predict`` then run again on that fraction of their rows, ``generate`` generates
that fraction of its tokens again after that fraction of its prompt (the baseline steps through
its prompt token by token), ``logits`` runs one extra full batch for every 1/fraction
batches. For 0%, A is the baseline's own files under another team name (identical entries;
``--wrap-identical`` scores the wrapper doing no extra work instead). A is then scored
against B through the real pipeline (``scoring.score_entry``: the rounds, the random order,
the paired interval, and rounds added until the interval is as tight as ``--precision`` or
``--max-rounds`` (or, for short rounds, ``--round-budget`` seconds' worth) have run, as the CLI does) ``--runs`` times per difference. ``--load`` starts a neighbour process that multiplies matrices for the whole
measurement, as a busy CI runner would have.

The table gives, per event, difference, interval (t, which scoring uses, or a bootstrap),
estimator (wall clock or CPU count) and number of rounds (the first k rounds of each scoring,
so fewer rounds cost nothing to compare): how often the 95% interval put A behind B
(correct), called a tie, or put A ahead (reversed), and the spread
of the measured ratio (baseline speed / A's speed for a time); then the same for the record's
own interval, for today's ``stats.paired_stein`` on the same rounds (a run saved by an older
scorer re-read with ``--analyze``), for the ranking's
range rule (``scorer/leaderboard/ranking.py`` without an interval: a tie when the min-max ranges of the
repeats overlap). Identical copies (difference 0) should be called a tie. Figures, not
assertions: the machine is shared and its noise is the point.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # the sibling resolution_table

from resolution_table import goals, table

from scorer import __version__
from scorer.contract.events import BASELINE_TEAM, EVENTS
from scorer.leaderboard import ranking
from scorer.progress import Progress
from scorer.scoring import datasets, stats
from scorer.scoring import engine as scoring
from scorer.scoring.job import (
    DEFAULT_MAX_ROUNDS,
    DEFAULT_PRECISION,
    DEFAULT_REPEATS,
    DEFAULT_ROUND_BUDGET_S,
    DEFAULT_THREADS,
)
from scorer.scoring.record import environment

VARIANT_MODULE = "resolution_variant.py"
# The variant's entry module: the baseline's functions, each doing EXTRA more of its own work.
VARIANT_SOURCE = '''"""Benchmark variant: the baseline's entry, doing {extra:g} more of its real work per call."""
import {module} as _real

EXTRA = {extra!r}
_credit = [0.5]


def _rows(x):
    return max(1, int(round(len(x) * EXTRA)))


def load(directory):
    return _real.load(directory)


# The extra work runs after the real call, so the real call meets the same cold process as
# the baseline's does (run first, the extra part would warm it up and hide part of its cost).
def train(x_train, y_train):
    model = _real.train(x_train, y_train)
    if EXTRA:
        k = _rows(x_train)
        _real.train(x_train[:k], y_train[:k])
    return model


def predict(model, x):
    labels = _real.predict(model, x)
    if EXTRA:
        _real.predict(model, x[:_rows(x)])
    return labels


def generate(model, prompt, n):
    # The baseline feeds its prompt through the same one-token step as the generated tokens,
    # so a call costs about len(prompt) + n steps; EXTRA of that is EXTRA of the prompt and
    # EXTRA of the tokens (the whole prompt again would make 3% cost 12%).
    out = _real.generate(model, prompt, n)
    if EXTRA:
        k = max(1, int(round(len(prompt) * EXTRA)))
        _real.generate(model, prompt[-k:], max(1, int(round(n * EXTRA))))
    return out


def logits(model, tokens):
    # A batch has too few rows to slice a few percent off, so whole extra batches are spread
    # over the calls: on average EXTRA more of the work.
    out = _real.logits(model, tokens)
    _credit[0] += EXTRA
    while _credit[0] >= 1.0:
        _credit[0] -= 1.0
        _real.logits(model, tokens)
    return out
'''
NEIGHBOUR = (
    "import numpy as np\n"
    "a = np.random.default_rng(0).random((512, 512))\n"
    "while True:\n    a = (a @ a) / 512.0\n"
)


def make_pair(
    tmp: Path, event_id: str, extra_pct: float, wrap_identical: bool = False
) -> tuple[Path, Path]:
    """(A, B): a variant doing ``extra_pct`` % more work, and a plain copy of the baseline.

    For 0% A is the baseline's own files under another team name (identical entries), unless
    ``wrap_identical``: then the wrapper module with no extra work, which shows what the
    wrapper alone does to the measurement.
    """
    source = ROOT / "submissions" / "baseline" / event_id
    base = tmp / "baseline" / event_id
    if not base.exists():
        shutil.copytree(source, base)
    wrapped = extra_pct != 0 or wrap_identical
    team = f"res-plus-{extra_pct:g}".replace(".", "-") + ("" if wrapped else "-copy")
    variant = tmp / team / event_id
    if not variant.exists():
        shutil.copytree(base, variant)
        meta = json.loads((base / "submission.json").read_text())
        module = Path(scoring.entrypoint(base, meta)).stem
        if wrapped:
            (variant / VARIANT_MODULE).write_text(
                VARIANT_SOURCE.format(extra=extra_pct / 100.0, module=module)
            )
            meta["entrypoint"] = VARIANT_MODULE
        meta["team"]["id"] = team
        (variant / "submission.json").write_text(json.dumps(meta, indent=2))
    return variant, base


def summarise(record: dict, event_id: str) -> dict:
    """What the table needs from one scoring: samples per round, and the ranking's verdicts."""
    base = record.get("baseline") or {}
    out = {
        "status": record["status"],
        "speedup": base.get("speedup"),
        "estimator": base.get("estimator"),
        "interval": base.get("speedup_interval"),
        "order": base.get("order"),
        "interleaving": base.get("interleaving", "runs"),
        "wall_a": record["speed"]["samples"],
        "wall_b": base.get("speed_samples"),
        "cpu_a": (record.get("cpu") or {}).get("speed_samples"),
        "cpu_b": base.get("cpu_speed_samples"),
    }
    if record["status"] == "ok" and base:
        out["range_rule"] = ranking_verdict(record, with_interval=False)
        out["interval_rule"] = ranking_verdict(record, with_interval=True)
    return out


def ranking_verdict(record: dict, with_interval: bool) -> str:
    """'correct' (A below B), 'tie' or 'reversed' as scorer/leaderboard/ranking.py ranks A beside B."""
    rec_a = copy.deepcopy(record)
    rec_b = copy.deepcopy(record)
    samples = rec_a["baseline"]["speed_samples"]
    rec_b["team"] = BASELINE_TEAM
    rec_b["speed"].update(
        samples=samples, median=float(np.median(samples)), min=min(samples), max=max(samples)
    )
    rec_b["baseline"] = {
        "speedup": 1.0,
        "memory_ratio": 1.0,
        "speed_median": float(np.median(samples)),
        "memory_median": record["memory"]["median"],
        "content_hash": record["baseline"]["content_hash"],
        "speedup_interval": {"low": 1.0, "high": 1.0, "level": stats.LEVEL, "method": "self"},
    }
    if not with_interval:
        # The scorer before the paired interval: the ratio of the wall-clock medians, and the
        # repeats' min-max ranges.
        direction = EVENTS[record["event"]].speed.direction
        ratio = rec_b["speed"]["median"] / rec_a["speed"]["median"]
        rec_a["baseline"]["speedup"] = ratio if direction == "lower" else 1.0 / ratio
        for rec in (rec_a, rec_b):
            rec["baseline"].pop("speedup_interval", None)
    entries = [ranking.entry_from_record(r) for r in (rec_a, rec_b)]
    ranked = ranking.rank(entries, lambda e: ranking._speed_value(e, "speedup"), True)
    if ranked[1].tied_within_noise:
        return "tie"
    return "correct" if ranked[0].entry.team == BASELINE_TEAM else "reversed"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="mlp_sprint", help="comma-separated event ids")
    parser.add_argument("--runs", type=int, default=10, help="scorings per event and difference")
    parser.add_argument("--differences", default="0,3,10,30", help="extra work of A, in percent")
    parser.add_argument(
        "--repeats", type=int, default=DEFAULT_REPEATS, help="rounds planned per scoring"
    )
    parser.add_argument(
        "--max-rounds", type=int, default=DEFAULT_MAX_ROUNDS, help="rounds at most (as the CLI's)"
    )
    parser.add_argument(
        "--round-budget",
        type=float,
        default=DEFAULT_ROUND_BUDGET_S,
        help="seconds short rounds may fill past --max-rounds (as the CLI's); 0: never",
    )
    parser.add_argument(
        "--precision",
        type=float,
        default=DEFAULT_PRECISION,
        help="the scorer's precision target (as the CLI's); 0 for the planned rounds only",
    )
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="BLAS threads per child"
    )
    parser.add_argument(
        "--wrap-identical",
        action="store_true",
        help="for 0%%, score the wrapper doing no extra work instead of a plain copy",
    )
    parser.add_argument("--load", action="store_true", help="run a CPU-heavy neighbour meanwhile")
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="one whole run after the other in each round (the scorer's protocol before 0.7.0)",
    )
    parser.add_argument("--json", type=Path, help="save every scoring's samples here")
    parser.add_argument(
        "--analyze", type=Path, help="print the table of a saved --json file; runs nothing"
    )
    args = parser.parse_args()
    if args.analyze:
        saved = json.loads(args.analyze.read_text())
        print("\n".join(table(saved) + goals(saved)))
        return
    events = [e for e in args.events.split(",") if e]
    unknown = [e for e in events if e not in EVENTS]
    if unknown or args.runs < 1 or args.repeats < 2:
        raise SystemExit(
            f"--events: {', '.join(unknown) or '-'} unknown (use {', '.join(EVENTS)}); "
            "--runs must be at least 1 and --repeats at least 2"
        )
    diffs = [float(d) for d in args.differences.split(",") if d]
    neighbour = None
    if args.load:
        env = {
            **os.environ,
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        neighbour = subprocess.Popen([sys.executable, "-c", NEIGHBOUR], env=env)
    conditions = (
        f"{'loaded: one single-threaded matmul neighbour' if args.load else 'no added load'}, "
        f"{'sequential runs, ' if args.sequential else ''}--repeats {args.repeats}, --max-rounds {args.max_rounds}, --round-budget {args.round_budget:g}, --precision {args.precision:g}, --runs {args.runs}, --threads {args.threads}, {os.cpu_count()} CPUs"
    )
    machine = environment(args.threads, {})
    del machine["isolation"]  # decided per scoring; each record says which it got
    machine.update(scorer=__version__, started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    results = {"conditions": conditions, "machine": machine, "scorings": {}}
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="tinymlperf-resolution-") as tmp:
            job = scoring.Job(
                repeats=args.repeats,
                precision=args.precision or None,
                max_rounds=max(args.repeats, args.max_rounds),
                round_budget_s=args.round_budget or None,
                threads=args.threads,
                interleave=not args.sequential,
                data_folder=datasets.data_dir(),
                repo_root=Path(tmp),
                progress=Progress(quiet=True),
            )
            for event_id in events:
                for pct in diffs:
                    variant, base = make_pair(Path(tmp), event_id, pct, args.wrap_identical)
                    runs = results["scorings"].setdefault(f"{event_id}:{pct:g}", [])
                    for i in range(args.runs):
                        t0 = time.monotonic()
                        record = scoring.score_entry(variant, event_id, job, baseline=base)
                        runs.append(summarise(record, event_id))
                        runs[-1]["seconds"] = time.monotonic() - t0
                        iv = runs[-1]["interval"] or {}
                        print(
                            f"[{time.monotonic() - started:7.1f}s] {event_id} +{pct:g}% {i + 1}/{args.runs}: "
                            f"{record['status']}{(': ' + record['reason']) if record['reason'] else ''}, speed-up {runs[-1]['speedup'] or float('nan'):.4f} "
                            f"[{iv.get('low', float('nan')):.4f}, {iv.get('high', float('nan')):.4f}], "
                            f"range rule {runs[-1].get('range_rule', '-')}, {time.monotonic() - t0:.1f} s, "
                            f"load {loadavg()}",
                            file=sys.stderr,
                            flush=True,
                        )
                        if args.json:
                            args.json.write_text(json.dumps(results, indent=1))
    finally:
        if neighbour is not None:
            neighbour.terminate()
            neighbour.wait(timeout=10)
    print("\n".join(table(results) + goals(results)))


if __name__ == "__main__":
    main()
