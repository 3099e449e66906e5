"""A student's own TinyTorch, as the course produces it, validates and scores unmodified.

``tests/fixtures/tinytorch/student/`` is a team folder in the course's style: the framework in
``lib/tinytorch/`` (several modules with absolute ``tinytorch.`` imports; ``os``, ``sys``,
``pickle``, ``pathlib``, ``time`` at the top; an optional ``psutil`` behind ``try/except
ImportError``; a capstone module the entry never imports that calls ``exec``; a ``.yaml``
config) and an MLP Sprint entry built on it. The scoring test runs on the real MNIST.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from scorer.contract import schema
from scorer.contract.limits import Limits
from scorer.progress import Progress
from scorer.scoring import engine as scoring
from scorer.validate import submission

TEAM = Path(__file__).parent / "fixtures" / "tinytorch" / "student"


@pytest.fixture
def team(tmp_path) -> Path:
    dest = tmp_path / "submissions" / "student"
    shutil.copytree(TEAM, dest)
    return dest


def test_the_course_style_package_validates_with_at_most_warnings(team):
    report = submission.check(team / "mlp_sprint")
    assert report.ok, [str(p) for p in report.errors]
    warnings = [str(p) for p in report.warnings]
    # The capstone's exec() is in a file the entry never imports: a note for a reviewer only.
    assert any(
        "competition/submit.py" in w and "exec()" in w and "not run" in w for w in warnings
    ), warnings
    assert not any("psutil" in w for w in warnings), warnings


def test_the_shared_lib_is_not_an_entry_and_is_part_of_the_content_hash(team):
    assert [p.name for p in submission.find_submissions(team.parent)] == ["mlp_sprint"]
    before = submission.content_hash(team / "mlp_sprint")
    layers = team / "lib" / "tinytorch" / "core" / "layers.py"
    layers.write_text(layers.read_text() + "\n# a comment\n")
    assert submission.content_hash(team / "mlp_sprint") != before


def test_an_unguarded_import_outside_the_allowlist_is_still_an_error(team):
    (team / "lib" / "tinytorch" / "core" / "layers.py").write_text("import socket\n")
    report = submission.check(team / "mlp_sprint")
    assert any("imports 'socket'" in str(p) and "layers.py:1" in str(p) for p in report.errors)


@pytest.mark.slow
def test_a_tinytorch_mlp_entry_scores_ok(team, data_dir):
    job = scoring.Job(
        repeats=1,
        limits=Limits(phase_wall_s=300),
        repo_root=team.parent.parent,
        data_folder=data_dir,
        progress=Progress(quiet=True),
    )
    record = scoring.score_entry(team / "mlp_sprint", "mlp_sprint", job)
    assert schema.validate(record, "result") == []
    assert record["status"] == "ok", record["reason"]
    assert record["quality"]["median"] >= 0.95


def test_new_copies_a_framework_into_the_team_lib(tmp_path):
    from scorer.cli.main import main

    repo = tmp_path / "repo"
    (repo / "submissions").mkdir(parents=True)
    framework = TEAM / "lib" / "tinytorch"
    assert (
        main(
            [
                "new",
                "--event",
                "mlp_sprint",
                "--team",
                "my-team",
                "--repo",
                str(repo),
                "--framework",
                str(framework),
            ]
        )
        == 0
    )
    lib = repo / "submissions" / "my-team" / "lib" / "tinytorch"
    assert (lib / "core" / "tensor.py").read_text() == (
        framework / "core" / "tensor.py"
    ).read_text()
    assert submission.check(repo / "submissions" / "my-team" / "mlp_sprint").ok
    # A second event of the same team reuses the copy; asking to copy again is a clear error.
    assert main(["new", "--event", "cnn_marathon", "--team", "my-team", "--repo", str(repo)]) == 0
    assert (
        main(
            [
                "new",
                "--event",
                "transformer_decathlon",
                "--team",
                "my-team",
                "--repo",
                str(repo),
                "--framework",
                str(framework),
            ]
        )
        == 2
    )


@pytest.mark.parametrize("per_image_s,verdict", [(0.0, None), (0.002, "close to"), (0.004, "over")])
def test_smoke_run_projects_the_full_training_time(tmp_path, per_image_s, verdict):
    from scorer.scoring import smoke

    folder = tmp_path / "submissions" / "loopy" / "mlp_sprint"
    shutil.copytree(TEAM / "mlp_sprint", folder)
    (folder / "submission.py").write_text(
        "import time\n\nimport numpy as np\n\n\ndef train(x, y):\n"
        f"    time.sleep({per_image_s} * len(x))  # a Python loop over the images\n    return None\n\n\n"
        "def predict(m, x):\n    return np.zeros(len(x), np.int64)\n"
    )
    job = scoring.Job(repeats=1, limits=Limits(phase_wall_s=200), progress=Progress(quiet=True))
    job._data["mlp_sprint"] = {
        "x_train": np.zeros((60_000, 28, 28), np.uint8),
        "y_train": np.zeros(60_000, np.uint8),
    }
    projection = smoke.project(folder, "mlp_sprint", job)
    if verdict is None:
        assert projection is None
        return
    # 1,000 images at per_image_s each, scaled to 60,000: 120 s (over half of 200 s) or 240 s.
    assert projection.projected == pytest.approx(60_000 * per_image_s, rel=0.5)
    assert f"{verdict} the 200 s phase limit" in projection.message()
    assert "train() on 1,000 of 60,000 images" in projection.message()


@pytest.mark.slow
def test_a_pull_request_that_changes_only_lib_scores_every_entry_using_it(tmp_path, data_dir):
    from test_ci_pr import branch, git, make_repo, run_check

    repo = make_repo(tmp_path)
    shutil.copytree(TEAM, repo / "submissions" / "student")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the student's entry")

    def faster_layers(r: Path) -> None:
        layers = r / "submissions" / "student" / "lib" / "tinytorch" / "core" / "layers.py"
        layers.write_text(layers.read_text() + "\n# tuned\n")

    branch(repo, "lib-only", faster_layers)
    code, summary, report = run_check(repo, "lib-only", data_dir)
    assert [(e["team"], e["event"]) for e in summary["entries"]] == [("student", "mlp_sprint")]
    entry = summary["entries"][0]
    assert entry["status"] == "ok", entry
    assert code == 0 and summary["verdict"] == "pass", summary["problems"]
