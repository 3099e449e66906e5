"""The scorer's one error family.

Every mistake a user can make (a bad command line, a broken submission folder, a missing or
corrupt dataset file, a corrupt result record) is raised as a ``ScorerError`` subclass and caught
once, in ``scorer.cli.main``, which prints its one-line message and exits non-zero. Anything else
is a bug in the scorer and keeps its traceback.
"""

from __future__ import annotations


class ScorerError(Exception):
    """A problem the user can fix; ``str(err)`` is the one line shown to them."""

    exit_code = 1


class UsageError(ScorerError):
    """The command line asks for something that does not exist or does not fit together."""

    exit_code = 2


class DatasetError(ScorerError):
    """A dataset file is missing, cannot be fetched, or fails its checksum."""


class SubmissionError(ScorerError):
    """A submission folder cannot be read at all (not found, not a folder, no submission.json)."""


class RecordError(ScorerError):
    """A file under results/ or awards.yml is corrupt or does not match its schema."""
