"""Checks of .github/workflows/: zizmor (offline), the GitHub workflow schema, and our own rules.

Our rules: every action pinned to a 40-hex commit with a `# vX.Y.Z` comment (one commit per
action across all workflows); no `pull_request_target`; no `${{ }}` expression inside a `run:`
script (values reach scripts through `env:`); `permissions: {}` at the top and explicit
permissions on every job; checkouts never keep credentials; the pull-request check holds a
read-only token and no secrets.

    .venv/bin/python -m pytest tests/test_workflows.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scorer.contract.events import EVENTS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)\s*(?:#\s*(\S+))?\s*$")
PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(data: dict):
    for job_id, job in data["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def tool(name: str) -> str | None:
    found = Path(sys.executable).with_name(name)
    return str(found) if found.exists() else shutil.which(name)


def test_the_five_workflows_exist():
    assert {p.name for p in FILES} >= {
        "pr.yml",
        "pr-comment.yml",
        "publish.yml",
        "tests.yml",
        "reproduce.yml",
    }


def test_zizmor_finds_nothing_offline():
    zizmor = tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install -e '.[dev]')")
    out = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--color", "never", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_workflows_match_the_github_workflow_schema():
    checker = tool("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    out = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", *map(str, FILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path):
    for line in path.read_text().splitlines():
        match = USES.match(line)
        if match:
            ref, comment = match.groups()
            assert PIN.match(ref), f"{path.name}: {ref} is not pinned to a full commit"
            assert comment and re.fullmatch(r"v\d+\.\d+\.\d+", comment), (
                f"{path.name}: {ref} lacks a # vX.Y.Z comment"
            )


def test_one_commit_per_action_across_workflows():
    pins: dict[str, set[str]] = {}
    for path in FILES:
        for line in path.read_text().splitlines():
            match = USES.match(line)
            if match:
                action, _, sha = match.group(1).partition("@")
                pins.setdefault(action, set()).add(f"{sha} {match.group(2)}")
    assert all(len(v) == 1 for v in pins.values()), pins


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_pull_request_target_and_no_expressions_in_scripts(path):
    data = load(path)
    triggers = data["on"] if isinstance(data["on"], dict) else {t: None for t in [data["on"]]}
    assert "pull_request_target" not in triggers
    for job_id, step in steps(data):
        script = step.get("run", "")
        assert "${{" not in script, (
            f"{path.name}: job {job_id} step {step.get('name')!r} puts an expression in its script; pass it through env:"
        )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_privilege_permissions_and_no_kept_credentials(path):
    data = load(path)
    assert data.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    for job_id, job in data["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {job_id} has no permissions block"
        assert "write-all" not in str(job["permissions"])
    for job_id, step in steps(data):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, (
                f"{path.name}: {job_id} keeps git credentials"
            )


def test_the_pull_request_check_is_read_only_and_secret_free():
    data = load(WORKFLOWS / "pr.yml")
    assert set(data["on"]) == {"pull_request"}
    assert data["on"]["pull_request"]["paths"] == ["submissions/**"]
    assert [job["permissions"] for job in data["jobs"].values()] == [{"contents": "read"}]
    text = (WORKFLOWS / "pr.yml").read_text()
    assert "secrets." not in text and "github.token" not in text
    runs = " ".join(step.get("run", "") for _, step in steps(data))
    assert "tinymlperf ci pr" in runs and "pip install --quiet ./base" in runs
    checkouts = [
        step["with"]
        for _, step in steps(data)
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert [c.get("sparse-checkout") for c in checkouts] == [None, "submissions"]


def test_the_comment_workflow_treats_the_artifact_as_data():
    data = load(WORKFLOWS / "pr-comment.yml")
    assert data["on"]["workflow_run"]["workflows"] == [load(WORKFLOWS / "pr.yml")["name"]]
    (job,) = data["jobs"].values()
    assert job["permissions"] == {"actions": "read", "contents": "read", "pull-requests": "write"}
    runs = "\n".join(step.get("run", "") for _, step in steps(data))
    assert (
        "tinymlperf ci comment" in runs
        and "--input" in runs
        and "<!-- tinymlperf-pr-check -->" in runs
    )
    # The only suppressed zizmor findings are the triggers these designs need (this one and
    # reproduce.yml's, started by the publish workflow).
    ignores = {
        p.name: [line for line in p.read_text().splitlines() if "zizmor: ignore" in line]
        for p in FILES
    }
    assert {k: v for k, v in ignores.items() if v} == {
        name: ["  workflow_run: # zizmor: ignore[dangerous-triggers]"]
        for name in ("pr-comment.yml", "reproduce.yml")
    }


def test_publish_plans_scores_collects_and_deploys():
    data = load(WORKFLOWS / "publish.yml")
    assert set(data["on"]) == {"push", "schedule", "workflow_dispatch"}
    assert data["concurrency"]["cancel-in-progress"] is False
    jobs = data["jobs"]
    assert list(jobs) == ["plan", "score", "collect", "deploy"]
    assert "fromJSON(needs.plan.outputs.matrix)" in str(jobs["score"]["strategy"]["matrix"])
    assert jobs["collect"]["permissions"] == {"contents": "write"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    used = [step.get("uses", "").split("@")[0] for step in jobs["deploy"]["steps"]]
    assert used[-2:] == ["actions/upload-pages-artifact", "actions/deploy-pages"]
    for job_id in ("plan", "score"):
        assert jobs[job_id]["permissions"] == {"contents": "read"}


def test_reproduce_retrains_after_a_publish_or_on_request_and_commits_like_publish():
    data = load(WORKFLOWS / "reproduce.yml")
    assert set(data["on"]) == {"workflow_dispatch", "workflow_run"}
    assert data["on"]["workflow_run"]["workflows"] == [load(WORKFLOWS / "publish.yml")["name"]]
    assert set(data["on"]["workflow_dispatch"]["inputs"]) == {"team", "event"}
    assert data["on"]["workflow_dispatch"]["inputs"]["event"]["options"] == [
        e for e, ev in EVENTS.items() if ev.loads_weights
    ]
    assert data["concurrency"] == {"group": "reproduce", "cancel-in-progress": False}
    jobs = data["jobs"]
    assert list(jobs) == ["plan", "reproduce", "collect"]
    assert jobs["plan"]["permissions"] == jobs["reproduce"]["permissions"] == {"contents": "read"}
    assert jobs["collect"]["permissions"] == {"contents": "write"}
    runs = {
        job_id: "\n".join(s.get("run", "") for s in job["steps"]) for job_id, job in jobs.items()
    }
    assert "tinymlperf plan --reproduce --json" in runs["plan"]
    assert (
        "tinymlperf reproduce --submission" in runs["reproduce"] and "--record" in runs["reproduce"]
    )
    # The commit step is publish's, word for word but for its messages.
    publish = load(WORKFLOWS / "publish.yml")["jobs"]["collect"]["steps"]
    ours = next(
        s for s in jobs["collect"]["steps"] if s.get("name") == "Commit the records to results/"
    )
    theirs = next(s for s in publish if s.get("name") == "Commit the records to results/")
    assert ours["env"] == {k: v for k, v in theirs["env"].items()}
    strip = re.compile(r'(echo|-m) "[^"]*"|#.*')
    assert [strip.sub("", x) for x in ours["run"].splitlines()] == [
        strip.sub("", x) for x in theirs["run"].splitlines()
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_script_parses_as_bash(path, tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    for job_id, step in steps(load(path)):
        if "run" in step:
            script = tmp_path / "step.sh"
            script.write_text(step["run"])
            out = subprocess.run(
                [bash, "-n", str(script)], capture_output=True, text=True, check=False
            )
            assert out.returncode == 0, f"{path.name}: {job_id} {step.get('name')!r}: {out.stderr}"


# --- reproduce.yml, rehearsed (tests/rehearsal.py runs it as GitHub would) -------------------

TINY = ROOT / "tests" / "exploits" / "weights" / "prototypes"
ENTRY = "submissions/exploit/cnn_marathon"
RECORD = "results/exploit/cnn_marathon.json"


def _tiny_entry_files(data: Path, tmp: Path) -> dict[str, bytes]:
    """The tiny prototypes entry with the weights its fit() makes, and a qualified record of
    those very files (made from the baseline's, faster than it: the event's record holder), so
    the plan after a publish picks it. Its accuracy is far below the threshold; only the plan
    reads the record's status."""
    from conftest import save_prototype_weights

    from scorer.contract import results
    from scorer.scoring import datasets
    from scorer.validate import submission

    folder = tmp / "exploit" / "cnn_marathon"
    shutil.copytree(TINY, folder)
    cifar = datasets.load_cifar10(data)
    save_prototype_weights(folder / "weights.npz", cifar["x_train"][:2000], cifar["y_train"][:2000])
    record = results.load_record(ROOT / "results" / "baseline" / "cnn_marathon.json")
    record = json.loads(json.dumps(dict(record, team="exploit")))
    record.pop("provenance", None)
    record["submission"].update(
        path=ENTRY, content_hash=submission.content_hash(folder), commit=None
    )
    record["speed"]["median"] = record["speed"]["median"] / 2
    files = {f"{ENTRY}/{p.name}": p.read_bytes() for p in folder.iterdir()}
    files[RECORD] = results.dumps(record).encode()
    return files


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import os
    import site

    from conftest import real_data_dir
    from rehearsal import World, skip_unless_pinned_python

    skip_unless_pinned_python(WORKFLOWS)
    data = real_data_dir()
    if data is None:
        pytest.skip(
            "the real datasets are not here: set TINYMLPERF_DATA to a copy of shared/datasets"
        )
    venv_bin = str(Path(sys.executable).parent)
    path = ":".join(
        p
        for p in os.environ.get("PATH", "/usr/bin:/bin").split(":")
        if p and Path(p).resolve() != Path(venv_bin).resolve()
    )
    env = {"PATH": path, "LANG": "C.UTF-8", "TINYMLPERF_DATA": str(Path(data).resolve())}
    env.update({k: v for k, v in os.environ.items() if k.startswith("TINYMLPERF_SANDBOX")})
    root = tmp_path_factory.mktemp("reproduce-rehearsal")
    w = World(root, ROOT, site.getsitepackages()[0], env)
    w.init_origin(_tiny_entry_files(Path(data), tmp_path_factory.mktemp("entry")))
    yield w
    (w.root / "runs.log").write_text(
        "\n\n".join(
            f"### run {r.id} {r.workflow} ({r.event}): {r.conclusion}\n{r.log()}" for r in w.runs
        )
    )


