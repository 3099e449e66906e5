"""The command line: exit codes, one-line errors, and the new -> validate path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scorer import cli

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
    assert cli.main(["new", "--event", "mlp_sprint", "--team", "Bad Team", "--dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "team id" in err[0]
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file.py").write_text("")
    assert cli.main(["new", "--event", "mlp_sprint", "--team", "ok-team", "--dir", str(tmp_path / "used")]) == 2


def test_validate_reports_problems_one_per_line_and_exits_1(tmp_path, capsys):
    target = tmp_path / "submissions" / "my-team" / "mlp_sprint"
    cli.main(["new", "--event", "mlp_sprint", "--team", "my-team", "--dir", str(target)])
    meta = json.loads((target / "submission.json").read_text())
    meta["team"]["id"] = "other-team"
    meta["techniques"] = ["magic"]
    (target / "submission.json").write_text(json.dumps(meta))
    (target / "helper.py").write_text("import socket\n")
    (target / "submission.py").write_text((target / "submission.py").read_text() + "\nimport helper\n")
    capsys.readouterr()
    assert cli.main(["validate", str(target)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert any(line.endswith("helper.py:1: imports 'socket', which is not allowed; code the scorer runs may use numpy, the standard-library allowlist (see the Rules page) and your own modules") for line in lines)
    assert any("$.team.id: 'other-team' does not match the folder 'my-team'" in line for line in lines)
    assert any("$.techniques[0]" in line for line in lines)


def test_a_training_script_may_use_the_standard_library_but_not_torch(tmp_path, capsys):
    target = tmp_path / "submissions" / "my-team" / "cnn_marathon"
    cli.main(["new", "--event", "cnn_marathon", "--team", "my-team", "--dir", str(target)])
    assert cli.main(["validate", str(target)]) == 0  # train.py imports os: fine, the scorer never runs it
    (target / "train.py").write_text("import os\nimport torch\n")
    capsys.readouterr()
    assert cli.main(["validate", str(target)]) == 1
    out = capsys.readouterr().out
    assert "train.py:2: imports 'torch'" in out and "train.py:1" not in out


def test_usage_errors_exit_2():
    result = subprocess.run([sys.executable, "-m", "scorer", "run"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "one of the arguments --event --all-events is required" in result.stderr


def test_a_user_mistake_is_one_line_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scorer", "run", "--event", "mlp_sprint", "--submission", str(tmp_path / "nope")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no such submission folder" in result.stderr and "Traceback" not in result.stderr


def test_data_reports_a_bad_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scorer", "data", "--data", str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 1
    assert "missing dataset file" in result.stderr and "Traceback" not in result.stderr


def test_version():
    result = subprocess.run([sys.executable, "-m", "scorer", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.startswith("tinymlperf ")
