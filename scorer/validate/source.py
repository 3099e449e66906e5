"""The static rules of a submission's Python files, checked by parsing them (never importing).

Every file must be UTF-8 and parse. Its imports are compared with the allowlist that the
sandbox also enforces at run time (for the files the entry, or a weights-loading entry's
train.py, can import; other scripts run on the team's machine and may use the whole standard
library); dynamic code (eval, exec, ...) and reaching into the interpreter's internals are
refused; large literal tables and strings are flagged for review as possible answer tables.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from scorer.contract.limits import DEFAULT_STDLIB_ALLOWLIST
from scorer.contract.problems import Problem, display

LARGE_LITERAL_ELEMENTS = (
    2_000  # elements of one list/dict/set literal: a table (the test sets have 10,000 items)
)
LARGE_LITERAL_BYTES = 64 * 1024
# Literal text summed over one file. The course's own TinyTorch package stays far below it (its
# largest module, kv_cache.py, has about 15 KB of long strings, docstrings included), while the
# CNN baseline's float16 weights would take over 1 MB as base64.
LARGE_LITERAL_FILE_BYTES = 128 * 1024
LARGE_DATA_FILE_BYTES = 1024 * 1024
DYNAMIC_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint", "globals", "vars"}
INTERNAL_ATTRIBUTES = {
    "__builtins__",
    "__subclasses__",
    "__globals__",
    "__code__",
    "__loader__",
    "__spec__",
    "f_globals",
    "f_back",
    "gi_frame",
}


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


def reachable(
    folder: Path, entry: Path, trees: dict[Path, ast.AST], lib: Path | None = None
) -> set[Path]:
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
            caught |= {
                "BaseException" if k is None else getattr(k, "id", getattr(k, "attr", ""))
                for k in kinds
            }
        if caught & _IMPORT_ERRORS:
            for stmt in node.body:
                guarded |= {
                    id(n) for n in ast.walk(stmt) if isinstance(n, (ast.Import, ast.ImportFrom))
                }
    return guarded


class _Checker(ast.NodeVisitor):
    def __init__(
        self,
        where: str,
        own: set[str],
        stdlib: frozenset[str],
        optional: set[int] | None = None,
        runtime: bool = True,
    ):
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
        if (
            any(p.code == "answer-table/literal" for p in self.problems)
            or self._first_literal is None
        ):
            return
        if (
            self.literal_bytes > LARGE_LITERAL_FILE_BYTES
            or self.literal_elements >= LARGE_LITERAL_ELEMENTS
        ):
            self._add(
                self._first_literal,
                f"embeds literal data adding up to {self.literal_bytes:,} characters and "
                f"{self.literal_elements:,} table elements over the file; flagged for review "
                "(answer tables and weights belong in files, not code)",
                "warning",
                "answer-table/literal",
            )

    def _add(self, node: ast.AST, message: str, severity: str = "error", code: str = "") -> None:
        self.problems.append(
            Problem(f"{self.where}:{getattr(node, 'lineno', 1)}", message, severity, code)
        )

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
            if not (
                _allowed(top, self.own, self.stdlib) or alias.name in self.stdlib and alias.asname
            ):
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
            unused = (
                ""
                if self.severity == "error"
                else " (this file is not imported by the entry, so it is not run)"
            )
            self._add(
                node,
                f"calls {node.func.id}(); code that builds or looks up code at run time is not allowed, because it cannot be checked{unused}",
                self.severity,
            )
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in INTERNAL_ATTRIBUTES:
            self._add(
                node,
                f"uses {node.attr}, which reaches into the interpreter's internals; this is not allowed",
                self.severity,
            )
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in INTERNAL_ATTRIBUTES:
            self._add(
                node,
                f"uses {node.id}, which reaches into the interpreter's internals; this is not allowed",
                self.severity,
            )

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, (str, bytes)) and len(node.value) > 256:
            self.literal_bytes += len(node.value)
            self._first_literal = self._first_literal or node
        if isinstance(node.value, (str, bytes)) and len(node.value) > LARGE_LITERAL_BYTES:
            self._add(
                node,
                f"embeds a {len(node.value):,}-character literal; flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/literal",
            )

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
            self._add(
                node,
                f"embeds a literal table of {size:,} elements; flagged for review (answer tables are not allowed)",
                "warning",
                "answer-table/literal",
            )
            return  # its elements need no second look
        self._todo.extend(reversed(list(ast.iter_child_nodes(node))))


def check_code(
    folder: Path,
    files: list[Path],
    entry: Path | None = None,
    lib: Path | None = None,
    train: Path | None = None,
) -> list[Problem]:
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
            if (
                path.suffix in (".txt", ".json")
                and path.name != "submission.json"
                and path.stat().st_size > LARGE_DATA_FILE_BYTES
            ):
                problems.append(
                    Problem(
                        display(path),
                        f"a {path.stat().st_size / 2**20:.1f} MiB data file; flagged for review (answer tables are not allowed)",
                        "warning",
                        "answer-table/large-file",
                    )
                )
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
            problems.append(
                Problem(f"{where}:{line}", f"does not parse: {getattr(err, 'msg', err)}")
            )
            continue
        except (RecursionError, MemoryError):
            problems.append(
                Problem(
                    where,
                    "does not parse: an expression nested too deeply for Python's parser; split it up",
                )
            )
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
