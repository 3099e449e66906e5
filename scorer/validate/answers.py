"""The answer-table checks: every file's bytes and every weight array, for a table of answers.

The test sets are public, so a "model" can be a table of answers: labels keyed by an image
hash, the validation text itself. These checks look at every file's bytes for the shapes such
a table takes. A hit does not fail validation (an honest entry can trip one); it is a flag with
a code under REVIEW_PREFIX, which keeps the entry off the rankings until a maintainer has
looked and approved that exact content hash in reviews.yml (scorer.contract.review).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from scorer.contract.events import EVENTS
from scorer.contract.problems import Problem, display
from scorer.validate.weights import MAX_WEIGHT_BYTES, TEST_SET_SIZE

# Sizes of what there is to memorise: 10,000 MNIST / CIFAR-10 test items (labels, 784-byte and
# 3,072-byte images), and the Tiny Shakespeare validation split (last 10% of 1,115,394
# characters: 111,540 characters, 111,539 next-token targets).
TINYSHAKESPEARE_VAL_CHARS = 111_540
TEST_SET_COUNTS = frozenset(
    {
        TEST_SET_SIZE,
        TEST_SET_SIZE * 784,
        TEST_SET_SIZE * 3072,
        TINYSHAKESPEARE_VAL_CHARS,
        TINYSHAKESPEARE_VAL_CHARS - 1,
    }
)
# An encoded run: letters, digits, '+' and '/' without a break, at least this long, whose
# characters spread like data (base64, hex, digits, labels spelt as letters). Across this
# repository's code, docs, records and baselines no file holds more than 1,300 such characters.
ENCODED_RUN = 16
# Encoded characters in one file (or the whole folder) past which it is flagged. 10,000 labels
# need about 4,000 base64 characters even packed at 2.4 bits each; a README's few hashes and a
# git commit id stay far below.
ENCODED_CHARS_LIMIT = 4096
# Numbers in runs of at least PACKED_RUN (comma/space/colon separated) past which a file is a
# table of numbers: "0, 7, 2, 1, ..." or "{12: 7, 13: 2, ...}".
PACKED_RUN = 64
PACKED_NUMBERS_LIMIT = 2000
TEXT_LINES_LIMIT = TEST_SET_SIZE  # a data file with a line per test item
HIDDEN_COMMENT_BYTES = 16 * 1024  # an HTML comment the rendered README never shows
# Weight arrays: inspected up to this many bytes each (the folder limit is 25 MiB compressed).
INSPECT_BYTES = 64 * 1024 * 1024
INSPECT_ELEMENTS = 1 << 20
SCAN_BYTES = 4 * 1024 * 1024  # of each other file: the whole of any honest one
MIN_TABLE_ELEMENTS = 1000
ASCII_FRACTION = 0.9

_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{%d,}={0,2}" % ENCODED_RUN)
# Short hex words (8-31 characters, mixing digits and letters): the image hashes a table keys by.
_HEX_WORD = re.compile(rb"(?<![0-9A-Za-z])[0-9a-fA-F]{8,%d}(?![0-9A-Za-z])" % (ENCODED_RUN - 1))
_HTML_COMMENT = re.compile(rb"<!--(.*?)-->", re.S)
_TRAILING = re.compile(rb"[ \t]+(?=\r?\n|\Z)")


def _entropy(run: bytes) -> float:
    counts = np.bincount(np.frombuffer(run, np.uint8), minlength=256)
    p = counts[counts > 0] / len(run)
    return float(-(p * np.log2(p)).sum())


def encoded_chars(data: bytes, stop: int | None = None) -> int:
    """Characters of a file in long base64 / hex / digit runs that look like encoded data.

    Short hex words (hashes) count too. A run counts when its characters spread like data (more
    than 3 bits each), so a row of one letter does not; a few long words and identifiers do, but
    a file holds thousands of their characters only when it is a table. Counting ends past
    ``stop`` (a 25 MiB file of short runs would take seconds).
    """
    total = 0
    for m in _BASE64_RUN.finditer(data):
        run = m.group(0).rstrip(b"=")
        if _entropy(run) > 3.0:
            total += len(run)
            if stop is not None and total > stop:
                return total
    for m in _HEX_WORD.finditer(data):
        word = m.group(0)
        if any(48 <= c <= 57 for c in word) and any(c >= 65 for c in word):
            total += len(word)
    return total


_NUMBER_BYTES = np.zeros(256, bool)
_NUMBER_BYTES[list(b"0123456789.-+eE")] = True
_SEPARATOR_BYTES = np.zeros(256, bool)
_SEPARATOR_BYTES[list(b" \t\r\n,;:")] = True


def packed_numbers(data: bytes) -> int:
    """How many numbers a file holds in runs of at least PACKED_RUN separated numbers.

    A run is a stretch of number characters and separators (space, comma, semicolon, colon)
    only; counted with array operations, so a 25 MiB file takes a fraction of a second.
    """
    if not data:
        return 0
    b = np.frombuffer(data, np.uint8)
    num = _NUMBER_BYTES[b]
    other = ~(num | _SEPARATOR_BYTES[b])
    starts = num & ~np.concatenate(([False], num[:-1]))  # the first character of each number
    segment = np.cumsum(other)
    counts = np.bincount(segment[starts], minlength=int(segment[-1]) + 1)
    return int(counts[counts >= PACKED_RUN].sum())


def scan_text(path: Path, data: bytes, where: str) -> tuple[list[Problem], int]:
    """Flags for one file's bytes (any file but weights), and its count of encoded characters."""
    problems: list[Problem] = []
    encoded = encoded_chars(data, stop=4 * ENCODED_CHARS_LIMIT)
    if encoded > ENCODED_CHARS_LIMIT:
        more = "more than " if encoded > 4 * ENCODED_CHARS_LIMIT else ""
        problems.append(
            Problem(
                where,
                f"holds {more}{min(encoded, 4 * ENCODED_CHARS_LIMIT):,} characters of encoded data (long base64, hex or digit runs); flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/high-entropy",
            )
        )
    numbers = packed_numbers(data)
    if numbers > PACKED_NUMBERS_LIMIT:
        problems.append(
            Problem(
                where,
                f"holds a table of {numbers:,} numbers; flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/packed-numbers",
            )
        )
    lines = data.count(b"\n") + 1
    if path.suffix != ".py" and lines >= TEXT_LINES_LIMIT:  # data and docs, any kind
        problems.append(
            Problem(
                where,
                f"a data file of {lines:,} lines, as many as a test set has items or more; flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/test-set-size",
            )
        )
    unusual = int(np.count_nonzero(np.frombuffer(data, np.uint8) >= 0xC0))  # UTF-8 lead bytes
    if unusual > ENCODED_CHARS_LIMIT:
        problems.append(
            Problem(
                where,
                f"holds {unusual:,} non-ASCII characters (a table can be spelt in them); flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/unicode-data",
            )
        )
    trailing = sum(len(m.group(0)) for m in _TRAILING.finditer(data))
    if trailing > ENCODED_CHARS_LIMIT:
        problems.append(
            Problem(
                where,
                f"holds {trailing:,} spaces and tabs at line ends, which no reader sees; flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/hidden-text",
            )
        )
    if path.suffix == ".md":
        hidden = sum(len(m.group(1)) for m in _HTML_COMMENT.finditer(data))
        if hidden > HIDDEN_COMMENT_BYTES:
            problems.append(
                Problem(
                    where,
                    f"hides {hidden:,} bytes in HTML comments, which the page never shows; flagged for review (answer tables are not allowed)",
                    "warning",
                    "answer-table/hidden-text",
                )
            )
    if (
        len(data) >= TINYSHAKESPEARE_VAL_CHARS // 2
        and data.count(b"\n")
        and _looks_like_validation_text(data)
    ):
        problems.append(
            Problem(
                where,
                "holds a long stretch of play text like the Tiny Shakespeare validation split; flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/validation-text",
            )
        )
    return problems, encoded


