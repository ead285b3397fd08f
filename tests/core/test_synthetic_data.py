"""Synthetic CIFAR-10/ImageNet-shaped data: right shapes, seeded, identical in memory and drawn, and learnable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from omegaconf import DictConfig

from eden.data.synthetic import SyntheticImageData
from eden.errors import ConfigError

SMALL = {"train_size": 64, "eval_size": 32}


def _data(**overrides: Any) -> SyntheticImageData:
    params: dict[str, Any] = {
        "image_size": 32, "train_size": 200, "eval_size": 100, "noise": 1.0, "max_shift": 4, "seed": 0,
        "in_memory_mb": 64, "batch_size": 32, "eval_batch_size": 100, "num_workers": 0, "num_classes": 10,
        "channels": 3,
    }  # fmt: skip
    params.update(overrides)
    return SyntheticImageData(**params)


@pytest.mark.parametrize(("name", "shape", "classes"), [("fake_cifar10", (3, 32, 32), 10),
                                                         ("fake_imagenet", (3, 224, 224), 1000)])  # fmt: skip
def test_shipped_configs_give_the_real_sets_shapes(
    compose_cfg: Callable[[list[str]], DictConfig], name: str, shape: tuple[int, ...], classes: int
) -> None:
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    cfg = compose_cfg([f"data={name}", *(f"data.{k}={v}" for k, v in SMALL.items())])
    data = instantiate(OmegaConf.to_container(cfg.data, resolve=True))
    x, y = data.eval_set[0]
    assert tuple(x.shape) == shape and data.num_classes == classes and 0 <= int(y) < classes
    assert data.example_input().shape == (1, *shape)
    batch, labels = next(iter(data.eval_loader()))
    assert tuple(batch.shape[1:]) == shape and batch.dtype == torch.float32 and labels.dtype == torch.int64


def test_held_in_memory_and_drawn_on_access_are_the_same_samples() -> None:
    held, drawn = _data(in_memory_mb=64), _data(in_memory_mb=0)
    assert isinstance(held.eval_set, torch.utils.data.TensorDataset)
    assert not isinstance(drawn.eval_set, torch.utils.data.TensorDataset)
    for i in (0, 7, 99):
        assert torch.equal(held.eval_set[i][0], drawn.eval_set[i][0])
        assert int(held.eval_set[i][1]) == int(drawn.eval_set[i][1])
        assert torch.equal(held.train_set[i][0], drawn.train_set[i][0])


def test_seed_fixes_the_set_and_splits_differ() -> None:
    a, b, c = _data(), _data(), _data(seed=1)
    assert torch.equal(a.eval_set.tensors[0], b.eval_set.tensors[0])  # type: ignore[attr-defined]
    assert not torch.equal(a.eval_set.tensors[0], c.eval_set.tensors[0])  # type: ignore[attr-defined]
    assert not torch.equal(a.eval_set.tensors[0][:50], a.train_set.tensors[0][:50])  # type: ignore[attr-defined]


def test_labels_are_learnable_and_noise_makes_it_harder() -> None:
    """Matching each image with the class prototypes under every allowed shift recovers its label; FakeData-like
    random labels would leave this at chance (0.1). More noise lowers the matcher's accuracy."""

    def matcher_accuracy(noise: float) -> float:
        data = _data(noise=noise, max_shift=2)
        protos = data.prototypes()
        x, y = data.eval_set.tensors  # type: ignore[attr-defined]
        best = torch.full((len(y), data.num_classes), -float("inf"))
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                shifted = torch.roll(protos, shifts=(dy, dx), dims=(2, 3)).flatten(1)
                best = torch.maximum(best, x.flatten(1) @ shifted.T)
        return float((best.argmax(1) == y).float().mean())

    counts = torch.bincount(_data(eval_size=1000).eval_set.tensors[1], minlength=10)  # type: ignore[attr-defined]
    assert counts.min() > 60  # every class present, roughly balanced (100 expected)
    assert matcher_accuracy(1.0) > 0.95
    assert matcher_accuracy(40.0) < matcher_accuracy(1.0) - 0.1


@pytest.mark.parametrize(
    ("field", "value"),
    [("noise", -1.0), ("max_shift", 32), ("image_size", 4), ("train_size", 0), ("in_memory_mb", -1), ("seed", 1.5)],
)
def test_bad_settings_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=rf"data\.{field}="):
        _data(**{field: value})
