"""What each event is: its API, metrics, threshold and limits, as plain data.

The site, the validator, ``tinymlperf new`` and the scoring code all read these specs, so an
event's name, units and threshold are written down once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Metric:
    key: str  # name in result records, e.g. "train_time"
    label: str  # column heading on the site
    unit: str  # "s", "tokens/s", "MiB", "fraction", "perplexity"
    direction: str  # "lower" or "higher" is better
    claimed_key: str | None  # the matching key in submission.json's "claimed"; None: a check,
    # not something a team claims (canary agreement, memorisation perplexities)
    description: str

    def better(self, a: float, b: float) -> bool:
        """True when value ``a`` is strictly better than ``b``."""
        return a < b if self.direction == "lower" else a > b


@dataclass(frozen=True)
class Tolerance:
    """How far a retrained model's quality may fall from the shipped weights' (``reproduce``).

    ``kind`` "absolute": the qualities may differ by ``value`` (accuracy points as a fraction);
    "relative": by ``value`` times the shipped quality (perplexity).
    """

    kind: str  # "absolute" | "relative"
    value: float

    def allowed(self, shipped: float) -> float:
        """The largest difference allowed from the shipped quality ``shipped``."""
        return self.value if self.kind == "absolute" else self.value * abs(shipped)

    def describe(self) -> str:
        return f"±{self.value:g}" if self.kind == "absolute" else f"±{self.value:.0%} (relative)"


# What `tinymlperf reproduce` gives a weights-loading entry's train.py by default: 2 hours of
# wall time on the standard runner (2 cores), and CPU for both cores over those 2 hours.
TRAIN_BUDGET_WALL_S = 7200.0
TRAIN_BUDGET_CPU_PER_WALL = 2.0
# A record's provenance.status (scorer/scoring/reproduce.py); an entry "not_reproduced" is not ranked.
PROVENANCE_STATUSES = ("reproduced", "not_reproduced", "not_tried")
NOT_REPRODUCED = "not_reproduced"


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    dataset: str
    summary: str
    api: tuple[str, ...]  # the signatures a submission implements
    quality: Metric
    threshold: float
    speed: Metric
    memory: Metric
    loads_weights: bool
    extra: tuple[Metric, ...] = field(default=())
    # Weights-loading events: how close a retraining from the entry's own train.py must come
    # to the shipped weights' quality for them to count as reproduced (docs/rules.md).
    tolerance: Tolerance | None = None

    def meets_threshold(self, quality: float) -> bool:
        if self.quality.direction == "higher":
            return quality >= self.threshold
        return quality <= self.threshold


PEAK_MEMORY = Metric(
    key="peak_memory",
    label="Peak memory",
    unit="MiB",
    direction="lower",
    claimed_key="peak_memory_mib",
    description="Peak resident memory of the whole child process over the run, read from the kernel.",
)

ACCURACY = Metric(
    key="accuracy",
    label="Accuracy",
    unit="fraction",
    direction="higher",
    claimed_key="accuracy",
    description="Fraction of the 10,000 test images labelled correctly.",
)

CANARY_AGREEMENT = Metric(
    key="canary_agreement",
    label="Canary agreement",
    unit="fraction",
    direction="higher",
    claimed_key=None,
    description="Fraction of slightly noisy copies of secret test images labelled like their "
    "originals (checked, not ranked: answers from a table of the test set fail it).",
)

# The reference entries (submissions/baseline/<event>/): each event's yardstick, shown on its board
# and scored beside every entry, never ranked.
BASELINE_TEAM = "baseline"
# Every entry lives at submissions/<team-id>/<event-id>/ in the repository.
SUBMISSIONS = "submissions"


def entry_path(team: str, event_id: str) -> str:
    """An entry's folder relative to the repository root, as git names it."""
    return f"{SUBMISSIONS}/{team}/{event_id}"


def entry_folder(root: Path, team: str, event_id: str) -> Path:
    """An entry's folder under a repository (or a scratch copy of one) at ``root``."""
    return root / SUBMISSIONS / team / event_id


