"""Get, verify and load the three canonical datasets.

Every file is checked against its published SHA-256 before use, whether it was just downloaded
into the user's cache folder or found in a local folder named by ``--data`` or the
``TINYMLPERF_DATA`` environment variable (a folder laid out like ``../shared/datasets``: the
offline copies this project's machines use). A file that fails its checksum is never used.
``tinymlperf data`` remembers a local folder it verified (a line in the cache folder), so later
commands without ``--data`` or the variable use it too, verifying it again.

    tinymlperf data                 # verify (and, with network access, download) everything
    TINYMLPERF_DATA=../shared/datasets tinymlperf data

Downloads go through pooch, which is made for exactly this: cached, checksummed fetches with
retries, so we do not hand-write an HTTP client.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scorer.contract.errors import DatasetError

ENV_VAR = "TINYMLPERF_DATA"
REMEMBERED = "data-folder.txt"  # in the cache folder: the local folder `tinymlperf data` verified


@dataclass(frozen=True)
class DataFile:
    path: str  # relative to the data folder, as in SHA256SUMS
    sha256: str


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    files: tuple[DataFile, ...]
    url: str  # canonical download (a single file or an archive)
    archive_md5: str | None = None  # published checksum of the archive, when ``url`` is one
    source: str = ""
    license: str = ""


DATASETS: dict[str, Dataset] = {
    "mnist": Dataset(
        name="mnist",
        title="MNIST",
        files=(
            DataFile(
                "mnist/train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            ),
            DataFile(
                "mnist/train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            ),
            DataFile(
                "mnist/t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            ),
            DataFile(
                "mnist/t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            ),
        ),
        # The original host often refuses automated downloads; this mirror serves the same bytes.
        url="https://ossci-datasets.s3.amazonaws.com/mnist/{name}",
        source="Y. LeCun and C. Cortes, yann.lecun.com/exdb/mnist",
        license="CC BY-SA 3.0",
    ),
    "cifar10": Dataset(
        name="cifar10",
        title="CIFAR-10 (binary version)",
        files=tuple(
            DataFile(f"cifar-10-batches-bin/{n}", h)
            for n, h in (
                (
                    "data_batch_1.bin",
                    "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
                ),
                (
                    "data_batch_2.bin",
                    "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
                ),
                (
                    "data_batch_3.bin",
                    "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
                ),
                (
                    "data_batch_4.bin",
                    "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
                ),
                (
                    "data_batch_5.bin",
                    "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
                ),
                (
                    "test_batch.bin",
                    "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
                ),
            )
        ),
        url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
        archive_md5="c32a1d4ab5d03f1284b67883e8d87530",
        source="A. Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009",
        license="cite Krizhevsky, 2009",
    ),
    "tinyshakespeare": Dataset(
        name="tinyshakespeare",
        title="Tiny Shakespeare",
        files=(
            DataFile(
                "tinyshakespeare/input.txt",
                "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            ),
        ),
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        source="karpathy/char-rnn data/tinyshakespeare/input.txt",
        license="public domain",
    ),
}

TRAIN_FRACTION = 0.9  # Tiny Shakespeare: first 90% of characters train, last 10% validation


def data_dir(option: str | os.PathLike | None = None) -> Path | None:
    """The local data folder from ``--data``, ``$TINYMLPERF_DATA``, or the one ``tinymlperf data``
    last verified (remembered in the cache folder); None means the download cache.

    Remembering the folder lets ``make site`` (whose Makefile sets $TINYMLPERF_DATA) be followed
    by ``.venv/bin/tinymlperf run`` in a shell without it: the files are verified again anyway.
    """
    chosen = option if option else os.environ.get(ENV_VAR)
    if not chosen:
        return remembered()
    folder = Path(chosen).expanduser()
    if not folder.is_dir():
        source = "--data" if option else f"${ENV_VAR}"
        raise DatasetError(
            f"{source}: {folder} is not a folder; point it at a folder laid out like shared/datasets"
        )
    return folder


def cache_dir() -> Path:
    import pooch

    return Path(pooch.os_cache("tinymlperf"))


def remembered() -> Path | None:
    """The folder ``remember`` noted, if it is still a folder; else None."""
    try:
        text = (cache_dir() / REMEMBERED).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    folder = Path(text) if text else None
    return folder if folder is not None and folder.is_absolute() and folder.is_dir() else None


def remember(folder: Path) -> Path | None:
    """Note a fully verified local folder for later runs without $TINYMLPERF_DATA; best effort."""
    path = cache_dir() / REMEMBERED
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{Path(folder).resolve()}\n", "utf-8")
    except OSError:
        return None
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(root: Path, item: DataFile) -> Path:
    """Return the file's path after checking its SHA-256; a mismatch is an error, never used."""
    path = root / item.path
    if not path.is_file():
        raise DatasetError(
            f"{path}: missing dataset file; run `tinymlperf data` (or point ${ENV_VAR} at a complete copy)"
        )
    actual = sha256_of(path)
    if actual != item.sha256:
        raise DatasetError(
            f"{path}: SHA-256 mismatch: expected {item.sha256}, got {actual}; "
            "the file is corrupt or not the canonical one: delete it and run `tinymlperf data` again"
        )
    return path


