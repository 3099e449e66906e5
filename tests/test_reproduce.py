"""`tinymlperf reproduce` and the provenance block: the comparison, the training contract's
checks, the training sandbox, the record's provenance through writes and re-scores, the CLI.

Most tests need no dataset (a tiny train.py in the training sandbox, records copied from
results/); the last runs the command end to end on the real CIFAR-10 with the tiny entry of
tests/exploits/weights/prototypes (about 10 s). The exploits are in test_weights_exploits.py.
Run: ``.venv/bin/python -m pytest tests/test_reproduce.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, real_data_dir, save_prototype_weights

from scorer.cli.main import main
from scorer.contract import results, schema
from scorer.contract.errors import RecordError, UsageError
from scorer.contract.events import EVENTS
from scorer.contract.limits import Limits
from scorer.sandbox.client import Sandbox
from scorer.scoring import reproduce
from scorer.validate import submission

PROTOTYPES = ROOT / "tests" / "exploits" / "weights" / "prototypes"
CNN, GPT = EVENTS["cnn_marathon"], EVENTS["transformer_decathlon"]


# --- the comparison ------------------------------------------------------------


def test_accuracy_is_compared_with_an_absolute_tolerance():
    assert CNN.tolerance.kind == "absolute"
    tol = CNN.tolerance.value
    assert reproduce.compare(CNN, 0.80, 0.80 - tol / 2)[0] == "reproduced"
    assert reproduce.compare(CNN, 0.80, 0.80 + tol / 2)[0] == "reproduced"
    status, reason = reproduce.compare(CNN, 0.80, 0.80 - 2 * tol)
    assert status == "not_reproduced" and "better than what train.py reaches" in reason
    status, reason = reproduce.compare(CNN, 0.80, 0.80 + 2 * tol)
    assert status == "not_reproduced" and "not what train.py produces" in reason
    assert "accuracy 0.8 shipped" in reason


def test_perplexity_is_compared_with_a_relative_tolerance_lower_is_better():
    assert GPT.tolerance.kind == "relative"
    tol = GPT.tolerance.value
    # At perplexity 4 the allowance is 4 * tol; at 8 twice that.
    assert reproduce.compare(GPT, 8.0, 8.0 * (1 + tol * 0.9))[0] == "reproduced"
    assert reproduce.compare(GPT, 4.0, 4.0 * (1 + tol * 0.9))[0] == "reproduced"
    status, reason = reproduce.compare(GPT, 4.0, 4.0 * (1 + 2 * tol))
    assert status == "not_reproduced" and "better than what train.py reaches" in reason
    status, _ = reproduce.compare(GPT, 4.0, 4.0 * (1 - 2 * tol))
    assert status == "not_reproduced"


def test_the_budget_defaults_to_two_hours_and_must_be_positive():
    budget = reproduce.Budget.from_wall()
    assert budget.wall_s == 7200 and budget.cpu_s == 14400
    assert reproduce.Budget.from_wall(60).as_dict() == {"wall_s": 60.0, "cpu_s": 120.0}
    with pytest.raises(UsageError, match="positive"):
        reproduce.Budget.from_wall(0)


# --- the training contract ------------------------------------------------------


def _entry(tmp_path: Path, train: str | None) -> Path:
    folder = tmp_path / "exploit" / "cnn_marathon"
    shutil.copytree(PROTOTYPES, folder)
    if train is None:
        (folder / "train.py").unlink()
    else:
        (folder / "train.py").write_text(train)
    return folder


@pytest.mark.parametrize(
    ("train", "where", "says"),
    [
        (None, "train.py", "missing: a CNN Marathon entry ships weights"),
        (
            "import numpy\n\ndef train(x):\n    pass\n",
            "train.py:1",
            "no top-level def fit(train_split, out_dir, budget)",
        ),
        (
            "def fit(train_split):\n    pass\n",
            "train.py:1",
            "fit must be a plain function called as fit(",
        ),
        ("\n\nasync def fit(a, b, c):\n    pass\n", "train.py:3", "fit must be a plain function"),
        (
            "import subprocess\n\ndef fit(a, b, c):\n    pass\n",
            "train.py:1",
            "imports 'subprocess'",
        ),
    ],
)
def test_a_broken_training_contract_is_one_line_with_where_and_how(tmp_path, train, where, says):
    folder = _entry(tmp_path, train)
    errors = submission.check(folder, train_contract=True).errors
    assert len(errors) == 1, errors
    assert errors[0].where.endswith(where) and says in errors[0].message
    # The scoring engine scores the shipped weights either way.
    assert submission.check(folder).ok


@pytest.mark.parametrize(
    "train",
    [
        "def fit(train_split, out_dir, budget):\n    pass\n",
        "def fit(*args):\n    pass\n",
        "def fit(split, out, budget, seed=0):\n    pass\n",
    ],
)
def test_fit_signatures_that_take_the_three_arguments_pass(tmp_path, train):
    assert submission.check(_entry(tmp_path, train), train_contract=True).ok


def test_the_baselines_follow_the_contract():
    for event in (CNN, GPT):
        report = submission.check(ROOT / "submissions" / "baseline" / event.id, train_contract=True)
        assert report.ok, report.errors


def test_reproduce_refuses_an_entry_without_fit_in_one_line(tmp_path, capsys):
    folder = _entry(tmp_path, None)
    assert main(["reproduce", "--submission", str(folder), "--repo", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.py: missing" in err[0] and "tinymlperf new" in err[0]


def test_reproduce_refuses_an_event_that_ships_no_weights(tmp_path, capsys):
    folder = tmp_path / "exploit" / "mlp_sprint"
    folder.mkdir(parents=True)
    assert main(["reproduce", "--submission", str(folder), "--repo", str(tmp_path)]) == 2
    assert "nothing to reproduce" in capsys.readouterr().err


# --- the training sandbox ---------------------------------------------------------

TINY_FIT = """
import os
import numpy as np

