"""The hand-written docs state what the code does: allowlist, limits, constants."""

from __future__ import annotations

from pathlib import Path

from scorer.contract.limits import DEFAULT_STDLIB_ALLOWLIST, Limits
from scorer.scoring import assembly, job
from scorer.scoring import engine as scoring
from scorer.scoring.events import cnn_marathon, transformer_decathlon

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_rules_list_exactly_the_stdlib_allowlist():
    text = (DOCS / "rules.md").read_text()
    for module in DEFAULT_STDLIB_ALLOWLIST:
        assert f"`{module}`" in text, module
    for forbidden in ("subprocess", "socket", "ctypes"):
        assert f"`{forbidden}`," not in text


def test_rules_state_the_default_limits():
    text = (DOCS / "rules.md").read_text()
    limits = Limits()
    assert f"{limits.phase_wall_s / 60:.0f} minutes of wall time" in text
    assert f"{limits.memory_bytes // 2**30} GiB of memory" in text


def test_methodology_states_the_scoring_constants():
    text = (DOCS / "methodology.md").read_text()
    assert f"**{job.DEFAULT_REPEATS} times**" in text
    assert f"**{assembly.SPREAD_BOUND:.0%}**" in text
    assert f"up to {scoring.EXTRA_ROUNDS} more rounds" in text
    assert f"s₀ / {job.DEFAULT_PRECISION:g})²⌉ (`--precision`" in text
    assert f"the first **{job.MIN_PRECISE_ROUNDS} rounds**" in text
    assert f"at most **{job.DEFAULT_MAX_ROUNDS} rounds** (`--max-rounds`)" in text
    assert f"as\n  many as fit in **{job.DEFAULT_ROUND_BUDGET_S:g} s** at their pace" in text
    assert f"never more than {job.HARD_MAX_ROUNDS:,}" in text
    assert f"median of {cnn_marathon.TIMED_CALLS} timed batches" in text
    assert f"shown in {cnn_marathon.CALLS} batches of {cnn_marathon.BATCH:,}" in text
    assert f"`{transformer_decathlon.WINDOW_STRIDE}·k`" in text
    assert f"{transformer_decathlon.BLEU_PROMPTS} fixed prompts" in text