def _publish_done(world, conclusion: str):
    from rehearsal import Run

    return Run(
        id=900 + len(world.runs),
        workflow=load(WORKFLOWS / "publish.yml")["name"],
        event="push",
        head_sha=world.main_sha(),
        head_branch="main",
        head_repo=world.REPO,
        conclusion=conclusion,
    )


def _provenance(world) -> dict:
    from rehearsal import git

    return json.loads(git(world.origin, "show", f"main:{RECORD}"))["provenance"]


@pytest.mark.slow
def test_rehearsal_a_failed_publish_starts_no_retraining(world):
    before = world.main_sha()
    run = world.workflow_run(_publish_done(world, "failure"), "reproduce.yml")
    assert run.conclusion == "success" and set(run.jobs.values()) == {"skipped"}, run.log()
    assert world.main_sha() == before


@pytest.mark.slow
def test_rehearsal_after_a_publish_the_new_record_holder_is_retrained_and_recorded(world):
    from rehearsal import git

    before = world.main_sha()
    run = world.workflow_run(_publish_done(world, "success"), "reproduce.yml")
    assert run.conclusion == "success", run.log()
    assert run.jobs["plan"] == "success" and run.jobs["collect"] == "success", run.log()
    assert f"Retrain {ENTRY}" in run.log()
    head = world.main_sha()
    assert git(world.origin, "rev-parse", f"{head}^").strip() == before
    assert git(world.origin, "show", "--name-only", "--format=%an %s", head).split() == [
        "tinymlperf-bot",
        "Record",
        "weights",
        "provenance",
        "(1",
        "record(s))",
        RECORD,
    ]
    block = _provenance(world)
    assert block["status"] == "reproduced" and block["files"] == ["weights.npz"], block
    # Recorded: the next publish's plan has no record holder left to retrain.
    again = world.workflow_run(_publish_done(world, "success"), "reproduce.yml")
    assert again.jobs["plan"] == "success" and again.jobs["reproduce"] == "skipped", again.log()
    assert world.main_sha() == head