EVENTS: dict[str, Event] = {
    "mlp_sprint": Event(
        id="mlp_sprint",
        name="MLP Sprint",
        dataset="mnist",
        summary="Train an MNIST MLP to at least 95% test accuracy, as fast and small as you can.",
        api=(
            "train(x_train, y_train) -> model   # x uint8 (60000, 28, 28), y uint8 (60000,)",
            "predict(model, x) -> labels        # x uint8 (N, 28, 28) -> int (N,)",
        ),
        quality=ACCURACY,
        threshold=0.95,
        speed=Metric(
            key="train_time",
            label="Training time",
            unit="s",
            direction="lower",
            claimed_key="train_time_s",
            description="Wall time of train() on the 60,000 training images plus predict() on the "
            "10,000 test images (and their canary copies), both timed by the parent process.",
        ),
        memory=PEAK_MEMORY,
        loads_weights=False,
        extra=(CANARY_AGREEMENT,),
    ),
    "cnn_marathon": Event(
        id="cnn_marathon",
        name="CNN Marathon",
        dataset="cifar10",
        summary="Classify CIFAR-10 at 75% or better; ranked by inference time for 1,000 images.",
        api=(
            "load(directory) -> model           # read your trained weights from your folder",
            "predict(model, x) -> labels        # x uint8 (N, 32, 32, 3) RGB -> int (N,)",
        ),
        quality=ACCURACY,
        threshold=0.75,
        speed=Metric(
            key="inference_time",
            label="Inference time (1,000 images)",
            unit="s",
            direction="lower",
            claimed_key="inference_time_s",
            description="Median wall time of predict() per 1,000 test images over 9 timed batches "
            "after a warm-up; every batch holds images the model has not seen before.",
        ),
        memory=PEAK_MEMORY,
        loads_weights=True,
        extra=(CANARY_AGREEMENT,),
        # Two trainings of the baseline recipe differ by a few tenths of a point (BLAS
        # threading changes the float rounding); 2 points leaves room for that, not for
        # weights fitted on the test set.
        tolerance=Tolerance("absolute", 0.02),
    ),
    "transformer_decathlon": Event(
        id="transformer_decathlon",
        name="Transformer Decathlon",
        dataset="tinyshakespeare",
        summary="A character-level TinyGPT on Tiny Shakespeare: perplexity at most 6.0, ranked by generation speed.",
        api=(
            "load(directory) -> model           # read your trained weights from your folder",
            "logits(model, tokens) -> logits    # int (B, T), T <= 512 -> float (B, T, 65)",
            "generate(model, prompt, n) -> ids  # greedy; int (P,) -> int (n,)",
        ),
        quality=Metric(
            key="perplexity",
            label="Perplexity",
            unit="perplexity",
            direction="lower",
            claimed_key="perplexity",
            description="exp of the mean next-character cross-entropy on the validation split, in 512-token windows.",
        ),
        threshold=6.0,
        speed=Metric(
            key="tokens_per_s",
            label="Generation speed",
            unit="tokens/s",
            direction="higher",
            claimed_key="tokens_per_s",
            description="Tokens per second generating 448 tokens after a 64-token prompt, median of 11.",
        ),
        memory=PEAK_MEMORY,
        loads_weights=True,
        extra=(
            Metric(
                key="bleu",
                label="BLEU",
                unit="score",
                direction="higher",
                claimed_key="bleu",
                description="BLEU-4 of greedy continuations against the true text (reported, not ranked).",
            ),
            Metric(
                key="train_perplexity",
                label="Training-text perplexity",
                unit="perplexity",
                direction="lower",
                claimed_key=None,
                description="Perplexity on windows of the training text (checked, not ranked: far "
                "above the validation perplexity means the validation text was memorised).",
            ),
            Metric(
                key="perturbed_perplexity",
                label="Perturbed-text perplexity",
                unit="perplexity",
                direction="lower",
                claimed_key=None,
                description="Perplexity on validation windows with a few words swapped (checked, "
                "not ranked).",
            ),
        ),
        # 5% of the shipped perplexity (0.23 at the baseline's 4.6): rounding and thread
        # count move a retraining by far less; a model fitted to the validation text by more.
        tolerance=Tolerance("relative", 0.05),
    ),
}

EVENT_IDS = tuple(EVENTS)
