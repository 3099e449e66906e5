"""Each event's scoring logic, end to end through the sandbox, on tiny synthetic data.

The fixture submissions in tests/fixtures/events/ are honest or deliberately wrong in one way
each; the synthetic data is built so the honest ones score perfectly, which makes the
expected numbers exact. The real-data runs are in tests/test_real_data.py (marked slow).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from scorer.contract import schema
from scorer.contract.limits import Limits
from scorer.progress import Progress
from scorer.sandbox import cgroup
from scorer.scoring import engine as scoring
from scorer.scoring.events import transformer_decathlon as td
from scorer.scoring.events import transformer_rows as layout

FIXTURES = Path(__file__).parent / "fixtures" / "events"


def images(n: int, shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class c is a flat image of value 25c plus noise below 5: separable by class means."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    noise = rng.integers(0, 5, size=(n, *shape))
    return (labels.reshape(-1, *[1] * len(shape)) * 25 + noise).astype(np.uint8), labels


def counting_text(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64) % 65


@pytest.fixture
def job():
    job = scoring.Job(repeats=1, limits=Limits(phase_wall_s=60), progress=Progress(quiet=True))
    x_train, y_train = images(600, (28, 28), 1)
    x_test, y_test = images(300, (28, 28), 2)
    job._data["mlp_sprint"] = {
        "x_train": x_train,
        "y_train": y_train,
        "x_test": x_test,
        "y_test": y_test,
    }
    x_test, y_test = images(1200, (32, 32, 3), 3)
    job._data["cnn_marathon"] = {"x_test": x_test, "y_test": y_test}
    val = counting_text(3000)
    vocab = "".join(chr(33 + i) for i in range(65))
    starts = np.arange((len(val) - 1) // td.WINDOW_STRIDE) * td.WINDOW_STRIDE
    bleu = np.linspace(0, len(val) - td.PROMPT - td.BLEU_LENGTH - 1, 4).astype(np.int64)
    job._data["transformer_decathlon"] = {
        "val": val,
        "train": counting_text(20000),
        "vocab": vocab,
        "window_starts": starts,
        "bleu_starts": bleu,
    }
    return job


def score(job, team: str, event: str) -> dict:
    record = scoring.score_entry(FIXTURES / team / event, event, job)
    assert schema.validate(record, "result") == []
    return record


def test_mlp_sprint_honest_entry_scores_perfectly(job):
    record = score(job, "centroid", "mlp_sprint")
    assert record["status"] == "ok", record["reason"]
    assert record["quality"]["samples"] == [1.0]
    assert record["speed"]["metric"] == "train_time" and record["speed"]["median"] > 0
    assert record["memory"]["median"] > 1
    assert set(record["phases"]) >= {"import", "train", "predict"}
    claimed = {row["metric"]: row for row in record["claimed"]}
    assert claimed["accuracy"]["difference"] == pytest.approx(0.0)


def test_mlp_sprint_times_predict_too_so_training_there_gains_nothing(job):
    # "lazy" sleeps 0.3 s in predict() (standing in for training moved there): the ranked time
    # is train() + predict(), so it is charged, and the honest fast train() is no violation.
    record = score(job, "lazy", "mlp_sprint")
    assert record["speed"]["median"] >= 0.3
    assert record["phases"]["predict"] >= 0.3
    assert record["speed"]["median"] == pytest.approx(
        record["phases"]["train"] + record["phases"]["predict"]
    )


def test_mlp_sprint_records_canary_agreement(job):
    record = score(job, "centroid", "mlp_sprint")
    assert record["extra"]["canary_agreement"]["median"] == 1.0


def test_cnn_marathon_times_the_batch_and_checks_accuracy(job):
    record = score(job, "centroid", "cnn_marathon")
    assert record["status"] == "ok", record["reason"]
    assert record["quality"]["median"] == 1.0
    assert record["speed"]["metric"] == "inference_time"
    assert record["phases"]["predict_1000"] == record["speed"]["median"]


def test_cnn_marathon_counts_every_batch_towards_accuracy(job):
    # "fickle" answers wrongly in batches of the timed size: every batch is both timed and
    # scored, so behaving differently in timed calls costs accuracy (here all of it).
    record = score(job, "fickle", "cnn_marathon")
    assert not record["qualified"]
    assert record["quality"]["median"] < 0.2


def test_transformer_decathlon_perplexity_speed_and_bleu(job):
    record = score(job, "counter", "transformer_decathlon")
    assert record["status"] == "ok", record["reason"]
    # logits of 20 on the right token, 0 elsewhere: perplexity is exactly 1 + 64 e^-20.
    assert record["quality"]["median"] == pytest.approx(1 + 64 * np.exp(-20.0), rel=1e-9)
    assert record["speed"]["unit"] == "tokens/s" and record["speed"]["median"] > 0
    assert record["extra"]["bleu"]["median"] == pytest.approx(100.0)


def test_transformer_decathlon_warms_up_before_the_timed_generations(job):
    # Calls 1-4 sleep 0.05, 0.10, 0.15, 0.20 s: the median of the timed calls 2-4 is call 3,
    # so generate_448 is at least 0.15 s (0.10 s if the warm-up call counted). A lower bound
    # only: a busy machine makes the calls slower, never faster.
    record = score(job, "sluggish", "transformer_decathlon")
    assert record["status"] == "ok", record["reason"]
    assert record["phases"]["generate_448"] >= 0.15
    assert record["speed"]["median"] <= td.GENERATE / 0.15


def test_transformer_decathlon_rejects_a_model_that_reads_ahead(job):
    record = score(job, "peeker", "transformer_decathlon")
    assert record["status"] == "rule_violation"
    assert "causal" in record["reason"]


def test_transformer_decathlon_rejects_non_greedy_generation(job):
    record = score(job, "wanderer", "transformer_decathlon")
    assert record["status"] == "error"
    assert "greedy" in record["reason"]


def test_transformer_plan_hides_every_check_in_full_perplexity_batches():
    val = np.array(list(range(65)) * 200)
    starts = np.arange((len(val) - 1) // td.WINDOW_STRIDE) * td.WINDOW_STRIDE
    data = {
        "val": val,
        "train": val[::-1].copy(),
        "vocab": "".join(chr(33 + i) for i in range(65)),
        "window_starts": starts,
    }
    contexts = [np.full(layout.CONTEXT, g) for g in range(td.SPEED_PROMPTS)]
    rows, info = layout.plan(data, contexts, np.random.default_rng(0))
    assert rows.shape[1] == layout.CONTEXT and len(rows) % (2 * layout.WINDOWS_PER_CALL) == 0
    kinds = [row["kind"] for row in info]
    assert kinds.count("val") == len(starts) and kinds.count("greedy") == td.SPEED_PROMPTS
    assert (
        kinds.count("train") == layout.TRAIN_WINDOWS
        and kinds.count("perturbed") == layout.PERTURBED_WINDOWS
    )
    assert (
        kinds.count("probe") == layout.CAUSALITY_PROBES
        and kinds.count("repeat") >= layout.MIN_REPEATS
    )
    half = len(rows) // 2
    for s, row in enumerate(info):
        if row["kind"] == "repeat":  # asked again after the BLEU generations, at another row
            assert (
                s >= half > row["of"]
                and s % layout.WINDOWS_PER_CALL != row["of"] % layout.WINDOWS_PER_CALL
            )
            assert np.array_equal(rows[s], rows[row["of"]])
        if row["kind"] == "probe":
            cut, of = row["cut"], row["of"]
            assert (
                np.array_equal(rows[s][: cut + 1], rows[of][: cut + 1])
                and rows[s][cut + 1] != rows[of][cut + 1]
            )


def test_perturbed_text_keeps_its_length_and_characters_but_changes():
    vocab = " \nabcdefghijklmnopqrstuvwxyz"
    text = "the king is dead\nlong live the king\nand so say all of us\nwe go home now\n"
    seg = np.array([vocab.index(c) for c in text])
    out = layout.perturb(seg, vocab, np.random.default_rng(1), swaps=2)
    new = "".join(vocab[i] for i in out)
    assert len(new) == len(text) and sorted(new) == sorted(text) and new != text
    assert sorted(new.split()) == sorted(text.split())


def test_logits_beyond_the_bound_are_an_answer_error():
    with pytest.raises(td.AnswerError, match="magnitude"):
        td.check_bounded(np.full((1, 2, 65), 1e308), (1, 2, 65), "logits")
    assert td.check_bounded(np.full((1, 2, 65), 1e4), (1, 2, 65), "logits").dtype == np.float64


def test_windows_never_feed_a_target_back_as_input():
    val = counting_text(5000)
    starts = np.arange((len(val) - 1) // td.WINDOW_STRIDE) * td.WINDOW_STRIDE
    inputs, targets = layout.window_tokens(val, starts)
    assert inputs.shape == targets.shape == (len(starts), layout.CONTEXT)
    assert np.array_equal(targets[:, :-1], inputs[:, 1:])
    last_targets = starts + layout.CONTEXT
    used_inputs = (starts[:, None] + np.arange(layout.CONTEXT)).ravel()
    assert not np.isin(last_targets, used_inputs).any()


def test_nll_matches_hand_computed_values():
    logits = np.array([[[0.0, 0.0], [np.log(3.0), 0.0]]])
    targets = np.array([[1, 0]])
    # softmax([0, 0]) = [1/2, 1/2]; softmax([ln 3, 0]) = [3/4, 1/4]
    assert td.nll(logits, targets) == pytest.approx(np.array([[np.log(2), -np.log(0.75)]]))


def test_profile_reports_phases_hot_functions_and_allocations(job):
    from rich.console import Console

    from scorer.scoring import profile

    console = Console(record=True, width=200)
    job.progress = Progress(console=console)
    assert profile.profile(FIXTURES / "centroid" / "mlp_sprint", "mlp_sprint", job) == 0
    text = console.export_text()
    assert "Time per phase" in text and "train" in text and "predict" in text
    assert "20 hottest functions in" in text and "submission.py:" in text
    assert "20 largest allocation sites" in text and "MiB" in text


def _copy_as(team: str, source: Path, dest: Path) -> Path:
    """``source`` (a fixture entry) copied to ``dest/<team>/<event>`` under another team id."""
    folder = dest / team / source.name
    shutil.copytree(source, folder)
    meta = folder / "submission.json"
    meta.write_text(meta.read_text().replace(f'"id": "{source.parent.name}"', f'"id": "{team}"'))
    return folder


@pytest.mark.parametrize(
    "team, event",
    [
        ("centroid", "mlp_sprint"),
        ("centroid", "cnn_marathon"),
        ("counter", "transformer_decathlon"),
    ],
)
@pytest.mark.parametrize("interleave", [True, False])
def test_rounds_against_a_baseline_take_turns_where_children_can_be_frozen(
    job, tmp_path, team, event, interleave
):
    baseline = _copy_as("copy", FIXTURES / team / event, tmp_path)
    job.repeats, job.interleave = 2, interleave
    record = scoring.score_entry(FIXTURES / team / event, event, job, baseline=baseline)
    assert record["status"] == "ok", record["reason"]
    assert not schema.validate(record, "result")
    turns = interleave and cgroup.freezer_available()
    assert record["baseline"]["interleaving"] == ("calls" if turns else "runs")
    # Rounds pair by index (the spread rule may add up to two to the planned two).
    assert len(record["baseline"]["speed_samples"]) == len(record["speed"]["samples"]) >= 2


@pytest.mark.skipif(not cgroup.freezer_available(), reason="no cgroup freezer here")
def test_a_child_that_cannot_be_frozen_ends_its_run(job, tmp_path, monkeypatch):
    # Its neighbour's calls would have been timed beside it: the run is not measured.
    monkeypatch.setattr(cgroup.Cgroup, "freeze", lambda self, timeout_s=0.0: False)
    baseline = _copy_as("copy", FIXTURES / "centroid" / "mlp_sprint", tmp_path)
    record = scoring.score_entry(
        FIXTURES / "centroid" / "mlp_sprint", "mlp_sprint", job, baseline=baseline
    )
    assert record["status"] == "error"
    assert "could not be paused within" in record["reason"]


@pytest.mark.parametrize(
    "team, event, stops",
    [
        ("counter", "transformer_decathlon", True),  # its checks follow the timed calls
        ("centroid", "mlp_sprint", False),  # predict() is timed and checked in one call
        ("centroid", "cnn_marathon", False),  # every batch is timed and checked
    ],
)
def test_a_timed_only_run_stops_after_its_timed_calls_where_checks_follow_them(
    job, team, event, stops
):
    run = scoring.run_once(
        FIXTURES / team / event, event, job, np.random.default_rng(0), timed_only=True
    )
    assert run.outcome.status == "ok", run.outcome.reason
    assert run.outcome.speed and run.outcome.speed > 0
    assert run.outcome.timed_only is stops
    assert (run.outcome.quality is None) is stops
    if stops:
        assert "perplexity" not in run.outcome.phases and "bleu" not in run.outcome.extra


def test_only_the_baselines_first_run_is_checked_and_gives_its_memory(job, tmp_path, monkeypatch):
    # The later ones are the speed's yardstick: they stop after the timed generations, and
    # their lower peak (no logits batches) must not stand for the baseline's memory.
    baseline = _copy_as("copy", FIXTURES / "counter" / "transformer_decathlon", tmp_path)
    seen: list = []
    real = scoring.run_once

    def recording(folder, *args, **kwargs):
        run = real(folder, *args, **kwargs)
        seen.append((kwargs.get("side"), kwargs.get("timed_only", False), run))
        return run

    monkeypatch.setattr(scoring, "run_once", recording)
    job.repeats = 3
    entry = FIXTURES / "counter" / "transformer_decathlon"
    record = scoring.score_entry(entry, "transformer_decathlon", job, baseline=baseline)
    assert record["status"] == "ok", record["reason"]
    base = [run for side, _, run in seen if side == "B"]
    assert [run.outcome.timed_only for run in base] == [False] + [True] * (len(base) - 1)
    assert all(not timed_only for side, timed_only, _ in seen if side == "A")
    assert base[0].outcome.quality is not None and base[1].outcome.quality is None
    if base[0].memory_mib is not None:  # a kernel's count of the peak (cgroup) is here
        assert record["baseline"]["memory_median"] == pytest.approx(base[0].memory_mib)
    assert len(record["baseline"]["speed_samples"]) == len(base) >= 3
