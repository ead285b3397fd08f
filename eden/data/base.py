"""A classification data set with a training split and an evaluation split.

The evaluation split is EDEN's *validation set*: baseline, characterization and validation accuracies are
measured on it (the paper measures on the networks' validation sets). ``eval_loader(fraction)`` takes a fixed,
seeded, class-agnostic sample for the cheap estimates of the characterization stage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from eden.errors import ConfigError, DataError


class ClassificationData(ABC):
    """Owns the splits; loaders are cheap to make and deterministic given a generator."""

    def __init__(
        self, *, batch_size: int, eval_batch_size: int, num_workers: int, num_classes: int, channels: int
    ) -> None:
        for field, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"data.{field}", value, "a positive integer")
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ConfigError("data.num_workers", num_workers, "an integer >= 0")
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
            raise ConfigError("data.num_classes", num_classes, "an integer >= 2 (a classifier's output count)")
        if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
            raise ConfigError("data.channels", channels, "a positive integer (image channels: 1 gray, 3 RGB)")
        self.num_classes = num_classes
        self.channels = channels
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.num_workers = num_workers
        self._train: Dataset | None = None
        self._eval: Dataset | None = None

    @abstractmethod
    def load(self) -> tuple[Dataset, Dataset]:
        """Return (train, eval) datasets; raise DataError naming the expected files if absent."""

    def _splits(self) -> tuple[Dataset, Dataset]:
        if self._train is None or self._eval is None:
            self._train, self._eval = self.load()
            for split, ds in (("training", self._train), ("evaluation", self._eval)):
                if len(ds) == 0:  # type: ignore[arg-type]
                    raise DataError(
                        f"data: the {split} split of {type(self).__name__} has no samples; allowed: a data set "
                        "with at least one sample in each split (check data.root and the data set's files)"
                    )
        return self._train, self._eval

    @property
    def train_set(self) -> Dataset:
        return self._splits()[0]

    @property
    def eval_set(self) -> Dataset:
        return self._splits()[1]

    def train_loader(self, generator: torch.Generator, dataset: Dataset | None = None) -> DataLoader:
        """Shuffled loader over the training split (or ``dataset``, e.g. its part without a held-out split)."""
        return DataLoader(
            self.train_set if dataset is None else dataset,
            batch_size=self.batch_size,
            shuffle=True,
            generator=generator,
            num_workers=self.num_workers,
        )

    def eval_loader(self, fraction: float = 1.0, seed: int = 0) -> DataLoader:
        """Loader over the evaluation split or a seeded random ``fraction`` of it (never empty)."""
        if not 0.0 < fraction <= 1.0:
            raise ConfigError("fraction", fraction, "a number in (0, 1]")
        ds = self.eval_set
        if fraction < 1.0:
            n = len(ds)  # type: ignore[arg-type]
            k = max(1, round(n * fraction))
            idx = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k]
            ds = Subset(ds, idx.tolist())
        return DataLoader(ds, batch_size=self.eval_batch_size, shuffle=False, num_workers=self.num_workers)

    def eval_loader_from(self, dataset: Dataset) -> DataLoader:
        """An unshuffled loader over any dataset (e.g. the training split for range recording)."""
        return DataLoader(dataset, batch_size=self.eval_batch_size, shuffle=False, num_workers=self.num_workers)

    def example_input(self) -> torch.Tensor:
        """One evaluation sample with a batch dimension (for shape discovery)."""
        x = self.eval_set[0][0]
        return x.unsqueeze(0)


def normalized(images: torch.Tensor, mean: float | list[float], std: float | list[float]) -> torch.Tensor:
    """(N, C, H, W) float images in [0, 1] → standardized per channel."""
    m = torch.tensor(mean, dtype=images.dtype).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=images.dtype).view(1, -1, 1, 1)
    return (images - m) / s


def tensor_dataset(images: torch.Tensor, labels: torch.Tensor) -> TensorDataset:
    return TensorDataset(images.contiguous(), labels.long().contiguous())