def fit(train_split, out_dir, budget):
    x = train_split["x"]
    np.save(os.path.join(out_dir, "w.npy"), x * 2 + budget["wall_s"])
    os.mkdir(os.path.join(out_dir, "more"))
    with open(os.path.join(out_dir, "more", "b.npy"), "wb") as f:
        np.save(f, np.arange(3))
    if train_split.get("escape"):
        open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "w.npy"), "wb")
"""


def _fit_in_sandbox(folder: Path, split: dict, budget: dict, out: Path) -> tuple:
    """fit() of ``folder``'s train.py in the training sandbox: its result and the files it wrote."""
    with Sandbox(folder, "train.py", train=True, limits=Limits(phase_wall_s=60)) as sb:
        assert sb.start().status == "ok"
        for key, value in split.items():
            sb.put(key, value)
        result = sb.call("fit", {k: k for k in split}, "out_dir", budget, want_value=False)
        files = sb.collect(out) if result.status == "ok" else []
    return result, files


def _train_in_sandbox(tmp_path: Path, split: dict) -> tuple:
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(TINY_FIT)
    result, files = _fit_in_sandbox(code, split, {"wall_s": 5.0, "cpu_s": 10.0}, tmp_path / "out")
    return result, files, code


def test_fit_gets_its_split_and_budget_and_writes_only_out_dir(tmp_path):
    result, files, code = _train_in_sandbox(tmp_path, {"x": np.arange(4)})
    assert result.status == "ok", result.message
    assert files == ["more/b.npy", "w.npy"]
    assert np.load(tmp_path / "out" / "w.npy").tolist() == [5, 7, 9, 11]
    assert sorted(p.name for p in code.iterdir()) == ["train.py"]


def test_fit_cannot_write_beside_its_code(tmp_path):
    result, files, code = _train_in_sandbox(tmp_path, {"x": np.arange(4), "escape": np.ones(1)})
    assert result.status == "rule_violation" and "writing" in result.message, result.message
    assert sorted(p.name for p in code.iterdir()) == ["train.py"]


# --- the record's provenance ----------------------------------------------------------


def _results_with(tmp_path: Path, event: str = "cnn_marathon") -> tuple[Path, dict]:
    record = results.load_record(ROOT / "results" / "baseline" / f"{event}.json")
    record.pop("provenance", None)
    folder = tmp_path / "results"
    (folder / "baseline").mkdir(parents=True)
    (folder / "baseline" / f"{event}.json").write_text(results.dumps(record))
    return folder, record


def _block(record: dict, status: str = "reproduced", **extra) -> dict:
    return {
        "status": status,
        "reason": f"{status} here",
        "metric": "accuracy",
        "shipped_quality": 0.81,
        "reproduced_quality": 0.8,
        "tolerance": {"kind": "absolute", "value": 0.02},
        "train_wall_s": 10.0,
        "train_cpu_s": 19.0,
        "budget": {"wall_s": 7200.0, "cpu_s": 14400.0},
        "files": ["weights.npz"],
        "content_hash": record["submission"]["content_hash"],
        "scorer_version": record["scorer_version"],
        "started_at": "2026-12-02T06:00:00Z",
        "finished_at": "2026-12-02T06:30:00Z",
        **extra,
    }


def test_record_provenance_replaces_the_block_and_keeps_the_old_one_in_its_history(tmp_path):
    folder, record = _results_with(tmp_path)
    path = results.write_provenance(
        folder, "baseline", "cnn_marathon", _block(record, "not_reproduced")
    )
    path = results.write_provenance(folder, "baseline", "cnn_marathon", _block(record))
    written = results.load_record(path)
    assert written["provenance"]["status"] == "reproduced"
    assert [h["status"] for h in written["provenance"]["history"]] == ["not_reproduced"]
    # Everything else in the record is as it was.
    assert {k: v for k, v in written.items() if k != "provenance"} == record


def test_record_provenance_refuses_a_record_of_other_files(tmp_path):
    folder, record = _results_with(tmp_path)
    with pytest.raises(RecordError, match="re-scored for other files"):
        results.write_provenance(
            folder, "baseline", "cnn_marathon", _block(record, content_hash="sha256:" + "1" * 64)
        )
    with pytest.raises(RecordError, match="score the entry first"):
        results.check_provenance_target(folder, Path("submissions/nobody/cnn_marathon"), "x")


