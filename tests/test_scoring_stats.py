"""The paired speed-up statistics (scorer/scoring/stats.py) and how scoring uses them.

The expected figures are worked out by hand in the comments beside them; nothing here times
anything, so the tests hold on a loaded machine. The last tests drive ``score_entry`` with a
stand-in for ``run_once`` to check the round order and the record's new fields.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from scorer.contract import schema
from scorer.progress import Progress
from scorer.scoring import engine as scoring
from scorer.scoring import job as job_module
from scorer.scoring import runs as scoring_runs
from scorer.scoring import stats
from scorer.scoring.events.base import Outcome

ROOT = Path(__file__).resolve().parent.parent
LN2 = math.log(2.0)


@pytest.mark.parametrize(
    "entry, base, direction, expected",
    [
        ([2.0, 4.0], [4.0, 4.0], "lower", [LN2, 0.0]),  # seconds: baseline / entry
        ([200.0, 100.0], [100.0, 100.0], "higher", [LN2, 0.0]),  # a rate: entry / baseline
        ([1.0], [0.5], "lower", [-LN2]),  # twice the baseline's time: speed-up 1/2
    ],
)
def test_log_speedups(entry, base, direction, expected):
    assert stats.log_speedups(entry, base, direction) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "entry, base, direction",
    [
        ([1.0, 2.0], [1.0], "lower"),  # unequal lengths
        ([1.0, 0.0], [1.0, 1.0], "lower"),  # zero
        ([1.0, -1.0], [1.0, 1.0], "lower"),  # negative
        ([1.0, float("nan")], [1.0, 1.0], "lower"),
        ([1.0, 1.0], [1.0, float("inf")], "lower"),
        ([1.0], [1.0], "sideways"),
    ],
)
def test_log_speedups_refuses_meaningless_pairs(entry, base, direction):
    with pytest.raises(ValueError):
        stats.log_speedups(entry, base, direction)


@pytest.mark.parametrize(
    "x, df, expected",
    [
        (0.0, 3, 0.5),
        (1.0, 1, 0.75),  # Cauchy: 1/2 + atan(1)/pi
        (1.0, 2, 0.5 + 1.0 / (2.0 * math.sqrt(3.0))),  # df 2: 1/2 + t / (2 sqrt(2 + t^2))
        (-1.0, 2, 0.5 - 1.0 / (2.0 * math.sqrt(3.0))),
        (3.0, 1, 0.5 + math.atan(3.0) / math.pi),
    ],
)
def test_t_cdf(x, df, expected):
    assert stats.t_cdf(x, df) == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize(
    "p, df, expected",
    [
        (0.975, 1, math.tan(math.pi * 0.475)),  # 12.7062: Cauchy's quantile
        (0.975, 2, 0.95 / math.sqrt(2 * 0.975 * 0.025)),  # 4.30265: df 2 has a closed form
        (0.025, 2, -0.95 / math.sqrt(2 * 0.975 * 0.025)),
        (0.975, 4, 2.776445),  # printed t tables
        (0.975, 30, 2.042272),
        (0.5, 7, 0.0),
    ],
)
def test_t_quantile(p, df, expected):
    assert stats.t_quantile(p, df) == pytest.approx(expected, abs=1e-5)


def test_t_quantile_refuses_impossible_arguments():
    for p, df in ((0.0, 3), (1.0, 3), (0.9, 0)):
        with pytest.raises(ValueError):
            stats.t_quantile(p, df)


@pytest.mark.parametrize(
    "logs, point, low, high",
    [
        # n=3, mean 0.1, sd 0.1: half-width 4.302653 * 0.1 / sqrt(3) = 0.248414
        ([0.0, 0.1, 0.2], math.exp(0.1), math.exp(0.1 - 0.248414), math.exp(0.1 + 0.248414)),
        # n=2, logs -0.01 and 0.01: sd 0.01 * sqrt(2), half-width 12.7062 * 0.01 = 0.127062
        ([-0.01, 0.01], 1.0, math.exp(-0.127062), math.exp(0.127062)),
        # no noise at all: the interval is the point
        ([LN2, LN2, LN2], 2.0, 2.0, 2.0),
    ],
)
def test_paired_t(logs, point, low, high):
    got = stats.paired_t(logs)
    assert (got.point, got.low, got.high) == pytest.approx((point, low, high), rel=1e-5)
    assert (got.level, got.method) == (0.95, stats.T_METHOD)
    assert got.as_record() == {
        "low": got.low,
        "high": got.high,
        "level": 0.95,
        "method": "paired-t-log",
    }


def test_one_round_has_no_interval():
    assert stats.paired_t([0.1]) is None
    assert stats.paired_bootstrap([0.1], seed=1) is None


@pytest.mark.parametrize(
    "low, high, verdict",
    [
        (1.01, 1.2, "faster"),
        (0.8, 0.99, "slower"),
        (0.99, 1.01, "tie"),
        (1.0, 1.0, "tie"),
    ],
)
def test_verdict_is_a_tie_unless_the_interval_excludes_one(low, high, verdict):
    assert stats.Interval(1.0, low, high, 0.95, "x").verdict() == verdict


def test_bootstrap_is_seeded_and_no_wider_than_the_data():
    logs = [0.0, 0.1, 0.2]
    one, two = stats.paired_bootstrap(logs, seed=7), stats.paired_bootstrap(logs, seed=7)
    assert one == two and one.method == stats.BOOTSTRAP_METHOD
    # A resampled mean of these rounds lies between their smallest and largest value, and the
    # bootstrap of three rounds is narrower than the t interval (why scoring uses t).
    assert 1.0 <= one.low < one.point < one.high <= math.exp(0.2)
    t = stats.paired_t(logs)
    assert t.low < one.low and one.high < t.high
    flat = stats.paired_bootstrap([LN2] * 4, seed=3)
    assert (flat.low, flat.high) == pytest.approx((2.0, 2.0))


@pytest.mark.parametrize(
    "speed, wall, cpu, direction, expected",
    [
        (0.4, 2.0, 1.0, "lower", 0.2),  # had the core half the time: half the seconds
        (100.0, 2.0, 1.0, "higher", 200.0),  # a rate the other way round
        (0.3, 0.3, 0.6, "lower", 0.6),  # two busy threads: CPU seconds add up
    ],
)
def test_cpu_equivalent(speed, wall, cpu, direction, expected):
    assert stats.cpu_equivalent(speed, wall, cpu, direction) == pytest.approx(expected)


def test_cpu_equivalent_refuses_zero_counts():
    with pytest.raises(ValueError):
        stats.cpu_equivalent(1.0, 0.0, 1.0, "lower")


@pytest.mark.parametrize("seed", [0, 1, 2, 12345, 2**63 + 5])
def test_round_orders_alternate_in_pairs_from_the_seed(seed):
    orders = stats.round_orders(seed, 7)
    assert orders == stats.round_orders(seed, 7)
    assert stats.round_orders(seed, 4) == orders[:4]  # an extra round keeps the earlier ones
    assert set(orders) <= {"AB", "BA"}
    assert all(orders[i] != orders[i + 1] for i in (0, 2, 4))
    assert abs(orders.count("AB") - orders.count("BA")) <= 1


def test_round_orders_differ_between_seeds():
    firsts = {stats.round_orders(seed, 1)[0] for seed in range(20)}
    assert firsts == {"AB", "BA"}


def take_turn(turns, side: str) -> None:
    """What a real run does first when its round takes turns (scorer/scoring/turns.py)."""
    if turns is not None:
        turns.take(side)


def fake_run(
    speed: float, cpu_s: float | None, wall_calls: float, method="cgroup-v1-cpuacct.usage"
):
    cpu = (
        None
        if cpu_s is None
        else {
            "method": method,
            "total_s": cpu_s,
            "calls_s": cpu_s,
            "outside_s": 0.0,
            "import_s": 0.0,
        }
    )
    report = SimpleNamespace(
        cpu=cpu,
        peak_memory_bytes=100 * scoring.MIB,
        memory_method="test",
        isolation={},
        violation=None,
    )
    return scoring_runs.Run(
        Outcome(status="ok", quality=0.97, speed=speed), 100.0, report, wall_calls
    )


@pytest.mark.parametrize(
    "threads, method, cpu_s, estimator",
    [
        (1, "cgroup-v1-cpuacct.usage", 1.0, "cpu"),
        (1, "cgroup-v2-cpu.stat", 1.0, "cpu"),
        (1, "cgroup-v2-cpu.stat", 0.6, "cpu"),  # waited for the core part of the time
        (1, "cgroup-v2-cpu.stat", 1.25, "cpu"),  # the bound itself
        (1, "cgroup-v2-cpu.stat", 1.26, "wall"),  # the entry's own threads on a second core
        (1, "cgroup-v2-cpu.stat", 1.9, "wall"),  # the CNN baseline's two threads
        (1, "proc-stat-session", 1.0, "wall"),  # /proc sums are not the kernel's count for a cgroup
        (2, "cgroup-v1-cpuacct.usage", 1.0, "wall"),  # two threads: CPU seconds are not elapsed
    ],
)
def test_ranked_estimator(threads, method, cpu_s, estimator):
    runs = [fake_run(1.0, 1.0, 1.0, method), fake_run(1.0, cpu_s, 1.0, method)]
    assert scoring_runs.ranked_estimator(threads, runs) == estimator


def test_paired_speedup_on_either_estimator():
    # Wall: the entry took 1.0 s and 1.2 s, the baseline 2.0 s and 2.4 s: 2x in both rounds.
    # CPU: the entry's calls used 0.5 of 1.0 s on the core (round 1), the baseline all of it.
    entry = [fake_run(1.0, 0.5, 1.0), fake_run(1.2, 1.2, 1.2)]
    base = [fake_run(2.0, 2.0, 2.0), fake_run(2.4, 2.4, 2.4)]
    speedup, interval, used = scoring_runs.paired_speedup(entry, base, "lower", "wall")
    assert used == "wall" and speedup == pytest.approx(2.0) and interval.low == pytest.approx(2.0)
    speedup, interval, used = scoring_runs.paired_speedup(entry, base, "lower", "cpu")
    # rounds: 2.0 / 0.5 = 4 and 2.4 / 1.2 = 2; geometric mean sqrt(8)
    assert used == "cpu" and speedup == pytest.approx(math.sqrt(8.0))
    assert interval.low < 2.0 < 4.0 < interval.high
    # A run without a CPU count falls back on the wall clock for the whole pair.
    entry[1] = fake_run(1.2, None, 1.2)
    assert scoring_runs.paired_speedup(entry, base, "lower", "cpu")[2] == "wall"


@pytest.fixture
def pair(tmp_path):
    """The MLP baseline as the entry and a copy of it as the baseline (only their names differ)."""
    entry = tmp_path / "baseline" / "mlp_sprint"
    shutil.copytree(ROOT / "submissions" / "baseline" / "mlp_sprint", entry)
    base = tmp_path / "copy" / "mlp_sprint"
    base.parent.mkdir()
    shutil.copytree(entry, base)
    meta = (base / "submission.json").read_text().replace('"id": "baseline"', '"id": "copy"')
    (base / "submission.json").write_text(meta)
    return entry, base


def test_score_entry_runs_each_round_in_the_recorded_order(pair, monkeypatch):
    entry, base = pair
    calls = []

    # The entry takes 1.0 s (wall) in every round, the baseline 1.1 s, 1.2 s, ... so the paired
    # ratios are 1.1, 1.2, 1.3; CPU seconds equal the wall seconds (one busy thread).
    def run_once(
        folder, event_id, job, rng, wrap=None, launch=None, turns=None, side="A", timed_only=False
    ):
        take_turn(turns, side)
        side = "A" if folder == pair[0] else "B"
        calls.append(side)
        n = calls.count(side)
        speed = 1.0 if side == "A" else 1.0 + 0.1 * n
        return fake_run(speed, speed, speed)

    monkeypatch.setattr(scoring, "run_once", run_once)
    job = scoring.Job(
        repeats=3, threads=1, repo_root=entry.parent.parent, progress=Progress(quiet=True)
    )
    record = scoring.score_entry(entry, "mlp_sprint", job, baseline=base)
    block = record["baseline"]
    assert "".join(block["order"].split()) == "".join(calls)
    assert block["order"].split() == stats.round_orders(int(block["order_seed"], 16), 3)
    assert block["speed_samples"] == pytest.approx([1.1, 1.2, 1.3])
    assert block["estimator"] == "cpu"
    # geometric mean of 1.1, 1.2, 1.3 and the t interval of their logs
    expected = stats.paired_t([math.log(1.1), math.log(1.2), math.log(1.3)])
    assert block["speedup"] == pytest.approx(expected.point)
    assert block["speedup_interval"] == pytest.approx(expected.as_record())
    assert record["cpu"]["speed_samples"] == pytest.approx([1.0, 1.0, 1.0])
    assert record["cpu"]["calls_samples"] == pytest.approx([1.0, 1.0, 1.0])
    problems = schema.validate(record, "result")
    assert not problems, problems[0]


def test_a_baseline_scored_against_itself_has_the_unit_interval(pair, monkeypatch):
    entry, _ = pair
    monkeypatch.setattr(scoring, "run_once", lambda *a, **k: fake_run(1.0, 1.0, 1.0))
    job = scoring.Job(repeats=2, repo_root=entry.parent.parent, progress=Progress(quiet=True))
    record = scoring.score_entry(entry, "mlp_sprint", job, baseline=entry)
    assert record["baseline"]["speedup_interval"] == {
        "low": 1.0,
        "high": 1.0,
        "level": 0.95,
        "method": "self",
    }
    assert not schema.validate(record, "result")


@pytest.mark.parametrize("failing, flagged", [("A", False), ("B", True)])
def test_a_failed_round_blames_the_side_that_failed(pair, monkeypatch, failing, flagged):
    """The entry failing in round 2 ends the scoring without a baseline_failed flag, even when the
    baseline ran first in that round; a failing baseline run is flagged."""
    entry, base = pair
    calls = []

    def run_once(
        folder, event_id, job, rng, wrap=None, launch=None, turns=None, side="A", timed_only=False
    ):
        take_turn(turns, side)
        side = "A" if folder == pair[0] else "B"
        calls.append(side)
        run = fake_run(1.0, 1.0, 1.0)
        if side == failing and calls.count(side) == 2:
            run.outcome = Outcome(status="error", reason="boom")
        return run

    monkeypatch.setattr(scoring, "run_once", run_once)
    job = scoring.Job(
        repeats=3, threads=1, repo_root=entry.parent.parent, progress=Progress(quiet=True)
    )
    record = scoring.score_entry(entry, "mlp_sprint", job, baseline=base)
    assert ("baseline_failed" in record["flags"]) is flagged
    assert record["status"] == ("ok" if failing == "B" else "error")
    if failing == "A":
        assert record["baseline"]["order"] in ("AB", "BA")  # the one complete round
        assert len(record["baseline"]["speed_samples"]) == 1
    assert not schema.validate(record, "result")


# The entry takes 1.0 s in every round; the baseline 1.1 s in its odd runs and 1.3 s in its
# even ones, so the rounds' log speed-ups alternate a = ln 1.1 and b = ln 1.3 (d = b - a =
# 0.16705). Stein's rule, worked out by hand: the first stage is 10 rounds (5 a, 5 b), their
# sd s0 = (d / 2) * sqrt(10 / 9) = 0.088045, and t(9) = 2.2622, so t * s0 = 0.19917 and the
# rounds in all are N = ceil((0.19917 / precision)^2), at least 10:
#   precision 0.25:  0.63 -> 10 rounds, half-width 0.19917 / sqrt(10) = 0.0630
#   precision 0.06:  11.02 -> 12 rounds, half-width 0.19917 / sqrt(12) = 0.0575
#   precision 0.05:  15.87 -> 16 rounds, half-width 0.19917 / 4 = 0.04979; the mean of 8 a
#                    and 8 b is 0.178837, so the interval is exp(0.178837 -+ 0.04979)
#                    = [1.13774, 1.25688]
@pytest.mark.parametrize(
    "precision, max_rounds, budget, rounds, flagged, interval",
    [
        (None, 40, None, 3, False, None),  # no target: the planned rounds (A's spread is 0)
        (0.25, 40, None, 10, False, None),  # the first stage is always run
        (0.06, 40, None, 12, False, None),
        (0.05, 40, None, 16, False, (1.13774, 1.25688)),
        (0.05, 12, None, 12, True, None),  # stopped by the cap while 0.0575 > 0.05: high_spread
        (0.06, 12, None, 12, False, None),  # the cap, with 0.0575 within the target: not flagged
        # Rounds of milliseconds fit 300 s many times over: past the cap of 12, to the 16 asked
        (0.05, 12, 300.0, 16, False, (1.13774, 1.25688)),
    ],
)
def test_rounds_go_on_until_the_interval_is_as_tight_as_asked(
    pair, monkeypatch, precision, max_rounds, budget, rounds, flagged, interval
):
    entry, base = pair
    calls = []

    def run_once(
        folder, event_id, job, rng, wrap=None, launch=None, turns=None, side="A", timed_only=False
    ):
        take_turn(turns, side)
        side = "A" if folder == pair[0] else "B"
        calls.append(side)
        speed = 1.0 if side == "A" else (1.1 if calls.count("B") % 2 else 1.3)
        return fake_run(speed, speed, speed)

    monkeypatch.setattr(scoring, "run_once", run_once)
    job = scoring.Job(
        repeats=3,
        threads=1,
        precision=precision,
        max_rounds=max_rounds,
        round_budget_s=budget,
        repo_root=entry.parent.parent,
        progress=Progress(quiet=True),
    )
    record = scoring.score_entry(entry, "mlp_sprint", job, baseline=base)
    assert record["repeats"] == rounds and calls.count("B") == rounds
    assert ("high_spread" in record["flags"]) is flagged
    assert len(record["baseline"]["order"].split()) == rounds
    recorded = record["baseline"]["speedup_interval"]
    if precision is not None and rounds > 10:
        assert recorded["method"] == "paired-stein-log" and recorded["first_rounds"] == 10
    if interval:
        assert (recorded["low"], recorded["high"]) == pytest.approx(interval, rel=1e-4)
    assert not schema.validate(record, "result")


# First stage [0.0, 0.1, 0.2]: sd 0.1, t(2) = 4.3027, so (4.3027 * 0.1 / precision)^2 rounds.
@pytest.mark.parametrize(
    "precision, cap, expected",
    [
        (0.1, 40, 19),  # 18.51 -> 19
        (0.1, 10, 10),  # capped
        (1.0, 40, 3),  # 0.185: never fewer than the first stage
    ],
)
def test_stein_rounds(precision, cap, expected):
    assert stats.stein_rounds([0.0, 0.1, 0.2], precision, cap) == expected


def test_paired_stein_takes_its_width_from_the_first_stage():
    # Mean of all five 0.1; half-width t(2) * sd(first three) / sqrt(5) = 4.3027 * 0.1 / 2.2361
    # = 0.19242: exp(0.1 -+ 0.19242) = [0.91172, 1.33966]. Over all five rounds alone (sd
    # 0.0707, t(4) = 2.7764) the t interval would be narrower, [1.0123, 1.2066].
    interval = stats.paired_stein([0.0, 0.1, 0.2, 0.1, 0.1], first_rounds=3)
    assert (interval.low, interval.high) == pytest.approx((0.91172, 1.33966), rel=1e-4)
    assert interval.method == stats.STEIN_METHOD and interval.first_rounds == 3
    assert interval.as_record()["first_rounds"] == 3
    # No rounds beyond the first stage: Student's t, as without a target.
    assert stats.paired_stein([0.0, 0.1, 0.2], 3) == stats.paired_t([0.0, 0.1, 0.2])


def test_paired_stein_widens_when_the_later_rounds_spread_more():
    # First stage [0.0, 0.1, 0.2] as above (t(2) * sd = 0.43027); two wild rounds 0.5, -0.3
    # keep the mean at 0.1 but make the sd of all five sqrt(0.34 / 4) = 0.29155, and
    # t(4) * 0.29155 = 0.80946 is the wider: half-width 0.80946 / sqrt(5) = 0.36200,
    # exp(0.1 -+ 0.362) = [0.76951, 1.58725]. Stein's width alone would claim [0.91172, 1.33966].
    interval = stats.paired_stein([0.0, 0.1, 0.2, 0.5, -0.3], first_rounds=3)
    assert (interval.low, interval.high) == pytest.approx((0.76951, 1.58725), rel=1e-4)
    assert interval.method == stats.STEIN_METHOD and interval.first_rounds == 3


def test_the_spread_rule_still_adds_rounds_without_a_target(pair, monkeypatch):
    """Without a precision target, an entry whose speeds spread over 10% gets up to
    EXTRA_ROUNDS more rounds, and the record is flagged when the spread stays high."""
    entry, base = pair
    calls = []

    def run_once(
        folder, event_id, job, rng, wrap=None, launch=None, turns=None, side="A", timed_only=False
    ):
        take_turn(turns, side)
        side = "A" if folder == pair[0] else "B"
        calls.append(side)
        speed = (1.0 if calls.count("A") % 2 else 1.5) if side == "A" else 1.0
        return fake_run(speed, speed, speed)

    monkeypatch.setattr(scoring, "run_once", run_once)
    job = scoring.Job(
        repeats=3, threads=1, repo_root=entry.parent.parent, progress=Progress(quiet=True)
    )
    record = scoring.score_entry(entry, "mlp_sprint", job, baseline=base)
    assert record["repeats"] == 3 + scoring.EXTRA_ROUNDS
    assert "high_spread" in record["flags"]


# The cap Stein's rule is held to, from the first stage's round times: 300 s at 1.8 s a round
# is 166.7 -> 166 rounds; at 14.4 s it is 20.8, below max_rounds, which stays; 300 s at 0.1 s
# is 3,000, above HARD_MAX_ROUNDS.
@pytest.mark.parametrize(
    "max_rounds, budget, seconds, cap",
    [
        (40, None, [1.8] * 10, 40),  # no budget: max_rounds
        (40, 300.0, [1.8] * 10, 166),
        (40, 300.0, [1.0, 2.6] * 5, 166),  # the mean pace, 1.8 s
        (40, 300.0, [14.4] * 10, 40),
        (40, 300.0, [0.1] * 10, job_module.HARD_MAX_ROUNDS),
        (40, 300.0, [0.0] * 10, job_module.HARD_MAX_ROUNDS),
        (40, 300.0, [], 40),  # no round timed yet
    ],
)
def test_round_cap_fits_short_rounds_into_the_budget(max_rounds, budget, seconds, cap):
    job = scoring.Job(max_rounds=max_rounds, round_budget_s=budget)
    assert job.round_cap(seconds) == cap
