"""The sandbox's limits and the import allowlist: the contract between the validator, the
sandbox (which enforces them) and the site (which prints them on the Rules page).

Imports nothing of the scorer.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_STDLIB_ALLOWLIST", "Limits"]

# Standard-library modules a submission may import besides numpy and its own files.
# The single source of truth for the validator's static check and the child's
# import guard. Submodules of a listed module are allowed too. Everything listed
# is still subject to the child's audit hook (no processes, sockets, native code,
# files outside the submission folder), so this list is about intent, not safety.
DEFAULT_STDLIB_ALLOWLIST: frozenset[str] = frozenset(
    {
        # pure computation
        "__future__",
        "math",
        "cmath",
        "numbers",
        "fractions",
        "decimal",
        "statistics",
        "random",
        "operator",
        "functools",
        "itertools",
        "heapq",
        "bisect",
        "array",
        "struct",
        "copy",
        "string",
        "re",
        "textwrap",
        "unicodedata",
        "difflib",
        "collections",  # incl. collections.abc
        "dataclasses",
        "enum",
        "typing",
        "types",
        "abc",
        "contextlib",
        "warnings",
        "weakref",
        "datetime",
        "calendar",
        "time",
        "timeit",
        "pprint",
        "reprlib",
        "keyword",
        "colorsys",
        # reading/writing the submission's own files (paths are checked at run time)
        "json",
        "csv",
        "io",
        "pathlib",
        "os",
        "glob",
        "fnmatch",
        "tempfile",
        "shutil",
        "gzip",
        "zlib",
        "bz2",
        "lzma",
        "zipfile",
        "hashlib",
        "base64",
        "binascii",
        "pickle",
        "copyreg",
        # what a student's framework (TinyTorch) imports for its profiler, config and logging
        "sys",
        "gc",
        "platform",
        "tracemalloc",
        "argparse",
        "logging",
        # threads are the permitted parallelism; CPU a thread spends outside the timed calls is
        # charged by the parent's kernel accounting
        "threading",
        "queue",
        "concurrent.futures",
    }
)
# Why os, sys and pickle are allowed: the child is assumed hostile anyway (it controls its own
# interpreter), so the boundary is the operating system (namespaces, read-only binds, cgroup,
# rlimits) and the parent trusts only its own clock and the kernel. What reaches outside is still
# refused at run time: processes, sockets, native code, files outside the folder.
# Deliberately absent, as statements of intent the validator can report early:
#   subprocess, multiprocessing, pty, signal  (no processes; signals are the scorer's)
#   socket, ssl, select, selectors, asyncio, urllib, http, ftplib, smtplib  (no network)
#   ctypes, cffi, importlib, pkgutil, runpy, zipimport  (no native code, no import tricks)
#   inspect, traceback  (frame walking, which the child's audit hook refuses at run time)


@dataclass(frozen=True)
class Limits:
    phase_wall_s: float = 600.0  # per call
    cpu_s: float = 3600.0  # RLIMIT_CPU for the child
    memory_bytes: int = 4 * 1024**3  # address-space/cgroup limit
    processes: int = 64  # RLIMIT_NPROC (where meaningful) / cgroup pids
    file_size_bytes: int = 256 * 1024**2  # RLIMIT_FSIZE
    open_files: int = 256  # RLIMIT_NOFILE
    output_tail_bytes: int = 16 * 1024  # how much of the child's stdout+stderr is kept
