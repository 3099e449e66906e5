"""The rules of a submission's weight files, checked from their headers alone.

An .npy or .npz must load without pickle, hold only .npy arrays, not be truncated and not
decompress past MAX_WEIGHT_BYTES; none of it is loaded here, so a truncated, pickled or
zip-bomb file is reported without being read. An array with as many rows as the test set is
flagged for review.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from pathlib import Path

import numpy as np

from scorer.contract.events import EVENTS
from scorer.contract.problems import Problem, display

MAX_WEIGHT_BYTES = 512 * 1024 * 1024  # uncompressed, all weight files together
TEST_SET_SIZE = 10_000


def _npy_header(stream, where: str) -> tuple[tuple[int, ...], np.dtype] | Problem:
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    except (ValueError, OSError, SyntaxError) as err:
        return Problem(where, f"not a valid .npy array ({err}); save it with numpy.save")
    if dtype.hasobject:
        return Problem(
            where,
            "holds pickled Python objects; save plain numeric arrays (they are loaded with allow_pickle=False)",
        )
    return shape, dtype


def _nbytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    return int(np.prod(shape, dtype=np.int64)) * dtype.itemsize


def check_weights(folder: Path, files: list[Path]) -> list[Problem]:
    """Weight files: loadable without pickle, not truncated, not a decompression bomb."""
    problems: list[Problem] = []
    total = 0
    event = EVENTS.get(folder.resolve().name)
    for path in files:
        if path.suffix not in (".npy", ".npz"):
            continue
        where = display(path)
        if event is not None and not event.loads_weights:
            problems.append(
                Problem(
                    where,
                    f"{event.name} trains inside train(); weight files (pre-trained weights) are not allowed",
                )
            )
            continue
        arrays: list[tuple[str, tuple[int, ...]]] = []
        if path.suffix == ".npy":
            with open(path, "rb") as f:
                header = _npy_header(f, where)
                if isinstance(header, Problem):
                    problems.append(header)
                    continue
                nbytes = _nbytes(*header)
                if path.stat().st_size < f.tell() + nbytes:
                    problems.append(
                        Problem(
                            where,
                            "truncated: the file is shorter than its header says; save it again",
                        )
                    )
                    continue
            total += nbytes
            arrays.append((path.name, header[0]))
        else:
            try:
                with zipfile.ZipFile(path) as archive:
                    for info in archive.infolist():
                        member_where = f"{where}[{info.filename}]"
                        if not info.filename.endswith(".npy"):
                            problems.append(
                                Problem(
                                    member_where,
                                    "an .npz may only hold .npy arrays; save it with numpy.savez",
                                )
                            )
                            continue
                        total += info.file_size
                        if total > MAX_WEIGHT_BYTES:
                            break  # never open what would decompress past the limit
                        with archive.open(info) as member:
                            header = _npy_header(member, member_where)
                        if isinstance(header, Problem):
                            problems.append(header)
                            continue
                        if _nbytes(*header) > info.file_size:
                            problems.append(
                                Problem(member_where, "truncated array; save the file again")
                            )
                        arrays.append((info.filename, header[0]))
            # An encrypted member raises RuntimeError, an unknown compression method
            # NotImplementedError, a corrupt stream zlib/lzma errors: all mean "not an npz".
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                RuntimeError,
                NotImplementedError,
                zlib.error,
                lzma.LZMAError,
            ) as err:
                problems.append(
                    Problem(where, f"not a valid .npz archive ({err}); save it with numpy.savez")
                )
                continue
        for name, shape in arrays:
            if shape and shape[0] == TEST_SET_SIZE:
                problems.append(
                    Problem(
                        f"{where}[{name}]",
                        f"an array with {TEST_SET_SIZE:,} rows, as many as the test set; flagged for review (answer tables are not allowed)",
                        "warning",
                        "answer-table/test-set-size",
                    )
                )
    if total > MAX_WEIGHT_BYTES:
        problems.append(
            Problem(
                display(folder),
                f"weight files decompress to more than {MAX_WEIGHT_BYTES / 2**20:.0f} MiB; shrink or quantize them",
            )
        )
    return problems
