"""``tinymlperf data [--data DIR]``: verify (and where needed download) the three datasets."""

from __future__ import annotations

import argparse

from scorer.scoring import datasets

NAME = "data"
HELP = "verify, and where needed download, the datasets"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        help="dataset folder (default: $TINYMLPERF_DATA, else the folder `tinymlperf data` last verified, else the download cache)",
    )


def run(args) -> int:
    folder = datasets.data_dir(args.data)
    where = str(folder) if folder else f"the cache ({datasets.cache_dir()})"
    for name, dataset in datasets.DATASETS.items():
        paths = datasets.ensure(name, folder)
        print(f"{dataset.title}: {len(paths)} file(s) verified (SHA-256) in {where}")
    if folder is not None and datasets.remember(folder):
        print(f"remembered {folder} for later commands run without ${datasets.ENV_VAR} or --data")
    return 0
