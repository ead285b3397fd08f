"""CIFAR-10 and ImageNet through torchvision, for users who have the files (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from eden.data.base import ClassificationData, normalized, tensor_dataset
from eden.errors import DataError

CIFAR_MEAN = [0.4914, 0.4822, 0.4465]  # CIFAR-10 training-set channel statistics
CIFAR_STD = [0.2470, 0.2435, 0.2616]
IMAGENET_MEAN = [0.485, 0.456, 0.406]  # torchvision's ImageNet normalization
IMAGENET_STD = [0.229, 0.224, 0.225]


class CIFAR10Data(ClassificationData):
    def __init__(self, *, root: str, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)

    def load(self) -> tuple[Dataset, Dataset]:
        from torchvision.datasets import CIFAR10

        expected = self.root / "cifar-10-batches-py"
        if not expected.is_dir():
            raise DataError(
                f"data=cifar10: expected the extracted CIFAR-10 python batches at {expected} "
                "(set data.root to the folder that contains cifar-10-batches-py)"
            )
        splits = []
        for train in (True, False):
            ds = CIFAR10(str(self.root), train=train, download=False)
            x = torch.tensor(ds.data).permute(0, 3, 1, 2).float() / 255.0
            splits.append(tensor_dataset(normalized(x, CIFAR_MEAN, CIFAR_STD), torch.tensor(ds.targets)))
        return splits[0], splits[1]


class ImageNetData(ClassificationData):
    def __init__(self, *, root: str, image_size: int, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)
        self.image_size = image_size

    def load(self) -> tuple[Dataset, Dataset]:
        from torchvision import transforms
        from torchvision.datasets import ImageFolder

        missing = [s for s in ("train", "val") if not (self.root / s).is_dir()]
        if missing:
            raise DataError(
                f"data=imagenet: expected ImageFolder trees {self.root}/train and {self.root}/val "
                f"(missing: {', '.join(missing)}); set data.root"
            )
        tf = transforms.Compose(
            [
                transforms.Resize(int(self.image_size * 8 / 7)),
                transforms.CenterCrop(self.image_size),
                transforms.ToTensor(),
                transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
            ]
        )
        return ImageFolder(str(self.root / "train"), tf), ImageFolder(str(self.root / "val"), tf)


__all__ = ["CIFAR10Data", "ImageNetData", "tensor_dataset"]
