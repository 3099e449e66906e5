"""A problem found in a submission: where it is, what is wrong, how severe, and its review code.

The validator (scorer.validate) reports its findings as ``Problem``s and the review gate
(scorer.contract.review) reads their codes: a code under REVIEW_PREFIX keeps an entry off the
rankings until a maintainer approves its content hash. ``one_line`` and ``display`` make
messages and paths plain one-line text for the user. Imports nothing of the scorer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scorer.text import one_line

REVIEW_PREFIX = "answer-table/"


@dataclass(frozen=True, order=True)
class Problem:
    where: str  # "path/to/file:line" or "path/to/submission.json: $.json.path"
    message: str  # what is wrong and how to fix it
    severity: str = "error"  # "error" fails validation; "warning" is flagged for review
    # A stable id for what was found, e.g. "answer-table/high-entropy"; empty for most problems.
    # Codes under REVIEW_PREFIX keep an entry off the rankings until a maintainer approves its
    # content hash in reviews.yml (see scorer.contract.review).
    code: str = ""

    @property
    def needs_review(self) -> bool:
        return self.code.startswith(REVIEW_PREFIX)

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        tag = f" [{self.code}]" if self.code else ""
        return one_line(f"{self.where}: {prefix}{self.message}{tag}")


def display(path: Path, root: Path | None = None) -> str:
    """A path as shown to the user: relative to ``root`` (or the working folder) when inside it."""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)
