"""The static rules a submission's files must follow, checked without running them.

Python files are parsed (never imported) and their imports compared with the allowlist that the
sandbox also enforces at run time; weight files are checked from their headers alone, so a
truncated, pickled or zip-bomb file is reported without being loaded.
"""

from __future__ import annotations

import ast
import lzma
import re
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorer.contract.limits import DEFAULT_STDLIB_ALLOWLIST

MAX_WEIGHT_BYTES = 512 * 1024 * 1024   # uncompressed, all weight files together
LARGE_LITERAL_ELEMENTS = 2_000  # elements of one list/dict/set literal: a table (the test sets have 10,000 items)
LARGE_LITERAL_BYTES = 64 * 1024
# Literal text summed over one file. The course's own TinyTorch package stays far below it (its
# largest module, kv_cache.py, has about 15 KB of long strings, docstrings included), while the
# CNN baseline's float16 weights would take over 1 MB as base64.
LARGE_LITERAL_FILE_BYTES = 128 * 1024
LARGE_DATA_FILE_BYTES = 1024 * 1024
TEST_SET_SIZE = 10_000
REVIEW_PREFIX = "answer-table/"
DYNAMIC_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint", "globals", "vars"}
INTERNAL_ATTRIBUTES = {"__builtins__", "__subclasses__", "__globals__", "__code__", "__loader__", "__spec__", "f_globals", "f_back", "gi_frame"}


@dataclass(frozen=True, order=True)
class Problem:
    where: str       # "path/to/file:line" or "path/to/submission.json: $.json.path"
    message: str     # what is wrong and how to fix it
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