def _download(dataset: Dataset, root: Path) -> None:
    """Fetch the canonical files into ``root`` (the cache); pooch checks the archive's MD5."""
    import pooch

    url = dataset.url
    try:
        if dataset.archive_md5:
            pooch.retrieve(
                dataset.url,
                known_hash=f"md5:{dataset.archive_md5}",
                path=root / "downloads",
                progressbar=False,
            )
            archive = next((root / "downloads").glob("*cifar-10-binary.tar.gz"))
            with tarfile.open(archive) as tar:
                wanted = {Path(f.path).name for f in dataset.files}
                for member in tar.getmembers():
                    name = Path(member.name).name
                    # Only the expected regular files are taken: a hostile archive cannot write elsewhere.
                    if member.isfile() and name in wanted:
                        target = root / "cifar-10-batches-bin" / name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        src = tar.extractfile(member)
                        if src is None:  # a regular file always has a payload; for the type checker
                            continue
                        with src, open(target, "wb") as dst:
                            dst.write(src.read())
            return
        for item in dataset.files:
            target = root / item.path
            if target.is_file() and sha256_of(target) == item.sha256:
                continue
            url = dataset.url.format(name=Path(item.path).name)
            pooch.retrieve(
                url,
                known_hash=f"sha256:{item.sha256}",
                fname=Path(item.path).name,
                path=target.parent,
                progressbar=False,
            )
    except (OSError, ValueError, StopIteration, tarfile.TarError) as err:
        raise DatasetError(
            f"{dataset.name}: could not download {url}: {err}; "
            f"without network access, set ${ENV_VAR} to a folder holding the files"
        ) from err


def ensure(name: str, folder: str | os.PathLike | None = None) -> dict[str, Path]:
    """Verified paths of every file of dataset ``name``, downloading into the cache if needed."""
    dataset = DATASETS[name]
    folder = data_dir() if folder is None else Path(folder)
    if folder is not None:
        return {f.path: verify(folder, f) for f in dataset.files}
    root = cache_dir()
    if not all((root / f.path).is_file() for f in dataset.files):
        _download(dataset, root)
    return {f.path: verify(root, f) for f in dataset.files}


def hashes(name: str) -> dict[str, str]:
    """The SHA-256 of every file of a dataset, as recorded in result records."""
    return {f.path: f.sha256 for f in DATASETS[name].files}


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    # idx header: two zero bytes, a type code (0x08 = uint8), the number of dimensions, then
    # one big-endian uint32 per dimension.
    if raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise DatasetError(f"{path}: not an idx file of uint8")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(shape)


def load_mnist(folder: Path | None = None) -> dict[str, np.ndarray]:
    """MNIST as uint8: x_train (60000, 28, 28), y_train (60000,), x_test, y_test (10000...)."""
    paths = ensure("mnist", folder)
    return {
        "x_train": _read_idx(paths["mnist/train-images-idx3-ubyte.gz"]),
        "y_train": _read_idx(paths["mnist/train-labels-idx1-ubyte.gz"]),
        "x_test": _read_idx(paths["mnist/t10k-images-idx3-ubyte.gz"]),
        "y_test": _read_idx(paths["mnist/t10k-labels-idx1-ubyte.gz"]),
    }


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    records = np.fromfile(path, dtype=np.uint8).reshape(-1, 1 + 3 * 32 * 32)
    labels = records[:, 0].copy()
    # Each record stores the R, G and B planes one after another; the events hand teams
    # channels-last RGB images, (N, 32, 32, 3).
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return images, labels


def load_cifar10(folder: Path | None = None) -> dict[str, np.ndarray]:
    """CIFAR-10 as uint8: x_train (50000, 32, 32, 3) RGB, y_train (50000,), x_test, y_test."""
    paths = ensure("cifar10", folder)
    train = [
        _read_cifar_batch(paths[f"cifar-10-batches-bin/data_batch_{i}.bin"]) for i in range(1, 6)
    ]
    x_test, y_test = _read_cifar_batch(paths["cifar-10-batches-bin/test_batch.bin"])
    return {
        "x_train": np.concatenate([x for x, _ in train]),
        "y_train": np.concatenate([y for _, y in train]),
        "x_test": x_test,
        "y_test": y_test,
    }


def load_tinyshakespeare(folder: Path | None = None) -> dict[str, Any]:
    """Tiny Shakespeare: the text, its sorted 65-character vocabulary and the 90/10 split."""
    paths = ensure("tinyshakespeare", folder)
    text = paths["tinyshakespeare/input.txt"].read_text(encoding="ascii")
    vocab = "".join(sorted(set(text)))
    cut = int(len(text) * TRAIN_FRACTION)
    return {"text": text, "vocab": vocab, "train": text[:cut], "val": text[cut:]}


def encode(text: str, vocab: str) -> np.ndarray:
    """Token ids (int64) of ``text``: each character's index in the sorted vocabulary."""
    table = np.full(256, -1, dtype=np.int64)
    table[np.frombuffer(vocab.encode("ascii"), dtype=np.uint8)] = np.arange(len(vocab))
    ids = table[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
    if (ids < 0).any():
        raise DatasetError("text holds a character outside the vocabulary")
    return ids


LOADERS = {"mnist": load_mnist, "cifar10": load_cifar10, "tinyshakespeare": load_tinyshakespeare}
