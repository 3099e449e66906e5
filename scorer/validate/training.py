"""The training contract of a weights-loading entry: a train.py with a top-level fit().

``tinymlperf reproduce`` (scorer/scoring/reproduce.py) retrains the shipped weights by calling
``fit(train_split, out_dir, budget)``; this checks, by parsing, that the entry has one.
"""

from __future__ import annotations

import ast
from pathlib import Path

from scorer.contract.problems import Problem, display

# The training contract of weights-loading events (scorer/scoring/reproduce.py, docs/rules.md).
TRAIN_FILE = "train.py"
FIT_ARGS = ("train_split", "out_dir", "budget")
_CONTRACT_HINT = (
    "`tinymlperf new` writes one; see docs/how-to-submit.md, 'Train.py: how the "
    "scorer retrains your weights'"
)


def check_train(folder: Path, event_name: str) -> list[Problem]:
    """A weights-loading entry's train.py: present, parsable, with a top-level
    ``fit(train_split, out_dir, budget)`` (three positional parameters, or ``*args``)."""
    path = folder / TRAIN_FILE
    where = display(path)
    if path.is_symlink() or not path.is_file():
        return [
            Problem(
                where,
                f"missing: a {event_name} entry ships weights, so it needs a "
                f"{TRAIN_FILE} with a top-level def fit({', '.join(FIT_ARGS)}) that "
                f"writes every file load() reads into out_dir; {_CONTRACT_HINT}",
            )
        ]
    try:
        tree = ast.parse(path.read_bytes().decode("utf-8"), filename=where)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return []  # check_code reports the file's own problem
    fits = [
        n
        for n in tree.body
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "fit"
    ]
    if not fits:
        return [
            Problem(
                f"{where}:1",
                f"no top-level def fit({', '.join(FIT_ARGS)}); add one that "
                f"writes the weights load() reads into out_dir; {_CONTRACT_HINT}",
            )
        ]
    fn = fits[-1]
    args = fn.args
    positional = len(args.posonlyargs) + len(args.args)
    required_kw = [
        a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
    ]
    if (
        isinstance(fn, ast.AsyncFunctionDef)
        or (positional < len(FIT_ARGS) and args.vararg is None)
        or positional - len(args.defaults) > len(FIT_ARGS)
        or required_kw
    ):
        return [
            Problem(
                f"{where}:{fn.lineno}",
                f"fit must be a plain function called as "
                f"fit({', '.join(FIT_ARGS)}); {_CONTRACT_HINT}",
            )
        ]
    return []
