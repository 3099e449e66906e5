"""How much time the sandbox adds around a submission.

Prints (no asserts) the median and spread of:
  * a bare ``python -c pass`` process start (and ``python -c "import numpy"``,
    which every sandboxed child pays too), against
  * ``Sandbox.start()`` + one no-op ``call()`` + ``close()`` for a do-nothing
    submission (10 runs each, interleaved so machine noise hits both alike);
  * the per-call overhead of ``call()`` on a no-op function (median of 200).

Run from the repository root: ``.venv/bin/python benchmarks/harness_overhead.py``
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scorer.sandbox.client import Sandbox
from scorer.sandbox.launcher import probe

RUNS = 10
CALLS = 200


def spread(xs: list[float]) -> str:
    xs = sorted(xs)
    return (
        f"median {statistics.median(xs) * 1000:8.1f} ms   "
        f"min {xs[0] * 1000:8.1f}   max {xs[-1] * 1000:8.1f}   "
        f"IQR {(xs[3 * len(xs) // 4] - xs[len(xs) // 4]) * 1000:6.1f}"
    )


def bare_start(code: str = "pass") -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def sandbox_cycle(folder: Path) -> float:
    t0 = time.perf_counter()
    sb = Sandbox(folder)
    sb.start()
    sb.call("noop", want_value=False)
    sb.close()
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "submission.py").write_text(
            "def noop():\n    return None\n\ndef zero():\n    return 0\n"
        )
        launcher = probe()  # probed once per process; not part of a cycle
        print(
            f"isolation: {launcher.level} (network {launcher.network}, "
            f"filesystem {launcher.filesystem}, user {launcher.user})"
        )
        bare, numpy_start, cycle = [], [], []
        sandbox_cycle(folder)  # warm the page cache once for all
        for _ in range(RUNS):
            bare.append(bare_start())
            numpy_start.append(bare_start("import numpy"))
            cycle.append(sandbox_cycle(folder))
        print(f"python -c pass             ({RUNS} runs): {spread(bare)}")
        print(f"python -c 'import numpy'   ({RUNS} runs): {spread(numpy_start)}")
        print(f"start+call+close           ({RUNS} runs): {spread(cycle)}")

        with Sandbox(folder) as sb:
            sb.start()
            noop = [sb.call("noop", want_value=False).seconds for _ in range(CALLS)]
            value = [sb.call("zero").seconds for _ in range(CALLS)]
        print(f"call() no-op, no value    ({CALLS} calls): {spread(noop)}")
        print(f"call() returning a value  ({CALLS} calls): {spread(value)}")


if __name__ == "__main__":
    main()
