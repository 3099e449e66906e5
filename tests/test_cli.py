"""The command line: exit codes, one-line errors, and the new -> validate path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_events import FIXTURES as EVENT_FIXTURES
from test_events import job  # noqa: F401 - the synthetic-data job fixture

from scorer.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("event", ["mlp_sprint", "cnn_marathon", "transformer_decathlon"])
def test_new_writes_a_starter_that_validates(tmp_path, event, capsys):
    target = tmp_path / "submissions" / "my-team" / event
    assert cli.main(["new", "--event", event, "--team", "my-team", "--dir", str(target)]) == 0
    assert cli.main(["validate", str(target)]) == 0
    out = capsys.readouterr()
    assert "1 of 1 submission(s) valid" in out.err
    meta = json.loads((target / "submission.json").read_text())
    assert meta["team"]["id"] == "my-team" and meta["event"] == event


def test_new_refuses_a_bad_team_id_and_a_used_folder(tmp_path, capsys):
    assert (
        cli.main(
            ["new", "--event", "mlp_sprint", "--team", "Bad Team", "--dir", str(tmp_path / "x")]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "team id" in err[0]
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file.py").write_text("")
    assert (
        cli.main(
            ["new", "--event", "mlp_sprint", "--team", "ok-team", "--dir", str(tmp_path / "used")]
        )
        == 2
    )


def test_validate_reports_problems_one_per_line_and_exits_1(tmp_path, capsys):
    target = tmp_path / "submissions" / "my-team" / "mlp_sprint"
    cli.main(["new", "--event", "mlp_sprint", "--team", "my-team", "--dir", str(target)])
    meta = json.loads((target / "submission.json").read_text())
    meta["team"]["id"] = "other-team"
    meta["techniques"] = ["magic"]
    (target / "submission.json").write_text(json.dumps(meta))
    (target / "helper.py").write_text("import socket\n")
    (target / "submission.py").write_text(
        (target / "submission.py").read_text() + "\nimport helper\n"
    )
    capsys.readouterr()
    assert cli.main(["validate", str(target)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert any(
        line.endswith(
            "helper.py:1: imports 'socket', which is not allowed; code the scorer runs may use numpy, the standard-library allowlist (see the Rules page) and your own modules"
        )
        for line in lines
    )
    assert any(
        "$.team.id: 'other-team' does not match the folder 'my-team'" in line for line in lines
    )
    assert any("$.techniques[0]" in line for line in lines)


def test_a_training_script_may_use_the_allowlist_but_not_torch(tmp_path, capsys):
    target = tmp_path / "submissions" / "my-team" / "cnn_marathon"
    cli.main(["new", "--event", "cnn_marathon", "--team", "my-team", "--dir", str(target)])
    assert cli.main(["validate", str(target)]) == 0  # the starter's train.py follows the contract
    # reproduce runs fit() in the sandbox, so train.py keeps to the sandbox's allowlist (os is in it)
    (target / "train.py").write_text(
        "import os\nimport torch\n\n\ndef fit(train_split, out_dir, budget):\n    pass\n"
    )
    capsys.readouterr()
    assert cli.main(["validate", str(target)]) == 1
    out = capsys.readouterr().out
    assert "train.py:2: imports 'torch'" in out and "train.py:1" not in out


def test_usage_errors_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "scorer", "run"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2
    assert "one of the arguments --event --all-events is required" in result.stderr


def test_a_user_mistake_is_one_line_without_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scorer",
            "run",
            "--event",
            "mlp_sprint",
            "--submission",
            str(tmp_path / "nope"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no such submission folder" in result.stderr and "Traceback" not in result.stderr


def test_data_reports_a_bad_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scorer", "data", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "missing dataset file" in result.stderr and "Traceback" not in result.stderr


def test_version():
    result = subprocess.run(
        [sys.executable, "-m", "scorer", "--version"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0 and result.stdout.startswith("tinymlperf ")


# ------------------------------------------------------------- rough edges a new user meets

RECORD = json.loads((ROOT / "tests/fixtures/records/example_mlp_sprint.json").read_text())
VALID = ROOT / "tests/fixtures/submissions/valid/fast-tensors/mlp_sprint"


def _fake_scoring(monkeypatch, status="ok"):
    """score_entry without running anything: the record of the example, for the given entry."""
    from scorer.scoring import engine as scoring

    calls = []

    def score_entry(folder, event_id, _job, baseline=None):
        calls.append((folder.parent.name, event_id))
        record = json.loads(json.dumps(RECORD))
        record.update(
            team=folder.parent.name,
            event=event_id,
            status=status,
            reason="" if status == "ok" else "see the problems",
            qualified=status == "ok",
        )
        return record

    monkeypatch.setattr(scoring, "score_entry", score_entry)
    return calls


def test_run_all_events_scores_the_events_the_team_has_and_names_the_rest(
    tmp_path, monkeypatch, capsys
):
    import shutil

    shutil.copytree(VALID, tmp_path / "submissions" / "fast-tensors" / "mlp_sprint")
    calls = _fake_scoring(monkeypatch)
    assert cli.main(["run", "--all-events", "--team", "fast-tensors", "--repo", str(tmp_path)]) == 0
    assert calls == [("fast-tensors", "mlp_sprint")]
    err = capsys.readouterr().err
    assert (
        "skipped cnn_marathon, transformer_decathlon: team fast-tensors has no entry for them"
        in err
    )


def test_run_all_events_for_a_team_without_entries_is_one_line(tmp_path, monkeypatch, capsys):
    calls = _fake_scoring(monkeypatch)
    assert cli.main(["run", "--all-events", "--team", "nobody", "--repo", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert calls == [] and err.count("\n") == 1
    assert "team nobody has no entry" in err and "--team T" in err


def test_run_prints_every_validation_problem_one_per_line(tmp_path, monkeypatch, capsys):
    import shutil

    folder = tmp_path / "submissions" / "fast-tensors" / "mlp_sprint"
    shutil.copytree(VALID, folder)
    (folder / "submission.py").write_text(
        "import torch\nimport requests\n\ndef train(x, y):\n    return None\n"
    )
    _fake_scoring(monkeypatch, status="invalid")
    assert (
        cli.main(
            ["run", "--event", "mlp_sprint", "--submission", str(folder), "--repo", str(tmp_path)]
        )
        == 1
    )
    err = capsys.readouterr().err
    lines = [line.strip() for line in err.splitlines()]
    assert "submissions/fast-tensors/mlp_sprint: 2 problem(s):" in lines
    assert any(line.startswith("submission.py:1:") and "'torch'" in line for line in lines)
    assert any(line.startswith("submission.py:2:") and "'requests'" in line for line in lines)


def test_ci_pr_writes_its_outputs_to_an_ignored_folder_by_default():
    args = cli.build_parser().parse_args(["ci", "pr", "--base", "origin/main"])
    for path in (args.report, args.summary):
        assert path.startswith("build/")
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{path} is not ignored by git"


def test_profile_says_its_times_are_inflated_and_what_the_allocations_are(job):  # noqa: F811
    from rich.console import Console

    from scorer.progress import Progress
    from scorer.scoring import profile

    console = Console(record=True, width=300)
    job.progress = Progress(console=console)
    assert profile.profile(EVENT_FIXTURES / "centroid" / "mlp_sprint", "mlp_sprint", job) == 0
    text = " ".join(console.export_text().split())
    assert "with profiling on" in text and "these times are inflated" in text
    assert "the child process's peak over the whole run" in text
    assert (
        "still held when train() returned" in text or "still held when predict() returned" in text
    )
    assert "not what was allocated at the peak" in text


@pytest.mark.parametrize(
    "options, message",
    [
        (["--precision", "0"], "--precision 0: use a fraction between 0 and 1, e.g. 0.015"),
        (["--precision", "1.5"], "--precision 1.5: use a fraction between 0 and 1"),
        (["--repeats", "5", "--max-rounds", "4"], "--max-rounds 4 is below --repeats 5"),
        (["--repeats", "0"], "--repeats must be at least 1"),
        (["--round-budget", "-5"], "--round-budget -5: use a number of seconds, 0 or more"),
    ],
)
def test_round_options_are_checked_before_anything_runs(capsys, options, message):
    assert cli.main(["run", "--event", "mlp_sprint", *options]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_round_options_reach_the_job(tmp_path):
    from scorer.scoring.options import job_from_args

    args = SimpleNamespace(
        repeats=4, max_rounds=9, round_budget=120.0, precision=0.02, threads=1, data=None
    )
    made = job_from_args(args, tmp_path)
    assert (made.repeats, made.max_rounds, made.precision, made.threads) == (4, 9, 0.02, 1)
    assert made.round_budget_s == 120.0
    # --round-budget 0, or --max-rounds equal to --repeats (the planned rounds only): no budget
    for repeats, max_rounds, budget in ((4, 9, 0.0), (4, 4, 120.0)):
        args = SimpleNamespace(
            repeats=repeats,
            max_rounds=max_rounds,
            round_budget=budget,
            precision=0.02,
            threads=1,
            data=None,
        )
        assert job_from_args(args, tmp_path).round_budget_s is None
    # Commands without the options (profile, reproduce) run the planned rounds only.
    made = job_from_args(SimpleNamespace(repeats=1, threads=2, data=None), tmp_path)
    assert (made.repeats, made.max_rounds, made.precision) == (1, 1, None)