def _looks_like_validation_text(data: bytes) -> bool:
    """Many speaker lines ("NAME:\\n") as the play text has: a copy of the corpus."""
    return len(re.findall(rb"\n[A-Z][A-Z ]{2,}:\n", data)) > 200


def _array_flags(name: str, array: np.ndarray) -> list[tuple[str, str]]:
    """(code, reason) for an array that is not what weights look like."""
    flags: list[tuple[str, str]] = []
    if (
        array.size in TEST_SET_COUNTS
        and array.size != TEST_SET_SIZE
        or (array.ndim and array.shape[0] in TEST_SET_COUNTS - {TEST_SET_SIZE})
        or (array.nbytes in TEST_SET_COUNTS and array.nbytes > TEST_SET_SIZE)
    ):
        flags.append(
            (
                "answer-table/test-set-size",
                f"an array of shape {tuple(array.shape)} ({array.nbytes:,} bytes), the size of a test set or the validation text",
            )
        )
    if array.dtype.kind not in "biuf" or array.size < MIN_TABLE_ELEMENTS:
        return flags
    sample = array.reshape(-1)[:INSPECT_ELEMENTS]  # a table shows in its first million values
    raw = np.ascontiguousarray(sample).view(np.uint8)
    printable = np.count_nonzero(((raw >= 32) & (raw < 127)) | (raw == 10)) / max(raw.size, 1)
    if raw.size >= 4096 and printable >= ASCII_FRACTION:
        flags.append(
            (
                "answer-table/text-in-weights",
                f"{printable:.0%} of its bytes are printable text, not numbers",
            )
        )
        return flags
    if array.dtype.kind == "b":
        return flags
    with np.errstate(all="ignore"):
        values = sample.astype(np.float64)
        finite = np.isfinite(values).all()
        integral = finite and bool(np.all(values == np.round(values)))
    if (
        integral
        and values.min() >= 0
        and values.max() <= 127
        and np.unique(values[:100_000]).size >= 2
    ):
        kind = (
            "integers"
            if array.dtype.kind in "iu"
            else f"{array.dtype} values that are all whole numbers"
        )
        flags.append(
            (
                "answer-table/integer-data",
                f"holds {kind} between {values.min():g} and {values.max():g}: labels or characters, not weights",
            )
        )
    return flags


