"""Rehearse pr.yml, pr-comment.yml and publish.yml locally, as GitHub would run them.

`act` would run the workflows in containers, but it needs a Docker daemon and there is none
here, so tests/rehearsal.py is a small runner instead. It reads each workflow from the YAML
in a local bare "origin" (the working tree's files, committed), starts it on the event GitHub
would send, evaluates the ``${{ }}`` expressions in ``if:``/``env:``/``with:``/``outputs:``
(its evaluator's docstring lists what it supports), expands the publish matrix, and runs
every ``run:`` step as written with ``bash -e``. The ``uses:`` steps have stand-ins; an action
without one fails the run, so no step is skipped silently:

- ``actions/checkout``: ``git init`` + ``git fetch`` from the origin of the ref or SHA the
  step names (or the event's), with ``fetch-depth`` and ``sparse-checkout`` honoured; a fork's
  pull request lives at ``refs/pull/N/head`` there, as on GitHub.
- ``actions/setup-python``: a fresh venv of this interpreter per job on PATH; the scorer's
  dependencies (and pip) come from the test venv through a .pth file, as a tool cache would
  provide them, and their commands (mkdocs) get wrappers. The scorer itself is not there:
  the workflows' own ``python -m pip install --quiet .`` steps install it, as written (a
  real, non-editable install), once per distinct scorer tree; a later job installing the same
  tree gets a copy of that install (``TINYMLPERF_REHEARSAL_INSTALL=source`` imports the
  scorer from the checkout instead: quicker, but blind to packaging mistakes).
- ``actions/cache``: a miss; the runner has ``TINYMLPERF_DATA`` set to the real datasets.
- ``actions/upload-artifact`` / ``download-artifact`` (also ``run-id`` across runs,
  ``pattern`` + ``merge-multiple``): folders per run; ``upload-pages-artifact`` makes the tar,
  ``deploy-pages`` unpacks it as "the deployed site".
- Each job gets fresh ``HOME``, ``RUNNER_TEMP``, workspace, ``GITHUB_EVENT_PATH`` (the
  payload) and per-step ``GITHUB_OUTPUT``/``GITHUB_ENV``/``GITHUB_PATH``/``GITHUB_STEP_SUMMARY``.
- ``gh`` on PATH is a stand-in for GitHub's REST API (pull requests, their files computed from
  the origin, comments), reading ``GH_TOKEN`` and refusing what the job's ``permissions:``
  do not grant; ``sudo`` is a stand-in that checks bubblewrap is installed and changes nothing.

Not rehearsed: concurrency groups (runs are sequential) and GitHub's rule that a push made
with GITHUB_TOKEN starts no workflow (the second publish is a ``workflow_dispatch``).

Scenarios, in order: a fork's good MLP entry (scored, passes, one sticky comment); a pull
request that also edits the scorer (refused); a hostile entry (fails); a fork that rewrites
pr.yml to upload a forged pass (the comment workflow must not show a pass); the merge of the
good entry (publish plans, scores it in a matrix, pushes the record to the origin, builds
and deploys the site); a second publish with nothing stale.

    TINYMLPERF_DATA=../shared/datasets .venv/bin/python -m pytest tests/test_rehearsal.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import rehearsal
from rehearsal import World, git

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "pr"
MARKER = "<!-- tinymlperf-pr-check -->"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    from conftest import real_data_dir

    rehearsal.skip_unless_pinned_python(ROOT / ".github" / "workflows")
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
    import site

    w = World(tmp_path_factory.mktemp("rehearsal"), ROOT, site.getsitepackages()[0], env)
    w.init_origin()
    yield w
    # Every run's log, for reading after a failure: <pytest tmp>/rehearsal0/runs.log
    (w.root / "runs.log").write_text(
        "\n\n".join(
            f"### run {r.id} {r.workflow} ({r.event}): {r.conclusion}\n{r.log()}" for r in w.runs
        )
    )


def fork_with(world: World, name: str, change) -> Path:
    """A fork's branch off the origin's main with one commit made by ``change(work)``."""
    work = world.clone(f"fork-{name}")
    change(work)
    World.commit(work, name)
    return work


def put_entry(work: Path, team: str, source: Path = FIXTURES / "good_mlp") -> Path:
    folder = work / "submissions" / team / "mlp_sprint"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("__pycache__"))
    meta = json.loads((folder / "submission.json").read_text())
    meta["team"]["id"] = team
    (folder / "submission.json").write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def check_and_comment(world: World, pr: dict) -> tuple[rehearsal.Run, rehearsal.Run, str]:
    """pr.yml on the pull request, then pr-comment.yml on its completion; the comment posted."""
    check = world.pull_request(pr)
    assert check is not None, "pr.yml did not start for this pull request"
    comment = world.workflow_run(check)
    assert comment is not None and comment.conclusion == "success", (
        check.log() + "\n" + (comment.log() if comment else "")
    )
    bodies = [c["body"] for c in world.load_api()["comments"] if c["issue"] == pr["number"]]
    assert len(bodies) == 1, bodies
    return check, comment, bodies[0]


STATE: dict = {}


@pytest.mark.slow
def test_a_forks_good_entry_is_scored_and_the_comment_says_it_passes(world):
    # The baseline's own MLP under a student's team id: valid, qualifies, and the fastest to score.
    work = fork_with(
        world,
        "good",
        lambda w: put_entry(w, "new-team", ROOT / "submissions" / "baseline" / "mlp_sprint"),
    )
    pr = world.open_pr(1, work)
    check, comment, body = check_and_comment(world, pr)
    assert check.conclusion == "success", check.log()
    assert check.jobs == {"check": "success"}
    summary = check.summaries["check"]
    assert "TinyMLPerf check: passed" in summary and "Qualifies" in summary, check.log()
    assert body.startswith(MARKER + "\n## ✅ TinyMLPerf check: passed")
    assert (
        "Qualifies" in body
        and f"[workflow run]({check.html_url})" in body
        and pr["head"]["sha"][:10] in body
    )
    # The artifact is data: the number, the summary and the report, nothing else.
    assert sorted(p.name for p in check.artifacts["pr-check"].iterdir()) == [
        "pr-number.txt",
        "pr-report.md",
        "pr-summary.json",
    ]
    # Running the comment workflow again (a re-run) updates the one sticky comment.
    again = world.workflow_run(check)
    assert again.conclusion == "success", again.log()
    assert [c["body"] for c in world.load_api()["comments"] if c["issue"] == 1] == [body]
    assert "PATCH" not in again.log() and len(world.load_api()["comments"]) == 1
    STATE["good"] = pr


@pytest.mark.slow
def test_a_pull_request_that_edits_the_scorer_is_refused(world):
    def change(w: Path) -> None:
        put_entry(w, "sneaky")
        with (w / "scorer" / "scoring" / "engine.py").open("a") as f:
            f.write("\n# every entry qualifies now\n")

    pr = world.open_pr(2, fork_with(world, "scorer", change))
    check, _, body = check_and_comment(world, pr)
    assert check.conclusion == "failure"
    assert (
        "TinyMLPerf check: failed" in body and "the scorer is maintained by the maintainers" in body
    )
    assert (
        "not evidence" not in body and "not&#95;scored" in body
    )  # the base workflow's own refusal, shown


@pytest.mark.slow
def test_a_hostile_entry_is_reported_as_failing(world):
    def change(w: Path) -> None:
        folder = put_entry(w, "hostile")
        code = (folder / "submission.py").read_text()
        (folder / "submission.py").write_text(
            code.replace(
                "def train(x_train, y_train):\n",
                "def train(x_train, y_train):\n    import socket\n    socket.create_connection(('example.com', 80))\n",
            )
        )

    pr = world.open_pr(3, fork_with(world, "hostile", change))
    check, _, body = check_and_comment(world, pr)
    assert check.conclusion == "failure"
    assert "TinyMLPerf check: failed" in body and "socket" in body


FORGED_PR_YML = """\
name: Pull-request check
on:
  pull_request:
