"""LeNet-5's width multiplier: the classic network at width 1, every hidden layer scaled by the width, bad widths
refused with a message naming the field."""

from __future__ import annotations

import pytest
import torch

from eden.models.lenet import LeNet5


def _hidden_sizes(model: LeNet5) -> list[int]:
    convs = [m.out_channels for m in model.features if isinstance(m, torch.nn.Conv2d)]
    linears = [m.out_features for m in model.classifier if isinstance(m, torch.nn.Linear | torch.nn.LazyLinear)]
    return convs + linears[:-1]


def test_width_one_is_the_classic_lenet5() -> None:
    model = LeNet5(num_classes=10, in_channels=1)
    model(torch.zeros(1, 1, 28, 28))
    assert _hidden_sizes(model) == [6, 16, 120, 84]
    assert sum(p.numel() for p in model.parameters()) == 61_706


@pytest.mark.parametrize("width", [2, 4])
def test_width_scales_every_hidden_layer_and_keeps_the_output(width: int) -> None:
    model = LeNet5(num_classes=10, in_channels=1, width=width)
    out = model(torch.zeros(3, 1, 28, 28))
    assert out.shape == (3, 10)
    assert _hidden_sizes(model) == [6 * width, 16 * width, 120 * width, 84 * width]


@pytest.mark.parametrize("width", [0, -1, 1.5, True])
def test_bad_width_is_refused_naming_the_field(width: object) -> None:
    with pytest.raises(ValueError, match=r"model\.width"):
        LeNet5(num_classes=10, in_channels=1, width=width)  # type: ignore[arg-type]