def _members(path: Path, budget: list[int]):
    """(name, array) of each array of a weight file, one at a time; None for one too large.

    ``budget`` holds the bytes the folder may still decompress: past MAX_WEIGHT_BYTES (which
    check_weights already fails) nothing more is opened, so a zip bomb costs no time here.
    """
    if path.suffix == ".npy":
        yield path.name, np.load(path, allow_pickle=False, mmap_mode="r")
        return
    with np.load(path, allow_pickle=False) as archive:
        for info in archive.zip.infolist():
            if not info.filename.endswith(".npy"):
                continue  # check_weights reports it; NpzFile would hand back bytes
            name = info.filename[:-4]
            if info.file_size > INSPECT_BYTES:
                yield name, None
                continue
            budget[0] -= info.file_size
            if budget[0] < 0:
                return
            yield name, archive[name]


def check_arrays(folder: Path, files: list[Path]) -> list[Problem]:
    """Weight arrays whose values decode to labels, text or a test set rather than numbers.

    Loaded with allow_pickle=False after check_weights has read the headers; a file that does
    not load is left to check_weights, which already reported why.
    """
    problems: list[Problem] = []
    event = EVENTS.get(folder.resolve().name)
    if event is not None and not event.loads_weights:
        return problems  # weight files are not allowed there at all: check_weights says so
    budget = [MAX_WEIGHT_BYTES]
    for path in files:
        if path.suffix not in (".npy", ".npz"):
            continue
        where = display(path)
        try:
            for name, array in _members(path, budget):
                if array is None:
                    problems.append(
                        Problem(
                            f"{where}[{name}]",
                            f"an array of more than {INSPECT_BYTES // 2**20} MiB, too large to inspect here; flagged for review (answer tables are not allowed)",
                            "warning",
                            "answer-table/large-file",
                        )
                    )
                    continue
                if (
                    not isinstance(array, np.ndarray)
                    or array.dtype.hasobject
                    or array.dtype.fields is not None
                ):
                    continue
                for code, reason in _array_flags(name, np.asarray(array)):
                    problems.append(
                        Problem(
                            f"{where}[{name}]",
                            f"{reason}; flagged for review (answer tables are not allowed)",
                            "warning",
                            code,
                        )
                    )
        except Exception:  # noqa: BLE001, S112 - check_weights reports every unreadable file
            continue
    return problems


def check_answer_tables(folder: Path, files: list[Path]) -> list[Problem]:
    """Every file's bytes (.md and .txt included) and every weight array, for answer tables."""
    problems: list[Problem] = []
    encoded_total = 0
    flagged_encoded = False
    for path in files:
        if path.suffix in (".npy", ".npz"):
            continue
        where = display(path)
        size = path.stat().st_size
        with open(path, "rb") as f:
            data = f.read(SCAN_BYTES)
        found, encoded = scan_text(path, data, where)
        if size > SCAN_BYTES:
            found.append(
                Problem(
                    where,
                    f"a {size / 2**20:.1f} MiB file, more than the {SCAN_BYTES // 2**20} MiB the scan reads; flagged for review (answer tables are not allowed)",
                    "warning",
                    "answer-table/large-file",
                )
            )
        problems += found
        encoded_total += encoded
        flagged_encoded |= any(p.code == "answer-table/high-entropy" for p in found)
    if encoded_total > ENCODED_CHARS_LIMIT and not flagged_encoded:
        problems.append(
            Problem(
                display(folder),
                f"its files hold {encoded_total:,} characters of encoded data together (long base64, hex or digit runs); flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/high-entropy",
            )
        )
    return problems + check_arrays(folder, files)