def test_a_rescore_keeps_the_block_for_the_same_files_else_makes_it_not_tried(
    tmp_path, monkeypatch
):
    monkeypatch.setenv(results.ALLOW_WEAK_ENV, "1")
    folder, record = _results_with(tmp_path)
    results.write_provenance(folder, "baseline", "cnn_marathon", _block(record))
    path = results.write_record(folder, dict(record, history=[]))
    kept = results.load_record(path)
    assert kept["provenance"]["status"] == "reproduced"
    assert kept["history"][-1]["provenance"] == "reproduced"
    changed = json.loads(json.dumps(record))
    changed["submission"]["content_hash"] = "sha256:" + "2" * 64
    changed["history"] = []
    block = results.load_record(results.write_record(folder, changed))["provenance"]
    assert block["status"] == "not_tried" and "the files changed" in block["reason"]
    assert block["content_hash"] == changed["submission"]["content_hash"]
    assert [h["status"] for h in block["history"]] == ["reproduced"]


def test_records_of_events_that_ship_no_weights_get_no_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv(results.ALLOW_WEAK_ENV, "1")
    folder, record = _results_with(tmp_path, "mlp_sprint")
    assert "provenance" not in results.load_record(
        results.write_record(folder, dict(record, history=[]))
    )


def test_the_schema_refuses_an_unknown_status_and_extra_fields():
    record = results.load_record(ROOT / "results" / "baseline" / "cnn_marathon.json")
    assert not schema.validate(dict(record, provenance=_block(record)), "result")
    assert schema.validate(dict(record, provenance=_block(record, "maybe")), "result")
    assert schema.validate(dict(record, provenance=_block(record, secret=1)), "result")


# --- end to end -------------------------------------------------------------------------


@pytest.mark.slow
def test_reproduce_command_end_to_end_with_record_and_json(tmp_path, capsys, monkeypatch):
    data = real_data_dir()
    if data is None:
        pytest.skip(
            "the real datasets are not here: set TINYMLPERF_DATA to a copy of shared/datasets"
        )
    monkeypatch.setenv("TINYMLPERF_DATA", str(data))
    repo = tmp_path / "repo"
    folder = repo / "submissions" / "exploit" / "cnn_marathon"
    shutil.copytree(PROTOTYPES, folder)
    from scorer.scoring import datasets

    cifar = datasets.load_cifar10(data)
    save_prototype_weights(folder / "weights.npz", cifar["x_train"][:2000], cifar["y_train"][:2000])
    record = results.load_record(ROOT / "results" / "baseline" / "cnn_marathon.json")
    record = json.loads(json.dumps(dict(record, team="exploit")))
    record["submission"]["content_hash"] = submission.content_hash(folder)
    record.pop("provenance", None)  # the baseline's own block is of other files: a first try here
    (repo / "results" / "exploit").mkdir(parents=True)
    (repo / "results" / "exploit" / "cnn_marathon.json").write_text(results.dumps(record))
    out_json = tmp_path / "out.json"
    code = main(
        [
            "reproduce",
            "--submission",
            str(folder),
            "--repo",
            str(repo),
            "--budget",
            "120",
            "--json",
            str(out_json),
            "--record",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "reproduced" in out and "accuracy: shipped" in out and "training:" in out
    written = json.loads(out_json.read_text())
    assert written["provenance"]["status"] == "reproduced"
    assert written["provenance"]["budget"] == {"wall_s": 120.0, "cpu_s": 240.0}
    kept = results.load_record(repo / "results" / "exploit" / "cnn_marathon.json")
    assert kept["provenance"] == written["provenance"]


@pytest.mark.parametrize("event", ["cnn_marathon", "transformer_decathlon"])
def test_the_starters_train_py_follows_the_contract_in_the_sandbox(tmp_path, event):
    target = tmp_path / "submissions" / "my-team" / event
    assert main(["new", "--event", event, "--team", "my-team", "--dir", str(target)]) == 0
    assert submission.check(target, train_contract=True).ok
    rng = np.random.default_rng(0)
    if event == "cnn_marathon":  # a small split shaped like the real one
        split = {
            "x_train": rng.integers(0, 256, (50, 32, 32, 3), dtype=np.uint8),
            "y_train": np.arange(50, dtype=np.uint8) % 10,
        }
    else:
        split = {
            "tokens": rng.integers(0, 65, 500),
            "vocab": np.array(list("abcdefghij" * 6 + "ABCDE")),
        }
    result, files = _fit_in_sandbox(
        target, split, {"wall_s": 60.0, "cpu_s": 120.0}, tmp_path / "out"
    )
    assert result.status == "ok", result.message
    assert files == ["weights.npz"]


def test_run_reports_a_broken_training_contract_before_scoring(tmp_path, capsys):
    from scorer.cli import common

    folder = _entry(tmp_path, None)
    common.print_problems(folder, tmp_path)
    err = capsys.readouterr().err
    assert "1 problem(s)" in err and "train.py: missing: a CNN Marathon entry ships weights" in err
