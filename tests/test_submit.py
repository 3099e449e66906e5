"""Tests of ``tinymlperf submit`` in a temporary git repository.

The refusals (branch exists, invalid entry, a dirty target folder, not a checkout) come before
any scoring and are fast; the tests that score on the real MNIST data are marked slow and use
``--repeats 1``. The slow happy path also runs ``tinymlperf ci pr`` on the branch submit made,
which is what the pull request will meet.

    .venv/bin/python -m pytest tests/test_submit.py
"""

from __future__ import annotations

import json

import pytest
from test_ci_pr import FIXTURES, git, make_repo, put_entry

from scorer.cli import main as cli

BRANCH = "submit/new-team/mlp_sprint"


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def submit(repo, *extra, data=None):
    argv = [
        "submit",
        "--repo",
        str(repo),
        "--event",
        "mlp_sprint",
        "--team",
        "new-team",
        "--repeats",
        "1",
        *extra,
    ]
    if data is not None:
        argv += ["--data", str(data)]
    return cli.main(argv)


def test_refuses_when_the_branch_exists(repo, capsys):
    put_entry(repo, "new-team")
    git(repo, "branch", BRANCH)
    assert submit(repo) == 1
    err = capsys.readouterr().err
    assert f"branch {BRANCH} already exists" in err and "git branch -D" in err
    assert len(err.strip().splitlines()) == 1


def test_refuses_an_invalid_entry_before_scoring(repo, capsys):
    folder = put_entry(repo, "new-team")
    (folder / "submission.py").write_text("import torch\n\ndef train(x, y):\n    return None\n")
    assert submit(repo) == 1
    err = capsys.readouterr().err
    assert "the entry is invalid" in err and "torch" in err and "tinymlperf validate" in err
    assert git(repo, "branch", "--list", BRANCH) == ""


def test_refuses_to_overwrite_uncommitted_work_with_from(repo, capsys):
    mine = put_entry(repo, "new-team")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "my entry")
    (mine / "submission.py").write_text((mine / "submission.py").read_text() + "# unsaved idea\n")
    assert submit(repo, "--from", str(FIXTURES / "good_mlp")) == 1
    assert "uncommitted changes" in capsys.readouterr().err


def test_refuses_a_missing_folder_and_a_non_checkout(repo, tmp_path, capsys):
    assert submit(repo) == 2
    assert "tinymlperf new --event mlp_sprint --team new-team" in capsys.readouterr().err
    plain = tmp_path / "plain"
    plain.mkdir()
    assert (
        cli.main(["submit", "--repo", str(plain), "--event", "mlp_sprint", "--team", "new-team"])
        == 2
    )
    assert "not inside a git checkout" in capsys.readouterr().err


def test_refuses_the_baseline_team(repo, capsys):
    assert (
        cli.main(["submit", "--repo", str(repo), "--event", "mlp_sprint", "--team", "baseline"])
        == 2
    )
    assert "maintainers-only" in capsys.readouterr().err


@pytest.mark.slow
def test_makes_the_branch_with_one_commit_then_refuses_a_second_time(
    repo, data_dir, capsys, tmp_path
):
    folder = put_entry(repo, "new-team")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "submission.cpython-311.pyc").write_bytes(b"cache")
    (repo / "scratch.txt").write_text("unrelated work in progress\n")  # must not block or leak
    main_before = git(repo, "rev-parse", "main").strip()

    assert submit(repo, data=data_dir) == 0
    out = capsys.readouterr().out
    assert f"git push -u origin {BRANCH}" in out and "pull request" in out and "comments" in out

    assert git(repo, "branch", "--show-current").strip() == "main"
    assert git(repo, "rev-parse", "main").strip() == main_before
    assert git(repo, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    changed = git(repo, "diff", "--name-only", f"main...{BRANCH}").split()
    assert changed and all(p.startswith("submissions/new-team/mlp_sprint/") for p in changed)
    assert not any("__pycache__" in p for p in changed)

    meta = json.loads(
        git(repo, "show", f"{BRANCH}:submissions/new-team/mlp_sprint/submission.json")
    )
    assert set(meta["claimed"]) == {"accuracy", "train_time_s", "peak_memory_mib"}
    assert meta["claimed"]["accuracy"] >= 0.95 and meta["claimed"]["accuracy"] != 0.96
    assert json.loads((folder / "submission.json").read_text())["claimed"] == meta["claimed"]
    assert (repo / "scratch.txt").exists() and "scratch.txt" not in git(
        repo, "ls-tree", "-r", "--name-only", BRANCH
    )

    assert submit(repo, data=data_dir) == 1
    assert "already exists" in capsys.readouterr().err
    assert git(repo, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"

    # What the pull request will meet: the check passes on this branch.
    code = cli.main(
        [
            "ci",
            "pr",
            "--repo",
            str(repo),
            "--base",
            "main",
            "--head",
            BRANCH,
            "--repeats",
            "1",
            "--data",
            str(data_dir),
            "--report",
            str(tmp_path / "r.md"),
            "--summary",
            str(tmp_path / "s.json"),
        ]
    )
    assert code == 0


@pytest.mark.slow
def test_refuses_an_entry_that_does_not_qualify(repo, data_dir, capsys):
    put_entry(repo, "new-team", FIXTURES / "weak_mlp")
    assert submit(repo, data=data_dir) == 1
    err = capsys.readouterr().err
    assert "does not qualify (below_threshold: accuracy" in err
    assert git(repo, "branch", "--list", BRANCH) == ""


def test_checks_the_entrys_own_threshold_before_timing_the_baseline(repo, monkeypatch, capsys):
    from scorer.scoring import engine as scoring
    from scorer.scoring.events.base import Outcome
    from scorer.scoring.runs import Run

    put_entry(repo, "new-team", FIXTURES / "weak_mlp")
    ran = []

    def run_once(folder, event_id, job, rng, wrap=None, launch=None):
        ran.append(folder.parent.name)
        return Run(Outcome(quality=0.5, speed=1.0), 100.0, None)

    def score_entry(*args, **kwargs):
        raise AssertionError("the interleaved timing with the baseline must not start")

    monkeypatch.setattr(scoring, "run_once", run_once)
    monkeypatch.setattr(scoring, "score_entry", score_entry)
    assert submit(repo) == 1
    err = capsys.readouterr().err
    assert ran == ["new-team"]  # one run of the entry, none of the baseline
    error = [line for line in err.splitlines() if line.startswith("tinymlperf submit: error:")]
    assert len(error) == 1 and "the baseline was not timed" in error[0]
    assert "does not qualify (below_threshold: accuracy 0.5 is below the threshold" in error[0]
    assert git(repo, "branch", "--list", BRANCH) == ""
