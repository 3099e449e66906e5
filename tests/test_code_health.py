"""The code's own health checks, run by ``make test`` as by ``make lint``: the layers between the
pipeline's stages (import-linter, configured in pyproject.toml), no import cycle between any two
modules, no module past the size at which it wants splitting, the formatter and the type checker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Past about 400 lines a module wants splitting; the standalone child is one file on purpose
# (it runs as a script inside the sandbox and may import nothing of the scorer).
MAX_LINES = 400
ONE_FILE = {"scorer/sandbox/child.py"}


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_the_stages_keep_their_layers():
    done = _run(str(BIN / "lint-imports"), "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_not_even_inside_a_function():
    # grimp reads every import statement, function-level ones too, so a cycle cannot hide.
    graph = grimp.build_graph("scorer", cache_dir=None)
    assert graph.find_modules_directly_imported_by("scorer.cli.main"), "the graph is empty"
    assert _cycles(graph) == []


def test_a_found_cycle_is_reported():
    class Graph:  # a -> b -> c -> a, and d on its own
        modules = {"a", "b", "c", "d"}
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, m):
            return self.edges[m]

    assert _cycles(Graph()) == [["a", "b", "c"]]


def test_no_module_wants_splitting():
    long = {
        p.relative_to(ROOT).as_posix(): n
        for p in sorted((ROOT / "scorer").rglob("*.py"))
        if (n := len(p.read_text().splitlines())) > MAX_LINES
        and p.relative_to(ROOT).as_posix() not in ONE_FILE
    }
    assert long == {}


def test_the_code_is_formatted():
    done = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_the_contract_and_the_engine_type_check():
    done = _run(str(BIN / "mypy"))
    assert done.returncode == 0, done.stdout + done.stderr
