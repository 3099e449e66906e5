"""``tinymlperf new``: write a starter submission folder that passes ``tinymlperf validate``.

Each event's starter (in ``scorer/validate/starters/<event>/``) is the simplest honest implementation of
the event's API; the events that load weights also get a ``train.py`` whose
``fit(train_split, out_dir, budget)`` makes them, as ``tinymlperf reproduce`` retrains them.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from scorer.contract.errors import UsageError
from scorer.contract.events import EVENTS
from scorer.validate.submission import LIB, TEAM_ID

# What a framework folder may hold that the validator does not allow (build and editor leftovers
# are left behind rather than refused).
_FRAMEWORK_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "*.egg-info", "*.so")

STARTERS = Path(__file__).with_name("starters")


def metadata(event_id: str, team: str) -> dict:
    event = EVENTS[event_id]
    return {
        "schema_version": 1,
        "team": {"id": team, "name": team, "members": [{"name": "Your Name"}]},
        "event": event_id,
        "entrypoint": "submission.py",
        "title": f"{event.name} starter",
        "description": "The starter from `tinymlperf new`: replace this with what your entry does and why it is fast.",
        "techniques": [],
        "innovation": False,
        "license": "MIT",
        "claimed": {},
        "created": date.today().isoformat(),
    }


def write(target: Path, event_id: str, team: str) -> Path:
    if not TEAM_ID.match(team):
        raise UsageError(f"--team {team!r}: a team id is 2-40 characters of a-z, 0-9 and '-'")
    if target.exists() and any(target.iterdir()):
        raise UsageError(
            f"{target} already exists and is not empty; choose another --dir or remove it"
        )
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted((STARTERS / event_id).glob("*.py")):
        shutil.copyfile(source, target / source.name)
    (target / "submission.json").write_text(
        json.dumps(metadata(event_id, team), indent=2) + "\n", encoding="utf-8"
    )
    event = EVENTS[event_id]
    api = "\n".join(f"    {line}" for line in event.api)
    (target / "README.md").write_text(
        f"# {event.name} entry of {team}\n\n{event.summary}\n\nThe API the scorer calls:\n\n{api}\n\n"
        "Describe your approach here: architecture, what you optimised and what you traded.\n",
        encoding="utf-8",
    )
    return target


def add_framework(team_dir: Path, framework: Path) -> Path:
    """Copy a framework package (a folder with ``__init__.py``) into ``<team>/lib/<name>/``.

    One copy serves all the team's events: the sandbox puts ``lib/`` on each entry's import
    path, so ``from tinytorch.core.tensor import Tensor`` works as it does in the course.
    """
    if not (framework / "__init__.py").is_file():
        raise UsageError(
            f"--framework {framework}: not a Python package (no __init__.py); "
            "point it at the package folder itself, e.g. .../TinyTorch/tinytorch"
        )
    dest = team_dir / LIB / framework.name
    if dest.exists():
        raise UsageError(f"{dest} already exists; remove it first to copy a newer {framework.name}")
    shutil.copytree(framework, dest, ignore=_FRAMEWORK_SKIP)
    return dest
