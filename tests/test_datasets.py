"""Dataset verification and loading: checksums first, shapes and splits as documented."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from scorer.contract.errors import DatasetError
from scorer.scoring import datasets


def test_checksums_match_the_shared_sums_file(data_dir):
    sums = {}
    for line in (data_dir / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    ours = {f.path: f.sha256 for d in datasets.DATASETS.values() for f in d.files}
    assert ours == sums


def test_a_corrupt_file_is_named_with_both_hashes_and_never_used(tmp_path):
    item = datasets.DATASETS["tinyshakespeare"].files[0]
    path = tmp_path / item.path
    path.parent.mkdir(parents=True)
    path.write_text("To be, or not to be")
    actual = hashlib.sha256(b"To be, or not to be").hexdigest()
    with pytest.raises(DatasetError) as err:
        datasets.load_tinyshakespeare(tmp_path)
    message = str(err.value)
    assert str(path) in message and item.sha256 in message and actual in message


def test_a_missing_file_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetError, match="missing dataset file.*tinymlperf data"):
        datasets.ensure("mnist", tmp_path)


def test_data_dir_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    assert datasets.data_dir() == tmp_path
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match="is not a folder"):
        datasets.data_dir()


def test_idx_parsing_on_a_hand_made_file(tmp_path):
    raw = (
        bytes([0, 0, 8, 3])
        + (2).to_bytes(4, "big")
        + (2).to_bytes(4, "big")
        + (3).to_bytes(4, "big")
        + bytes(range(12))
    )
    path = tmp_path / "tiny-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(raw))
    array = datasets._read_idx(path)
    assert array.dtype == np.uint8 and array.shape == (2, 2, 3)
    assert array[1, 1, 2] == 11


def test_cifar_records_become_channels_last_rgb(tmp_path):
    record = np.zeros(3073, dtype=np.uint8)
    record[0] = 7
    record[1:1025] = 10  # red plane
    record[1025:2049] = 20  # green plane
    record[2049:] = 30  # blue plane
    path = tmp_path / "batch.bin"
    record.tofile(path)
    images, labels = datasets._read_cifar_batch(path)
    assert labels.tolist() == [7]
    assert images.shape == (1, 32, 32, 3)
    assert images[0, 5, 9].tolist() == [10, 20, 30]


def test_encode_uses_the_sorted_vocabulary():
    assert datasets.encode("bca", "abc").tolist() == [1, 2, 0]
    with pytest.raises(DatasetError):
        datasets.encode("z", "abc")


@pytest.mark.slow
def test_the_real_datasets_load_and_verify(data_dir):
    mnist = datasets.load_mnist(data_dir)
    assert mnist["x_train"].shape == (60000, 28, 28) and mnist["x_train"].dtype == np.uint8
    assert mnist["y_test"].shape == (10000,) and mnist["y_test"].max() == 9
    cifar = datasets.load_cifar10(data_dir)
    assert cifar["x_train"].shape == (50000, 32, 32, 3) and cifar["x_test"].shape == (
        10000,
        32,
        32,
        3,
    )
    assert np.bincount(cifar["y_test"]).tolist() == [1000] * 10
    text = datasets.load_tinyshakespeare(data_dir)
    assert len(text["vocab"]) == 65 and text["vocab"] == "".join(sorted(text["vocab"]))
    assert (len(text["train"]), len(text["val"])) == (1_003_854, 111_540)


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    """A private user cache folder (pooch follows XDG_CACHE_HOME) and no $TINYMLPERF_DATA."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)
    assert datasets.cache_dir().is_relative_to(tmp_path)
    return tmp_path


def test_a_verified_folder_is_remembered_for_runs_without_the_variable(user_cache, tmp_path):
    folder = tmp_path / "datasets"
    folder.mkdir()
    assert datasets.data_dir() is None  # nothing remembered yet: the download cache
    datasets.remember(folder)
    assert datasets.data_dir() == folder.resolve()
    assert datasets.data_dir(tmp_path) == tmp_path  # --data still wins
    folder.rmdir()
    assert datasets.data_dir() is None  # a folder that went away is forgotten


def test_tinymlperf_data_remembers_the_folder_it_verified(
    user_cache, data_dir, monkeypatch, capsys
):
    """`make site` verifies $TINYMLPERF_DATA; a later `tinymlperf run` without it finds the same data."""
    from scorer.cli import main as cli

    monkeypatch.setenv(datasets.ENV_VAR, str(data_dir))
    assert cli.main(["data"]) == 0
    assert f"remembered {data_dir}" in capsys.readouterr().out
    monkeypatch.delenv(datasets.ENV_VAR)
    assert datasets.data_dir() == data_dir.resolve()


def test_a_bad_folder_is_not_remembered(user_cache, tmp_path, capsys):
    from scorer.cli import main as cli

    assert cli.main(["data", "--data", str(tmp_path)]) == 1
    assert datasets.data_dir() is None


def test_a_failed_download_names_the_real_url(user_cache, monkeypatch):
    import pooch

    def offline(url, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DatasetError) as err:
        datasets.ensure("mnist")
    message = str(err.value)
    assert "{name}" not in message
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in message
    assert "network is unreachable" in message and datasets.ENV_VAR in message