@pytest.mark.slow
def test_rehearsal_a_maintainer_asks_again_and_the_old_block_moves_into_history(world):
    first = _provenance(world)
    run = world.dispatch("reproduce.yml", {"team": "exploit", "event": "cnn_marathon"})
    assert run.conclusion == "success", run.log()
    block = _provenance(world)
    assert block["status"] == "reproduced" and block["finished_at"] >= first["finished_at"]
    assert [h["status"] for h in block["history"]] == ["reproduced"]


@pytest.mark.slow
def test_rehearsal_a_dispatch_naming_no_real_team_fails_in_the_plan(world):
    before = world.main_sha()
    run = world.dispatch("reproduce.yml", {"team": "../../etc", "event": "cnn_marathon"})
    assert run.conclusion == "failure" and run.jobs["plan"] == "failure", run.log()
    assert "not a team id" in run.log() and run.jobs["reproduce"] == "skipped"
    assert world.main_sha() == before


def test_the_workflows_pin_one_python_besides_the_test_matrix():
    # The rehearsal runs pr.yml, publish.yml, ... with the interpreter it has, so they pin one
    # version; tests.yml's matrix (3.10 and 3.11) is an expression and not counted.
    from rehearsal import pinned_python

    assert pinned_python(WORKFLOWS) == {"3.11"}