def one_line(text: str) -> str:
    """Escape control, zero-width and direction characters: one problem stays one plain line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


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


def own_modules(folder: Path, files: list[Path]) -> set[str]:
    """Top-level module and package names the submission defines itself."""
    names = set()
    for path in files:
        rel = path.relative_to(folder)
        if path.suffix == ".py":
            names.add(rel.parts[0] if len(rel.parts) > 1 else path.stem)
    return names


# Scripts the scorer never runs (a train.py, say) run on the team's own machine: they may use
# the whole standard library, but the rules still say NumPy only.
SCRIPT_ALLOWLIST = frozenset(sys.stdlib_module_names)


def _allowed(module: str, own: set[str], stdlib: frozenset[str]) -> bool:
    top = module.split(".")[0]
    return top == "numpy" or top in own or module in stdlib or top in stdlib


def _module_file(folder: Path, name: str, lib: Path | None = None) -> Path | None:
    """The file of module ``name`` in the entry's folder, else in the team's shared ``lib/``."""
    for root in (folder, lib) if lib is not None else (folder,):
        base = root.joinpath(*name.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def reachable(folder: Path, entry: Path, trees: dict[Path, ast.AST],
              lib: Path | None = None) -> set[Path]:
    """The files the entry module can import, following the submission's own imports
    (into the team's shared ``lib/`` too, which the sandbox puts on the import path)."""
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        path = todo.pop()
        if path in seen or path not in trees:
            continue
        seen.add(path)
        package = path.parent
        for node in ast.walk(trees[path]):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package
                    for _ in range(node.level - 1):
                        base = base.parent
                    root = lib if lib is not None and base.is_relative_to(lib) else folder
                    prefix = ".".join(base.relative_to(root).parts) if base != root else ""
                    mod = ".".join(p for p in (prefix, node.module or "") if p)
                else:
                    mod = node.module or ""
                names = [mod] + [f"{mod}.{a.name}" if mod else a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                for i in range(1, len(parts) + 1):  # a package's __init__ runs too
                    found = _module_file(folder, ".".join(parts[:i]), lib)
                    if found is not None:
                        todo.append(found)
    return seen


def _literal_size(node: ast.AST) -> int:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return len(node.elts)
    if isinstance(node, ast.Dict):
        return len(node.keys)
    return 0


# An import inside ``try:`` whose handler catches one of these is optional: the code has a
# fallback when the module is missing, and the sandbox makes a refused import an ImportError.
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def optional_imports(tree: ast.AST) -> set[int]:
    """``id()`` of every import statement guarded by ``try/except ImportError`` (or broader)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        caught = set()
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught |= {"BaseException" if k is None else getattr(k, "id", getattr(k, "attr", ""))
                       for k in kinds}
        if caught & _IMPORT_ERRORS:
            for stmt in node.body:
                guarded |= {id(n) for n in ast.walk(stmt) if isinstance(n, (ast.Import, ast.ImportFrom))}
    return guarded


class _Checker(ast.NodeVisitor):
    def __init__(self, where: str, own: set[str], stdlib: frozenset[str],
                 optional: set[int] | None = None, runtime: bool = True):
        self.where = where
        self.own = own
        self.stdlib = stdlib
        self.optional = optional or set()
        # Files the entry never imports are not run by the scorer: what would be refused at
        # run time is only worth a reviewer's look there.
        self.severity = "error" if runtime else "warning"
        self.problems: list[Problem] = []
        # Literal data summed over the file: weights or answers split into many literals, each
        # under the per-literal bounds, still add up (flagged once, by ``finish``).
        self.literal_bytes = 0
        self.literal_elements = 0
        self._first_literal: ast.AST | None = None

    def finish(self) -> None:
        if any(p.code == "answer-table/literal" for p in self.problems) or self._first_literal is None:
            return
        if self.literal_bytes > LARGE_LITERAL_FILE_BYTES or self.literal_elements >= LARGE_LITERAL_ELEMENTS:
            self._add(self._first_literal,
                      f"embeds literal data adding up to {self.literal_bytes:,} characters and "
                      f"{self.literal_elements:,} table elements over the file; flagged for review "
                      "(answer tables and weights belong in files, not code)", "warning",
                      "answer-table/literal")

    def _add(self, node: ast.AST, message: str, severity: str = "error", code: str = "") -> None:
        self.problems.append(Problem(f"{self.where}:{getattr(node, 'lineno', 1)}", message, severity, code))

    def _forbidden(self, node: ast.AST, module: str) -> None:
        if id(node) in self.optional:
            return
        if self.stdlib is SCRIPT_ALLOWLIST:
            hint = "scripts may use numpy and the standard library only (the rules say NumPy only)"
        else:
            hint = "code the scorer runs may use numpy, the standard-library allowlist (see the Rules page) and your own modules"
        self._add(node, f"imports {module!r}, which is not allowed; {hint}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            # `import a.b` binds `a`, so the top-level package itself must be allowed.
            top = alias.name.split(".")[0]
            if not (_allowed(top, self.own, self.stdlib) or alias.name in self.stdlib and alias.asname):
                self._forbidden(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:  # relative imports stay inside the submission
            return
        module = node.module or ""
        if _allowed(module, self.own, self.stdlib):
            return
        if all(f"{module}.{a.name}" in self.stdlib for a in node.names):
            return  # e.g. `from os import path`
        self._forbidden(node, module)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in DYNAMIC_CALLS:
            unused = "" if self.severity == "error" else " (this file is not imported by the entry, so it is not run)"
            self._add(node, f"calls {node.func.id}(); code that builds or looks up code at run time is not allowed, because it cannot be checked{unused}", self.severity)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in INTERNAL_ATTRIBUTES:
            self._add(node, f"uses {node.attr}, which reaches into the interpreter's internals; this is not allowed", self.severity)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in INTERNAL_ATTRIBUTES:
            self._add(node, f"uses {node.id}, which reaches into the interpreter's internals; this is not allowed", self.severity)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, (str, bytes)) and len(node.value) > 256:
            self.literal_bytes += len(node.value)
            self._first_literal = self._first_literal or node
        if isinstance(node.value, (str, bytes)) and len(node.value) > LARGE_LITERAL_BYTES:
            self._add(node, f"embeds a {len(node.value):,}-character literal; flagged for review (answer tables are not allowed)", "warning", "answer-table/literal")

    def visit(self, node: ast.AST) -> None:
        """Walk with an explicit stack: a chain of a thousand ``+`` is a tree a thousand deep,
        and the recursive NodeVisitor would end validate with a RecursionError."""
        self._todo = [node]
        while self._todo:
            item = self._todo.pop()
            getattr(self, f"visit_{type(item).__name__}", self.generic_visit)(item)

    def generic_visit(self, node: ast.AST) -> None:
        size = _literal_size(node)
        if size >= 16:
            self.literal_elements += size
            self._first_literal = self._first_literal or node
        if size >= LARGE_LITERAL_ELEMENTS:
            self._add(node, f"embeds a literal table of {size:,} elements; flagged for review (answer tables are not allowed)", "warning", "answer-table/literal")
            return  # its elements need no second look
        self._todo.extend(reversed(list(ast.iter_child_nodes(node))))


def check_code(folder: Path, files: list[Path], entry: Path | None = None,
               lib: Path | None = None, train: Path | None = None) -> list[Problem]:
    """Syntax, imports, dynamic code and large literal tables of every Python file.

    Files the entry module can import are held to the sandbox's allowlist, and so are those
    ``train`` (a weights-loading entry's train.py, which ``tinymlperf reproduce`` runs in the
    sandbox) can import; other scripts run on the team's machine and may use the whole
    standard library.
    """
    own = own_modules(folder, [f for f in files if lib is None or not f.is_relative_to(lib)])
    if lib is not None:
        own |= own_modules(lib, [f for f in files if f.is_relative_to(lib)])
    problems: list[Problem] = []
    trees: dict[Path, ast.AST] = {}
    for path in files:
        if path.suffix != ".py":
            if path.suffix in (".txt", ".json") and path.name != "submission.json" and path.stat().st_size > LARGE_DATA_FILE_BYTES:
                problems.append(Problem(display(path), f"a {path.stat().st_size / 2**20:.1f} MiB data file; flagged for review (answer tables are not allowed)", "warning", "answer-table/large-file"))
            continue
        where = display(path)
        try:
            source = path.read_bytes().decode("utf-8")
            tree = ast.parse(source, filename=where)
        except UnicodeDecodeError:
            problems.append(Problem(where, "not UTF-8; save the file as UTF-8"))
            continue
        except (SyntaxError, ValueError) as err:
            line = getattr(err, "lineno", None) or 1
            problems.append(Problem(f"{where}:{line}", f"does not parse: {getattr(err, 'msg', err)}"))
            continue
        except (RecursionError, MemoryError):
            problems.append(Problem(where, "does not parse: an expression nested too deeply for Python's parser; split it up"))
            continue
        trees[path] = tree
    runtime = reachable(folder, entry, trees, lib) if entry is not None else set(trees)
    if train is not None and train in trees:
        runtime |= reachable(folder, train, trees, lib)
    for path, tree in trees.items():
        stdlib = DEFAULT_STDLIB_ALLOWLIST if path in runtime else SCRIPT_ALLOWLIST
        checker = _Checker(display(path), own, stdlib, optional_imports(tree), path in runtime)
        checker.visit(tree)
        checker.finish()
        problems += checker.problems
    return problems


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
        return Problem(where, "holds pickled Python objects; save plain numeric arrays (they are loaded with allow_pickle=False)")
    return shape, dtype


def _nbytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    return int(np.prod(shape, dtype=np.int64)) * dtype.itemsize


def check_weights(folder: Path, files: list[Path]) -> list[Problem]:
    """Weight files: loadable without pickle, not truncated, not a decompression bomb."""
    problems: list[Problem] = []
    total = 0
    event = folder.resolve().name
    for path in files:
        if path.suffix not in (".npy", ".npz"):
            continue
        where = display(path)
        if event == "mlp_sprint":
            problems.append(Problem(where, "MLP Sprint trains inside train(); weight files (pre-trained weights) are not allowed"))
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
                    problems.append(Problem(where, "truncated: the file is shorter than its header says; save it again"))
                    continue
            total += nbytes
            arrays.append((path.name, header[0]))
        else:
            try:
                with zipfile.ZipFile(path) as archive:
                    for info in archive.infolist():
                        member_where = f"{where}[{info.filename}]"
                        if not info.filename.endswith(".npy"):
                            problems.append(Problem(member_where, "an .npz may only hold .npy arrays; save it with numpy.savez"))
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
                            problems.append(Problem(member_where, "truncated array; save the file again"))
                        arrays.append((info.filename, header[0]))
            # An encrypted member raises RuntimeError, an unknown compression method
            # NotImplementedError, a corrupt stream zlib/lzma errors: all mean "not an npz".
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError,
                    zlib.error, lzma.LZMAError) as err:
                problems.append(Problem(where, f"not a valid .npz archive ({err}); save it with numpy.savez"))
                continue
        for name, shape in arrays:
            if shape and shape[0] == TEST_SET_SIZE:
                problems.append(Problem(f"{where}[{name}]", f"an array with {TEST_SET_SIZE:,} rows, as many as the test set; flagged for review (answer tables are not allowed)", "warning", "answer-table/test-set-size"))
    if total > MAX_WEIGHT_BYTES:
        problems.append(Problem(display(folder), f"weight files decompress to more than {MAX_WEIGHT_BYTES / 2**20:.0f} MiB; shrink or quantize them"))
    return problems


# ------------------------------------------------------------------------------ answer tables
#
# The test sets are public, so a "model" can be a table of answers: labels keyed by an image
# hash, the validation text itself. These checks look at every file's bytes for the shapes such
# a table takes. A hit does not fail validation (an honest entry can trip one); it is a flag with
# a code under REVIEW_PREFIX, which keeps the entry off the rankings until a maintainer has
# looked and approved that exact content hash in reviews.yml (scorer.contract.review).

# Sizes of what there is to memorise: 10,000 MNIST / CIFAR-10 test items (labels, 784-byte and
# 3,072-byte images), and the Tiny Shakespeare validation split (last 10% of 1,115,394
# characters: 111,540 characters, 111,539 next-token targets).
TINYSHAKESPEARE_VAL_CHARS = 111_540
TEST_SET_COUNTS = frozenset({TEST_SET_SIZE, TEST_SET_SIZE * 784, TEST_SET_SIZE * 3072,
                             TINYSHAKESPEARE_VAL_CHARS, TINYSHAKESPEARE_VAL_CHARS - 1})
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
        problems.append(Problem(where, f"holds {more}{min(encoded, 4 * ENCODED_CHARS_LIMIT):,} characters of encoded data (long base64, hex or digit runs); flagged for review (answer tables are not allowed)", "warning", "answer-table/high-entropy"))
    numbers = packed_numbers(data)
    if numbers > PACKED_NUMBERS_LIMIT:
        problems.append(Problem(where, f"holds a table of {numbers:,} numbers; flagged for review (answer tables are not allowed)", "warning", "answer-table/packed-numbers"))
    lines = data.count(b"\n") + 1
    if path.suffix != ".py" and lines >= TEXT_LINES_LIMIT:  # data and docs, any kind
        problems.append(Problem(where, f"a data file of {lines:,} lines, as many as a test set has items or more; flagged for review (answer tables are not allowed)", "warning", "answer-table/test-set-size"))
    unusual = int(np.count_nonzero(np.frombuffer(data, np.uint8) >= 0xC0))  # UTF-8 lead bytes
    if unusual > ENCODED_CHARS_LIMIT:
        problems.append(Problem(where, f"holds {unusual:,} non-ASCII characters (a table can be spelt in them); flagged for review (answer tables are not allowed)", "warning", "answer-table/unicode-data"))
    trailing = sum(len(m.group(0)) for m in _TRAILING.finditer(data))
    if trailing > ENCODED_CHARS_LIMIT:
        problems.append(Problem(where, f"holds {trailing:,} spaces and tabs at line ends, which no reader sees; flagged for review (answer tables are not allowed)", "warning", "answer-table/hidden-text"))
    if path.suffix == ".md":
        hidden = sum(len(m.group(1)) for m in _HTML_COMMENT.finditer(data))
        if hidden > HIDDEN_COMMENT_BYTES:
            problems.append(Problem(where, f"hides {hidden:,} bytes in HTML comments, which the page never shows; flagged for review (answer tables are not allowed)", "warning", "answer-table/hidden-text"))
    if len(data) >= TINYSHAKESPEARE_VAL_CHARS // 2 and data.count(b"\n") and _looks_like_validation_text(data):
        problems.append(Problem(where, "holds a long stretch of play text like the Tiny Shakespeare validation split; flagged for review (answer tables are not allowed)", "warning", "answer-table/validation-text"))
    return problems, encoded


def _looks_like_validation_text(data: bytes) -> bool:
    """Many speaker lines ("NAME:\\n") as the play text has: a copy of the corpus."""
    return len(re.findall(rb"\n[A-Z][A-Z ]{2,}:\n", data)) > 200


def _array_flags(name: str, array: np.ndarray) -> list[tuple[str, str]]:
    """(code, reason) for an array that is not what weights look like."""
    flags: list[tuple[str, str]] = []
    if array.size in TEST_SET_COUNTS and array.size != TEST_SET_SIZE or (array.ndim and array.shape[0] in TEST_SET_COUNTS - {TEST_SET_SIZE}) \
            or (array.nbytes in TEST_SET_COUNTS and array.nbytes > TEST_SET_SIZE):
        flags.append(("answer-table/test-set-size", f"an array of shape {tuple(array.shape)} ({array.nbytes:,} bytes), the size of a test set or the validation text"))
    if array.dtype.kind not in "biuf" or array.size < MIN_TABLE_ELEMENTS:
        return flags
    sample = array.reshape(-1)[:INSPECT_ELEMENTS]  # a table shows in its first million values
    raw = np.ascontiguousarray(sample).view(np.uint8)
    printable = np.count_nonzero(((raw >= 32) & (raw < 127)) | (raw == 10)) / max(raw.size, 1)
    if raw.size >= 4096 and printable >= ASCII_FRACTION:
        flags.append(("answer-table/text-in-weights", f"{printable:.0%} of its bytes are printable text, not numbers"))
        return flags
    if array.dtype.kind == "b":
        return flags
    with np.errstate(all="ignore"):
        values = sample.astype(np.float64)
        finite = np.isfinite(values).all()
        integral = finite and bool(np.all(values == np.round(values)))
    if integral and values.min() >= 0 and values.max() <= 127 and np.unique(values[:100_000]).size >= 2:
        kind = "integers" if array.dtype.kind in "iu" else f"{array.dtype} values that are all whole numbers"
        flags.append(("answer-table/integer-data", f"holds {kind} between {values.min():g} and {values.max():g}: labels or characters, not weights"))
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
    if folder.resolve().name == "mlp_sprint":
        return problems  # weight files are not allowed there at all: check_weights says so
    budget = [MAX_WEIGHT_BYTES]
    for path in files:
        if path.suffix not in (".npy", ".npz"):
            continue
        where = display(path)
        try:
            for name, array in _members(path, budget):
                if array is None:
                    problems.append(Problem(f"{where}[{name}]", f"an array of more than {INSPECT_BYTES // 2**20} MiB, too large to inspect here; flagged for review (answer tables are not allowed)", "warning", "answer-table/large-file"))
                    continue
                if not isinstance(array, np.ndarray) or array.dtype.hasobject or array.dtype.fields is not None:
                    continue
                for code, reason in _array_flags(name, np.asarray(array)):
                    problems.append(Problem(f"{where}[{name}]", f"{reason}; flagged for review (answer tables are not allowed)", "warning", code))
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
            found.append(Problem(where, f"a {size / 2**20:.1f} MiB file, more than the {SCAN_BYTES // 2**20} MiB the scan reads; flagged for review (answer tables are not allowed)", "warning", "answer-table/large-file"))
        problems += found
        encoded_total += encoded
        flagged_encoded |= any(p.code == "answer-table/high-entropy" for p in found)
    if encoded_total > ENCODED_CHARS_LIMIT and not flagged_encoded:
        problems.append(Problem(display(folder), f"its files hold {encoded_total:,} characters of encoded data together (long base64, hex or digit runs); flagged for review (answer tables are not allowed)", "warning", "answer-table/high-entropy"))
    return problems + check_arrays(folder, files)


# The training contract of weights-loading events (scorer/scoring/reproduce.py, docs/rules.md).
TRAIN_FILE = "train.py"
FIT_ARGS = ("train_split", "out_dir", "budget")
_CONTRACT_HINT = ("`tinymlperf new` writes one; see docs/how-to-submit.md, 'Train.py: how the "
                  "scorer retrains your weights'")


def check_train(folder: Path, event_name: str) -> list[Problem]:
    """A weights-loading entry's train.py: present, parsable, with a top-level
    ``fit(train_split, out_dir, budget)`` (three positional parameters, or ``*args``)."""
    path = folder / TRAIN_FILE
    where = display(path)
    if path.is_symlink() or not path.is_file():
        return [Problem(where, f"missing: a {event_name} entry ships weights, so it needs a "
                               f"{TRAIN_FILE} with a top-level def fit({', '.join(FIT_ARGS)}) that "
                               f"writes every file load() reads into out_dir; {_CONTRACT_HINT}")]
    try:
        tree = ast.parse(path.read_bytes().decode("utf-8"), filename=where)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return []  # check_code reports the file's own problem
    fits = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "fit"]
    if not fits:
        return [Problem(f"{where}:1", f"no top-level def fit({', '.join(FIT_ARGS)}); add one that "
                                      f"writes the weights load() reads into out_dir; {_CONTRACT_HINT}")]
    fn = fits[-1]
    args = fn.args
    positional = len(args.posonlyargs) + len(args.args)
    required_kw = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    if isinstance(fn, ast.AsyncFunctionDef) or (positional < len(FIT_ARGS) and args.vararg is None) \
            or positional - len(args.defaults) > len(FIT_ARGS) or required_kw:
        return [Problem(f"{where}:{fn.lineno}", f"fit must be a plain function called as "
                                                f"fit({', '.join(FIT_ARGS)}); {_CONTRACT_HINT}")]
    return []