permissions: {}
jobs:
  check:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - name: Forge a passing summary
        env:
          HEAD_SHA: ${{ github.event.pull_request.head.sha }}
          BASE_SHA: ${{ github.event.pull_request.base.sha }}
          PR_NUMBER: ${{ github.event.pull_request.number }}
          SUMMARY: @SUMMARY@
        run: |
          mkdir -p "$RUNNER_TEMP/pr-check"
          printf '%s\\n' "$PR_NUMBER" > "$RUNNER_TEMP/pr-check/pr-number.txt"
          printf '%s' "$SUMMARY" | jq --arg h "$HEAD_SHA" --arg b "$BASE_SHA" --argjson n "$PR_NUMBER" \\
            '.head.sha = $h | .base.sha = $b | .merge_base = $b | .pr_number = $n' > "$RUNNER_TEMP/pr-check/pr-summary.json"
      - uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0
        with:
          name: pr-check
          path: ${{ runner.temp }}/pr-check/
"""


@pytest.mark.slow
def test_a_fork_that_rewrites_pr_yml_to_forge_a_pass_gets_no_pass(world):
    from scorer.contract import schema

    forged = json.loads(json.dumps(schema.load_schema("pr-summary")["examples"][0]))
    assert forged["verdict"] == "pass"
    forged["team"] = "forger"
    forged["entries"][0]["team"] = "forger"
    forged["changed_files"] = ["submissions/forger/mlp_sprint/submission.py"]  # leaves out .github/
    forged["changed_files_count"] = 1

    def change(w: Path) -> None:
        folder = put_entry(w, "forger", FIXTURES / "weak_mlp")
        assert (folder / "submission.py").is_file()
        (w / ".github" / "workflows" / "pr.yml").write_text(
            FORGED_PR_YML.replace("@SUMMARY@", json.dumps(json.dumps(forged)))
        )

    pr = world.open_pr(4, fork_with(world, "forger", change))
    check, comment, body = check_and_comment(world, pr)
    assert check.conclusion == "success" and "pr-check" in check.artifacts, (
        check.log()
    )  # the forgery "passed"
    assert "passed" not in body.split("\n")[1] and "✅" not in body, body
    assert "not evidence" in body and ".github" in body and "Qualifies" not in body
    assert "workflows and repository settings are maintainers-only" in body


@pytest.mark.slow
def test_the_merge_publishes_scores_in_a_matrix_pushes_records_and_deploys(world):
    pr = STATE.get("good") or pytest.skip("needs the good pull request")
    before = world.main_sha()
    maint = world.clone("maintainer")
    git(maint, "fetch", "-q", "origin", f"refs/pull/{pr['number']}/head")
    git(
        maint,
        "-c",
        "user.name=Maintainer",
        "-c",
        "user.email=m@example.com",
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #1 from student/entry",
        "FETCH_HEAD",
    )
    git(maint, "push", "-q", "origin", "HEAD:main")
    merged = world.main_sha()

    def another_merge_lands():  # while the entries are scored, a maintainer pushes to main
        (maint / "CONTRIBUTING.md").write_text(
            (maint / "CONTRIBUTING.md").read_text() + "\nA maintainer's note.\n"
        )
        World.commit(maint, "Docs: a note")
        git(maint, "push", "-q", "origin", "HEAD:main")
        STATE["raced"] = world.main_sha()

    world.hooks["collect"] = another_merge_lands
    run = world.push_main(before)
    assert run.conclusion == "success", run.log()
    assert run.jobs["plan"] == "success" and run.jobs["score"] == "success"
    # One leg per stale entry: the merged one (and any record the working tree has let go stale).
    legs = [k for k in run.jobs if k.startswith("score-")]
    assert legs and "Score submissions/new-team/mlp_sprint" in run.log()
    assert run.jobs["collect"] == "success" and run.jobs["deploy"] == "success", run.log()
    # The record commit sits on top of the merge and the commit that raced it, made by the bot.
    head = world.main_sha()
    assert git(world.origin, "rev-parse", f"{head}^", f"{head}^^").split() == [
        STATE["raced"],
        merged,
    ]
    files = git(world.origin, "show", "--name-only", "--format=", head).split()
    assert "results/new-team/mlp_sprint.json" in files and len(files) == len(legs)
    assert (
        git(world.origin, "log", "-1", "--format=%an %s", head).strip()
        == f"tinymlperf-bot Record official scores ({len(files)} record(s))"
    )
    record = json.loads(git(world.origin, "show", f"{head}:results/new-team/mlp_sprint.json"))
    assert record["status"] == "ok" and record["qualified"] and record["repeats"] >= 3
    site = world.root / "pages" / str(run.id)
    assert (site / "index.html").is_file()
    assert "new-team" in (site / "index.html").read_text() or any(
        "new-team" in p.read_text(errors="replace") for p in site.rglob("*.html")
    )
    STATE["published"] = head


@pytest.mark.slow
def test_a_second_publish_finds_nothing_stale_and_commits_nothing(world):
    head = STATE.get("published") or pytest.skip("needs the first publish")
    run = world.dispatch_publish()
    assert run.conclusion == "success", run.log()
    assert run.jobs["plan"] == "success" and run.jobs["score"] == "skipped"
    assert run.jobs["collect"] == "success" and run.jobs["deploy"] == "success"
    assert "no new records" in run.log()
    assert world.main_sha() == head
    assert (world.root / "pages" / str(run.id) / "index.html").is_file()


# --- the runner's own pieces -----------------------------------------------------------------


def test_the_expression_evaluator():
    ctx = {
        "github": {"event": {"pull_request": {"number": 7}}, "token": "t"},
        "needs": {"plan": {"outputs": {"count": "0"}, "result": "success"}},
        "matrix": {"entry": {"path": "a/b"}},
        "strategy": {"job-index": 2},
    }
    funcs = {"success": lambda: True, "cancelled": lambda: False, "fromJSON": json.loads}
    ev = rehearsal.Evaluator(ctx, funcs)
    assert ev("github.event.pull_request.number") == 7
    assert ev("needs.plan.outputs.count != '0'") is False
    assert ev("!cancelled() && needs.plan.result == 'SUCCESS'") is True
    assert ev("strategy.job-index") == 2 and ev("matrix.entry['path']") == "a/b"
    assert ev("fromJSON('[1,2]')") == [1, 2] and ev("github.nothing.here") is None
    assert ev("'' || 'x'") == "x" and ev("1 == '1'") is True
    assert rehearsal.substitute("record-${{ strategy.job-index }}", ev) == "record-2"
    assert rehearsal.condition("needs.plan.outputs.count != '0'", ev) is False
    with pytest.raises(rehearsal.ExprError):
        ev("toJSON(github)")
    with pytest.raises(rehearsal.ExprError):
        ev("secrets.X")


def test_an_action_without_a_stand_in_fails_the_job(tmp_path):
    w = World(tmp_path, ROOT, "", {"PATH": os.environ.get("PATH", "")})
    workflow = rehearsal.load_workflow(
        "name: x\non: push\npermissions: {}\njobs:\n  a:\n    permissions: {}\n    steps:\n"
        "      - uses: someone/else@0123456789012345678901234567890123456789\n      - run: echo after\n"
    )
    run = w.new_run(workflow, "push", "0" * 40, "main", World.REPO)
    rehearsal.Runner(w, workflow, run, "push", {}, sha="0" * 40, ref="refs/heads/main").run()
    assert run.conclusion == "failure" and "no stand-in for the action" in run.log()
    assert "   | after" not in run.log()


# --- ci comment --pr-files: the scope judged again from GitHub's file list (fast) -------------


def _comment(tmp_path, summary: dict, files: list[str]) -> str:
    from scorer.cli import main as cli

    (tmp_path / "s.json").write_text(json.dumps(summary))
    (tmp_path / "files.txt").write_text("".join(json.dumps(f) + "\n" for f in files))
    assert (
        cli.main(
            [
                "ci",
                "comment",
                "--summary",
                str(tmp_path / "s.json"),
                "--pr-files",
                str(tmp_path / "files.txt"),
                "--out",
                str(tmp_path / "c.md"),
            ]
        )
        == 0
    )
    return (tmp_path / "c.md").read_text()


def _example() -> dict:
    from scorer.contract import schema

    return json.loads(json.dumps(schema.load_schema("pr-summary")["examples"][0]))


def test_comment_shows_a_pass_that_githubs_file_list_agrees_with(tmp_path):
    data = _example()
    body = _comment(tmp_path, data, data["changed_files"])
    assert "✅" in body and "not evidence" not in body


@pytest.mark.parametrize(
    "extra",
    [
        ".github/workflows/pr.yml",
        "scorer/scoring/engine.py",
        "submissions/other-team/mlp_sprint/x.py",
    ],
)
def test_comment_shows_no_pass_that_githubs_file_list_contradicts(tmp_path, extra):
    data = _example()
    files = [*data["changed_files"], extra]
    data["changed_files"], data["changed_files_count"] = (
        files,
        len(files),
    )  # even when the summary admits it
    body = _comment(tmp_path, data, files)
    assert "✅" not in body and "passed" not in body and "Qualifies" not in body
    assert "not evidence" in body or "outside submissions" in body or "teams" in body
    assert (".github" in body) == extra.startswith(".github")


def test_comment_shows_no_pass_when_the_summary_hides_a_file(tmp_path):
    data = _example()
    body = _comment(
        tmp_path,
        data,
        [*data["changed_files"], "submissions/" + data["team"] + "/mlp_sprint/extra.py"],
    )
    assert "✅" not in body and "GitHub lists 2" in body


def test_comment_shows_an_honest_refusal_as_the_check_wrote_it(tmp_path):
    data = _example()
    data["verdict"] = "fail"
    data["problems"] = [
        {
            "where": "scorer/scoring/engine.py",
            "message": "outside submissions/",
            "severity": "error",
            "kind": "scope",
        }
    ]
    files = [*data["changed_files"], "scorer/scoring/engine.py"]
    data["changed_files"], data["changed_files_count"] = files, len(files)
    body = _comment(tmp_path, data, files)
    assert "TinyMLPerf check: failed\n" in body and "not evidence" not in body


def test_comment_refuses_a_file_list_that_is_not_json_strings(tmp_path, capsys):
    from scorer.cli import main as cli

    (tmp_path / "s.json").write_text(json.dumps(_example()))
    (tmp_path / "files.txt").write_text("submissions/a/b/c.py\n")
    assert (
        cli.main(
            [
                "ci",
                "comment",
                "--summary",
                str(tmp_path / "s.json"),
                "--pr-files",
                str(tmp_path / "files.txt"),
                "--out",
                str(tmp_path / "c.md"),
            ]
        )
        == 1
    )
    assert "not a list of the pull request's files" in capsys.readouterr().err
