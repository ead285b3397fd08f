"""Seeded synthetic images of CIFAR-10 or ImageNet shape, with a structure a network can learn.

The offline environment has neither CIFAR-10 nor ImageNet; scale tests and benchmarks still need data of the right
shape (3×32×32, 3×224×224) flowing through the real pipeline, and an accuracy that means something: torchvision's
``FakeData`` draws labels independently of the images, so every network sits at chance and a tolerance search
has nothing to protect. Here each class has a smooth random *prototype* (low-frequency noise, upsampled); a
sample is its class's prototype, shifted by a few pixels, scaled by a random contrast, plus white noise. A
network must learn translation-tolerant templates under noise: ResNet-20 reaches well above chance in a few
epochs, and injected errors lower that accuracy like they lower a real one.

Sample ``i`` of a split is drawn from its own generator seeded by (``seed``, split, ``i``): the set is identical
on every machine and in every worker, whether it is held in memory or drawn on access. It is held in memory when
it fits in ``in_memory_mb`` (evaluations are then as cheap as MNIST's), otherwise drawn per access (ImageNet shape).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from eden.data.base import ClassificationData, tensor_dataset
from eden.errors import ConfigError

#: Side of the random grid a prototype is upsampled from: features a few pixels wide at 32×32 (a ResNet's 3×3
#: convolutions see them), a few tens at 224×224.
PROTOTYPE_GRID = 8


def _positive_int(field: str, value: object, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"data.{field}", value, f"an integer >= {minimum}")
    return value


def _non_negative(field: str, value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
        raise ConfigError(f"data.{field}", value, "a number >= 0")
    return float(value)


class SyntheticImages(Dataset):
    """``size`` images of one split, sample ``i`` drawn from the generator seeded by (seed, split, i)."""

    def __init__(
        self, prototypes: torch.Tensor, *, size: int, seed: int, split: int, noise: float, max_shift: int
    ) -> None:
        self.prototypes = prototypes  # (classes, C, H, W), unit standard deviation per class
        self.size = size
        self.seed = seed
        self.split = split
        self.noise = noise
        self.max_shift = max_shift

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < self.size:
            raise IndexError(index)
        gen = torch.Generator().manual_seed((self.seed * 1_000_003 + self.split) * 1_000_000_007 + index)
        classes, c, h, w = self.prototypes.shape
        label = int(torch.randint(classes, (1,), generator=gen))
        dy, dx = (torch.randint(-self.max_shift, self.max_shift + 1, (2,), generator=gen)).tolist()
        contrast = 0.75 + 0.5 * float(torch.rand((), generator=gen))
        image = torch.roll(self.prototypes[label], shifts=(dy, dx), dims=(1, 2)) * contrast
        image = image + self.noise * torch.randn(c, h, w, generator=gen)
        return image, torch.tensor(label)


class SyntheticImageData(ClassificationData):
    """Class prototypes + shift + contrast + noise (module docstring); ``conf/data/fake_cifar10.yaml`` etc."""

    def __init__(
        self,
        *,
        image_size: int,
        train_size: int,
        eval_size: int,
        noise: float,
        max_shift: int,
        seed: int,
        in_memory_mb: int,
        **kwargs: int,
    ) -> None:
        super().__init__(**kwargs)
        self.image_size = _positive_int("image_size", image_size, 8)
        self.train_size = _positive_int("train_size", train_size)
        self.eval_size = _positive_int("eval_size", eval_size)
        self.noise = _non_negative("noise", noise)
        self.max_shift = _positive_int("max_shift", max_shift, 0)
        if self.max_shift >= self.image_size:
            raise ConfigError("data.max_shift", max_shift, f"an integer in [0, image_size={image_size})")
        self.seed = _positive_int("seed", seed, 0)
        self.in_memory_mb = _positive_int("in_memory_mb", in_memory_mb, 0)

    def prototypes(self) -> torch.Tensor:
        """One smooth random image per class, standardized (mean 0, standard deviation 1)."""
        gen = torch.Generator().manual_seed(self.seed)
        grid = torch.randn(self.num_classes, self.channels, PROTOTYPE_GRID, PROTOTYPE_GRID, generator=gen)
        up = F.interpolate(grid, size=(self.image_size, self.image_size), mode="bicubic", align_corners=False)
        mean = up.mean(dim=(1, 2, 3), keepdim=True)
        std = up.std(dim=(1, 2, 3), keepdim=True)
        return ((up - mean) / std).contiguous()

    def split_bytes(self, size: int) -> int:
        return size * self.channels * self.image_size**2 * 4

    def load(self) -> tuple[Dataset, Dataset]:
        protos = self.prototypes()
        splits: list[Dataset] = []
        for split, size in ((0, self.train_size), (1, self.eval_size)):
            ds: Dataset = SyntheticImages(
                protos, size=size, seed=self.seed, split=split, noise=self.noise, max_shift=self.max_shift
            )
            if self.split_bytes(size) <= self.in_memory_mb * 2**20:
                samples = [ds[i] for i in range(size)]
                ds = tensor_dataset(torch.stack([s[0] for s in samples]), torch.stack([s[1] for s in samples]))
            splits.append(ds)
        return splits[0], splits[1]
