"""Result records: whole-file replacement, history kept, corrupt files reported and kept."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from scorer.contract import results
from scorer.contract.errors import RecordError

EXAMPLE = json.loads(
    (Path(__file__).parent / "fixtures/records/example_mlp_sprint.json").read_text()
)


def record(**changes) -> dict:
    r = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            r[outer][inner] = value
        else:
            r[key] = value
    return r


def test_write_then_load_round_trips(tmp_path):
    path = results.write_record(tmp_path, record())
    assert path == tmp_path / "baseline" / "mlp_sprint.json"
    assert results.load_records(tmp_path) == [record()]
    assert not list(path.parent.glob(".*.tmp"))  # no temporary file left behind


def test_a_rescore_keeps_the_old_numbers_in_history(tmp_path):
    results.write_record(tmp_path, record())
    results.write_record(
        tmp_path, record(**{"speed.median": 0.2, "finished_at": "2026-11-30T00:00:00Z"})
    )
    results.write_record(
        tmp_path, record(**{"speed.median": 0.1, "finished_at": "2026-12-01T00:00:00Z"})
    )
    latest = results.load_records(tmp_path)[0]
    assert latest["speed"]["median"] == 0.1
    assert [h["speed"] for h in latest["history"]] == [EXAMPLE["speed"]["median"], 0.2]
    assert latest["history"][0]["finished_at"] == EXAMPLE["finished_at"]


def test_a_corrupt_record_is_named_with_the_fix(tmp_path):
    path = tmp_path / "baseline" / "mlp_sprint.json"
    path.parent.mkdir()
    path.write_text('{"schema_version": 1, "team": "base')
    with pytest.raises(RecordError) as err:
        results.load_records(tmp_path)
    assert str(path) in str(err.value) and "git checkout" in str(err.value)


def test_a_record_in_the_wrong_place_is_refused(tmp_path):
    path = tmp_path / "someone" / "mlp_sprint.json"
    path.parent.mkdir()
    path.write_text(json.dumps(record()))
    with pytest.raises(RecordError, match="not someone/mlp_sprint"):
        results.load_records(tmp_path)


def test_rewriting_over_a_corrupt_record_keeps_its_bytes(tmp_path):
    path = tmp_path / "baseline" / "mlp_sprint.json"
    path.parent.mkdir()
    path.write_text("half a reco")
    results.write_record(tmp_path, record())
    kept = list(path.parent.glob("mlp_sprint.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == "half a reco"
    assert results.load_record(path)["history"] == []


def test_an_invalid_record_is_never_written(tmp_path):
    with pytest.raises(ValueError, match="invalid result record"):
        results.write_record(tmp_path, record(status="great"))
    assert not (tmp_path / "baseline" / "mlp_sprint.json").exists()


@pytest.mark.parametrize(
    ("change", "current"),
    [
        ({}, True),
        ({"content_hash": "sha256:" + "2" * 64}, False),
        ({"scorer_version": "9.9.9"}, False),
        ({"dataset_hashes": {}}, False),
    ],
)
def test_is_current(change, current):
    r = record()
    args = {
        "content_hash": r["submission"]["content_hash"],
        "scorer_version": r["scorer_version"],
        "dataset_hashes": r["datasets"],
    }
    args.update(change)
    assert results.is_current(r, **args) is current
    assert results.is_current(None, **args) is False
