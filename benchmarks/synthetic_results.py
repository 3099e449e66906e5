"""Writes a synthetic repository of many valid result records: the site at scale, for timing and
for the browser tests.

    .venv/bin/python benchmarks/synthetic_results.py OUT_DIR [--records 3000] [--seed 1]

OUT_DIR gets results/<team>/<event>.json (each valid against scorer/contract/schemas/result.schema.json),
submissions/<team>/<event>/submission.json (valid against submission.schema.json), an
awards.yml, and a copy of mkdocs.yml and docs/ from this checkout, so ``build_site(OUT_DIR)``
and ``mkdocs build`` run there as in the real repository. Teams enter the three events in turn
(records/3 teams: 1,000 at the default 3,000 records); about 85% of the records qualify, the
rest carry one of the schema's failure statuses; each entry lists one to three techniques from
the submission schema's vocabulary; some carry a scoring history. benchmarks/build_scale.py
and tests/test_browser.py use ``write_repo``. The numbers come from a seeded generator: the
same arguments give the same files.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

from scorer.contract.events import EVENTS

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "scorer" / "contract" / "schemas"
HASH = "sha256:" + "0" * 64
# Baseline speed and memory per event, the scale the synthetic entries vary around.
BASE = {
    "mlp_sprint": (0.4, 200.0),
    "cnn_marathon": (0.8, 300.0),
    "transformer_decathlon": (1000.0, 400.0),
}
# The vocabularies come from the schemas, so the synthetic site shows every status and technique
# the real one can.
_STATUSES = json.loads((SCHEMAS / "result.schema.json").read_text())["properties"]["status"]["enum"]
FAILURES = tuple(s for s in _STATUSES if s != "ok")
TECHNIQUES = tuple(
    next(
        alt["enum"]
        for alt in json.loads((SCHEMAS / "submission.schema.json").read_text())["properties"][
            "techniques"
        ]["items"]["anyOf"]
        if "enum" in alt
    )
)
# Team display names: varied lengths (one long enough to test wrapping) and non-ASCII letters.
ADJECTIVES = (
    "Fast",
    "Tiny",
    "Lazy",
    "Sparse",
    "Dense",
    "Quantised",
    "Fused",
    "Éclair",
    "Ünderflow",
    "Strided",
    "Blocked",
    "Cached",
)
NOUNS = (
    "Tensors",
    "Kernels",
    "Gradients",
    "Matmuls",
    "Pandas",
    "Owls",
    "Lemmings",
    "Broadcasters",
    "Accumulators of Rather Long Names For Wrapping Tests",
)


def _block(metric, unit, direction, median, rng, **extra):
    samples = [round(median * (1 + rng.uniform(-0.05, 0.05)), 6) for _ in range(2)] + [median]
    return {
        "metric": metric,
        "unit": unit,
        "direction": direction,
        "median": median,
        "min": min(samples),
        "max": max(samples),
        "spread": round((max(samples) - min(samples)) / median, 6),
        "samples": samples,
        **extra,
    }


def make_record(team: str, event: str, rng: random.Random, day: int) -> dict:
    ev = EVENTS[event]
    base_speed, base_mem = BASE[event]
    ok = rng.random() < 0.85
    status = "ok" if ok else rng.choice(FAILURES)
    speedup = round(rng.lognormvariate(0.3, 0.5), 6)
    ratio = round(rng.lognormvariate(-0.2, 0.3), 6)
    speed = base_speed / speedup if ev.speed.direction == "lower" else base_speed * speedup
    if ev.quality.direction == "higher":
        quality = round(ev.threshold + rng.uniform(0.0, 0.04), 4)
    else:
        quality = round(ev.threshold - rng.uniform(0.0, 1.0), 4)
    when = f"2026-{9 + day // 28:02d}-{1 + day % 28:02d}T{rng.randrange(24):02d}:00:00Z"
    history = []
    if rng.random() < 0.2:
        history.append(
            {
                "status": "ok",
                "qualified": True,
                "quality": quality,
                "speed": round(speed * 1.3, 6),
                "memory": base_mem * ratio * 1.1,
                "speedup": round(speedup / 1.3, 6),
                "memory_ratio": round(ratio * 1.1, 6),
                "content_hash": HASH,
                "commit": None,
                "scorer_version": "0.1.0",
                "finished_at": f"2026-08-{1 + day % 28:02d}T00:00:00Z",
            }
        )
    return {
        "schema_version": 1,
        "team": team,
        "event": event,
        "status": status,
        "reason": "" if ok else f"synthetic {status}",
        "qualified": ok,
        "quality": _block(
            ev.quality.key,
            ev.quality.unit,
            ev.quality.direction,
            quality,
            rng,
            threshold=ev.threshold,
        ),
        "speed": _block(ev.speed.key, ev.speed.unit, ev.speed.direction, round(speed, 6), rng),
        "memory": _block(
            "peak_memory", "MiB", "lower", round(base_mem * ratio, 3), rng, method="cgroup-v2-peak"
        ),
        "extra": {},
        "baseline": {
            "speedup": speedup,
            "memory_ratio": ratio,
            "speed_median": base_speed,
            "memory_median": base_mem,
            "content_hash": HASH,
        },
        "claimed": [],
        "repeats": 3,
        "flags": [],
        "phases": {},
        "submission": {
            "path": f"submissions/{team}/{event}",
            "content_hash": HASH,
            "commit": f"{rng.getrandbits(160):040x}",
            "title": f"{team} {event}",
            "created": when[:10],
        },
        "scorer_version": "0.1.0",
        "datasets": {},
        "environment": {
            "cpu": "synthetic",
            "cores": 2,
            "python": "3.11",
            "numpy": "2.4",
            "blas": "openblas",
            "os": "Linux",
            "threads": 2,
            "isolation": {},
        },
        "started_at": when,
        "finished_at": when,
        "history": history,
    }


def team_name(index: int) -> str:
    """A display name for team ``index``, unique through the number it ends with."""
    return f"{ADJECTIVES[index % len(ADJECTIVES)]} {NOUNS[index // 7 % len(NOUNS)]} {index}"


def make_metadata(team: str, name: str, event: str, created: str, rng: random.Random) -> dict:
    techniques = rng.sample(TECHNIQUES, rng.randint(1, 3))
    return {
        "schema_version": 1,
        "team": {"id": team, "name": name, "members": [{"name": "A. Student"}]},
        "event": event,
        "entrypoint": "submission.py",
        "title": f"{name}: {event}",
        "description": "Synthetic entry for the scale benchmark.",
        "techniques": techniques,
        "innovation": rng.random() < 0.05,
        "license": "MIT",
        "claimed": {},
        "created": created,
    }


def write_repo(out: Path, records: int = 3_000, seed: int = 1) -> Path:
    """Create ``out`` (which must not exist or be empty) holding ``records`` records."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"{out} is not empty; give a new folder")
    rng = random.Random(seed)
    events = list(EVENTS)
    awards = []
    for i in range(records):
        team, event = f"team-{i // len(events):05d}", events[i % len(events)]
        rec = make_record(team, event, rng, day=i % 84)
        path = out / "results" / team / f"{event}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rec, indent=1) + "\n")
        sub = out / "submissions" / team / event
        sub.mkdir(parents=True, exist_ok=True)
        meta = make_metadata(
            team, team_name(i // len(events)), event, rec["submission"]["created"], rng
        )
        rec["submission"]["title"] = meta["title"]
        (sub / "submission.json").write_text(json.dumps(meta, indent=1) + "\n")
        if i % 997 == 0:
            awards.append(
                f"  - {{team: {team}, event: {event}, title: Synthetic award, "
                f"citation: For the benchmark., date: '2026-11-{1 + i % 28:02d}'}}"
            )
    (out / "awards.yml").write_text("awards:\n" + "\n".join(awards) + "\n")
    shutil.copy(REPO / "mkdocs.yml", out / "mkdocs.yml")
    shutil.copytree(REPO / "docs", out / "docs")
    shutil.copytree(
        REPO / "scorer" / "site" / "templates" / "theme",
        out / "scorer" / "site" / "templates" / "theme",
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--records", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_repo(args.out, args.records, args.seed)
    print(f"wrote {args.records} records into {args.out}")


if __name__ == "__main__":
    main()
