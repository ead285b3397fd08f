"""scikit-learn's 8×8 handwritten digits (1,797 images), upsampled to 16×16: tiny, offline, for unit tests."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from eden.data.base import ClassificationData, tensor_dataset
from eden.errors import ConfigError


class DigitsData(ClassificationData):
    def __init__(self, *, eval_fraction: float, split_seed: int, **kwargs: int) -> None:
        super().__init__(**kwargs)
        # both splits must hold images: 1,797 × (0, 1) rounds to at least one in each for fractions in [0.001, 0.999]
        ok = isinstance(eval_fraction, int | float) and not isinstance(eval_fraction, bool)
        if not ok or not 0.001 <= eval_fraction <= 0.999:
            raise ConfigError("data.eval_fraction", eval_fraction, "a number in [0.001, 0.999] (both splits non-empty)")
        if not isinstance(split_seed, int) or isinstance(split_seed, bool) or split_seed < 0:
            raise ConfigError("data.split_seed", split_seed, "an integer >= 0")
        self.eval_fraction = eval_fraction
        self.split_seed = split_seed

    def load(self) -> tuple[Dataset, Dataset]:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        x = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
        x = F.interpolate(x, size=(16, 16), mode="bilinear", align_corners=False)
        x = (x - 0.5) / 0.5
        y = torch.tensor(bunch.target)
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(self.split_seed))
        n_eval = round(len(y) * self.eval_fraction)
        ev, tr = perm[:n_eval], perm[n_eval:]
        return tensor_dataset(x[tr], y[tr]), tensor_dataset(x[ev], y[ev])
