"""Local check for the MLP Sprint baseline: train on MNIST, time it, report test accuracy.

For MLP Sprint the training *is* the benchmark (the scorer times submission.train), so this
script is both the recipe and the local check. It needs no weight files and writes none.

Usage (from anywhere):
    OPENBLAS_NUM_THREADS=2 python train.py --data /path/to/datasets [--repeats 5]

The data folder is laid out like the shared datasets folder: it holds
mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. If --data is not given, the
TINYMLPERF_DATA environment variable is used.

The seed is fixed inside submission.train, so everyone gets the same accuracy (to the last
digit on the same BLAS build; a different CPU kernel may round differently). Timing is
wall time around train() only, like the scorer; the scorer runs each repeat in a fresh
process, while --repeats here reuses one process (the first run is the cold one).
"""

import argparse
import gzip
import os
import statistics
import struct
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import submission  # noqa: E402  (this folder's own module)


def read_idx(path):
    """Read one gzipped IDX file (big-endian header, then uint8 data)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    (magic,) = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF  # low byte: number of dimensions
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(data_dir):
    folder = os.path.join(data_dir, "mnist")

    def part(name):
        return read_idx(os.path.join(folder, name))

    return (
        part("train-images-idx3-ubyte.gz"),
        part("train-labels-idx1-ubyte.gz"),
        part("t10k-images-idx3-ubyte.gz"),
        part("t10k-labels-idx1-ubyte.gz"),
    )


def peak_rss_mib():
    """Peak resident memory of this process so far (Linux: VmHWM), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        default=os.environ.get("TINYMLPERF_DATA"),
        help="datasets folder (default: $TINYMLPERF_DATA)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="train this many times")
    args = parser.parse_args()
    if not args.data:
        parser.error("give --data or set TINYMLPERF_DATA")

    print(
        f"numpy {np.__version__}; BLAS threads: OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}",
        flush=True,
    )
    print(f"loading MNIST from {args.data} ...", flush=True)
    x_train, y_train, x_test, y_test = load_mnist(args.data)
    print(f"  train {x_train.shape}, test {x_test.shape}", flush=True)

    times, accs = [], []
    for r in range(args.repeats):
        print(
            f"run {r + 1}/{args.repeats}: training (one epoch, batch {submission.BATCH}, "
            f"hidden {submission.HIDDEN}) ...",
            flush=True,
        )
        start = time.perf_counter()
        model = submission.train(x_train, y_train)
        times.append(time.perf_counter() - start)
        # Shuffle the test set like the scorer does: predictions must not depend on order.
        order = np.random.default_rng(1000 + r).permutation(len(y_test))
        start = time.perf_counter()
        labels = submission.predict(model, x_test[order])
        predict_s = time.perf_counter() - start
        accs.append(float(np.mean(labels == y_test[order])))
        print(
            f"  train() {times[-1]:.3f} s, predict() {predict_s:.3f} s, "
            f"test accuracy {accs[-1]:.4f}",
            flush=True,
        )

    n_params = sum(v.size for v in model.values())
    print(f"parameters: {n_params:,}")
    print(
        f"train() time: median {statistics.median(times):.3f} s, min {min(times):.3f} s "
        f"over {len(times)} run(s)"
    )
    print(f"test accuracy: {', '.join(f'{a:.4f}' for a in accs)} (needs >= 0.95)")
    peak = peak_rss_mib()
    if peak is not None:
        print(f"peak memory of this process: {peak:.1f} MiB (includes the dataset as loaded here)")


if __name__ == "__main__":
    main()
