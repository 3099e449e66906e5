"""The scorer as the workflows install it: ``pip install .``, not editable, run outside the tree.

pr.yml, pr-comment.yml and publish.yml install the package with ``python -m pip install .``; an
installed scorer must find everything it reads (schemas, templates, starters) inside itself.
These tests build the wheel from a copy of the source, install it (without dependencies) into a
fresh virtual environment whose third-party packages come from the development venv through a
.pth line, check that ``scorer`` is imported from that environment and not from the checkout,
and run ``tinymlperf validate``, ``plan``, ``new``, ``run`` and ``build`` with the working
folder outside the source tree.

    .venv/bin/python -m pytest tests/test_installed.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import real_data_dir

from scorer.contract import schema

ROOT = Path(__file__).resolve().parent.parent
SITE_FIXTURE = ROOT / "tests" / "fixtures" / "site" / "repo"
CENTROID = ROOT / "tests" / "fixtures" / "events" / "centroid" / "mlp_sprint"
MOVED = {"docs/schemas": "scorer/contract/schemas", "site_templates": "scorer/site/templates"}


def test_the_package_data_has_no_second_copy_in_the_repository():
    """The schemas and templates live once, in the package; the build publishes the schemas."""
    for old, new in MOVED.items():
        assert not (ROOT / old).exists() or not any((ROOT / old).rglob("*.*")), (
            f"{old}/ moved to {new}/ (package data, so `pip install .` ships it); "
            f"put the files there instead"
        )
    names = sorted(p.name for p in (ROOT / "scorer" / "contract" / "schemas").glob("*.schema.json"))
    assert names == sorted(f"{n}.schema.json" for n in schema.SCHEMA_NAMES)


def _run(cmd, *, cwd, env, timeout=120, ok=(0,)):
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode in ok, f"{cmd}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv, wheel, env): the wheel built from a copy of the source, installed into a fresh venv."""
    tmp = tmp_path_factory.mktemp("installed")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "scorer", src / "scorer", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["NO_MKDOCS_2_WARNING"] = "1"
    dist = tmp / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            dist,
            src,
        ],
        cwd=tmp,
        env=env,
        timeout=180,
    )
    wheel = next(dist.glob("tinymlperf-*.whl"))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=env)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            venv / "bin" / "python",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            wheel,
        ],
        cwd=tmp,
        env=env,
        timeout=180,
    )
    # Third-party dependencies from the development venv, appended after the new venv's own
    # site-packages (a plain path line: the dev venv's editable-install hook is not run).
    site = Path(
        _run(
            [
                venv / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            cwd=tmp,
            env=env,
        ).stdout.strip()
    )
    (site / "zz-dev-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return venv, wheel, env


def test_the_wheel_ships_every_resource_the_scorer_reads(installed):
    _, wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for n in schema.SCHEMA_NAMES:
        assert f"scorer/contract/schemas/{n}.schema.json" in names
    templates = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "scorer" / "site" / "templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert templates and set(templates) <= names, sorted(set(templates) - names)
    starters = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "scorer" / "validate" / "starters").rglob("*.py")
    ]
    assert set(starters) <= names


@pytest.mark.slow
def test_the_installed_scorer_validates_runs_and_builds_outside_the_tree(installed, tmp_path):
    venv, _, env = installed
    work = tmp_path / "work"
    shutil.copytree(SITE_FIXTURE, work)
    where = _run(
        [venv / "bin" / "python", "-c", "import scorer; print(scorer.__file__)"], cwd=work, env=env
    ).stdout.strip()
    assert Path(where).resolve().is_relative_to(venv.resolve()), f"scorer imported from {where}"
    tinymlperf = venv / "bin" / "tinymlperf"

    # validate and plan read the schemas
    entry = work / "submissions" / "centroid" / "mlp_sprint"
    shutil.copytree(CENTROID, entry)
    meta = json.loads((entry / "submission.json").read_text())
    assert meta["team"]["id"] == "centroid"
    out = _run([tinymlperf, "validate", entry], cwd=work, env=env)
    assert "1 of 1 submission(s) valid" in out.stderr
    plan = json.loads(_run([tinymlperf, "plan", "--json"], cwd=work, env=env).stdout)
    assert {
        "team": "centroid",
        "event": "mlp_sprint",
        "path": "submissions/centroid/mlp_sprint",
    } in plan

    # new reads the starters
    _run([tinymlperf, "new", "--event", "mlp_sprint", "--team", "new-team"], cwd=work, env=env)
    assert (work / "submissions" / "new-team" / "mlp_sprint" / "submission.py").is_file()
    _run([tinymlperf, "validate", "submissions/new-team/mlp_sprint"], cwd=work, env=env)

    # run scores the entry in the sandbox on the real data (the centroid is fast, and may miss
    # the threshold: exit 1 then, with a record all the same)
    data = real_data_dir()
    if data is not None:
        record_path = tmp_path / "record.json"
        _run(
            [
                tinymlperf,
                "run",
                "--event",
                "mlp_sprint",
                "--submission",
                entry,
                "--repeats",
                "1",
                "--data",
                data,
                "--json",
                record_path,
            ],
            cwd=work,
            env=env,
            timeout=300,
            ok=(0, 1),
        )
        record = json.loads(record_path.read_text())
        assert record["status"] in ("ok", "below_threshold"), record["reason"]
        assert record["quality"]["median"] is not None
        assert schema.validate(record, "result") == []

    # build reads the templates and publishes the packaged schemas
    shutil.rmtree(work / "submissions" / "centroid")
    shutil.rmtree(work / "submissions" / "new-team")
    out = _run([tinymlperf, "build"], cwd=work, env=env)
    docs = work / "build" / "docs"
    assert "built" in out.stderr and (docs / "index.md").is_file()
    assert (docs / "events" / "mlp_sprint.md").is_file() and (
        docs / "submission-format.md"
    ).is_file()
    assert list((docs / "badges").rglob("*.svg"))
    for n in schema.SCHEMA_NAMES:
        assert (docs / "schemas" / f"{n}.schema.json").read_bytes() == (
            ROOT / "scorer" / "contract" / "schemas" / f"{n}.schema.json"
        ).read_bytes()
    myst = work / "build" / "myst"
    _run([tinymlperf, "build", "--format", "myst"], cwd=work, env=env)
    assert list(myst.rglob("*.md"))
