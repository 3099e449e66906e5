"""The review gate: entries flagged as possible answer tables wait for a maintainer.

The test sets are public, so an entry can score by looking answers up instead of computing them.
``scorer.validate.answers.check_answer_tables`` (run by ``tinymlperf validate``) flags what such a table
looks like, each flag a ``Problem`` with a code under ``answer-table/``. A flag does not fail
validation, since an honest entry can trip one, but it is never ignored either:

* the scorer copies the codes into the result record's ``flags`` (``record_flags``);
* the site and the pull-request report list a flagged entry as *awaiting review* and rank it
  only once ``reviews.yml`` approves that exact ``submission.content_hash`` (``awaiting``).

A changed folder has a new content hash, so every approval covers exactly the files reviewed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from scorer.contract import schema
from scorer.contract.problems import REVIEW_PREFIX, Problem

REVIEWS_FILE = "reviews.yml"
# The flag records carried before the codes existed: it still means "flagged for review".
LEGACY_FLAG = "large_literal"
AWAITING = "awaiting review"


def record_flags(problems: Iterable[Problem]) -> list[str]:
    """The record flags for a validation report's problems: every review code, sorted.

    ``large_literal`` is kept beside the codes, so readers of older records see the same flag.
    """
    codes = {p.code for p in problems if p.needs_review}
    return sorted(codes | {LEGACY_FLAG}) if codes else []


def review_flags(record: Mapping) -> list[str]:
    """The flags of a record that need a maintainer's review, sorted."""
    return sorted(
        f for f in record.get("flags") or () if f.startswith(REVIEW_PREFIX) or f == LEGACY_FLAG
    )


def read_reviews(path: Path) -> list[dict]:
    """reviews.yml, validated against its schema; a missing file approves nothing."""
    if not path.is_file():
        return []
    return parse_reviews(path.read_bytes(), str(path))


def parse_reviews(raw: bytes, where: str = REVIEWS_FILE) -> list[dict]:
    """The approvals in reviews.yml's bytes (read from a commit, say), validated."""
    data = schema.load_yaml(
        raw, where, "reviews", "the reviews schema (schemas/reviews.schema.json on the site)"
    )
    return sorted(
        data["reviews"], key=lambda r: (r["team"], r["event"], r["date"], r["content_hash"])
    )


def approvals(reviews: Iterable[Mapping]) -> frozenset[tuple[str, str, str]]:
    """(team, event, content_hash) of every approval."""
    return frozenset((r["team"], r["event"], r["content_hash"]) for r in reviews)


def awaiting(record: Mapping, approved: frozenset[tuple[str, str, str]]) -> list[str]:
    """The review flags that keep this record off the rankings: empty when there are none, or
    when a maintainer approved the record's exact content hash."""
    flags = review_flags(record)
    if not flags:
        return []
    key = (record["team"], record["event"], (record.get("submission") or {}).get("content_hash"))
    return [] if key in approved else flags


def reason(record: Mapping, flags: list[str]) -> str:
    """One line for the site and the PR report: what was flagged and how it gets ranked."""
    codes = ", ".join(f for f in flags if f != LEGACY_FLAG) or LEGACY_FLAG
    content_hash = (record.get("submission") or {}).get("content_hash", "")
    return (
        f"{AWAITING}: flagged as a possible answer table ({codes}); ranked once a maintainer "
        f"approves content hash {content_hash} in {REVIEWS_FILE}"
    )
