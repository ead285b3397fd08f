"""Topology extraction: every conv/linear/pool layer with the shapes DRAM traffic depends on."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from eden.datatypes import model_data_types
from eden.errors import ConfigError
from eden.platforms.topology import Layer, extract_topology


class Tiny(nn.Module):
    """conv → depthwise conv → max-pool → grouped conv → adaptive pool → linear, reusing one conv."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.pool = nn.MaxPool2d(2)
        self.grouped = nn.Conv2d(8, 16, 1, groups=2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.dw(self.conv(x)))
        x = self.gap(self.grouped(x))
        return self.fc(torch.flatten(x, 1))


def test_every_layer_kind_is_found_in_call_order_with_its_shapes() -> None:
    topo = extract_topology(Tiny(), (3, 16, 16))
    assert [(lay.name, lay.kind) for lay in topo] == [
        ("conv", "conv"), ("dw", "depthwise"), ("pool", "pool"), ("grouped", "conv"), ("gap", "pool"),
        ("fc", "linear"),
    ]  # fmt: skip
    conv, dw, pool, grouped, gap, fc = topo.layers
    assert (conv.in_h, conv.out_h, conv.padded()) == (16, 16, (18, 18))
    assert (dw.groups, dw.out_h, dw.weight_numel) == (8, 8, 8 * 9)
    assert (pool.out_h, pool.weight_numel, pool.ifm_numel) == (4, 0, 8 * 8 * 8)
    assert grouped.weight_numel == 16 * 4  # 2 groups of 4 input channels
    assert (gap.kernel_h, gap.out_h) == (4, 1)
    assert (fc.weight_numel, fc.ifm_numel, fc.ofm_numel, fc.macs) == (160, 16, 10, 160)


def test_weights_match_the_models_parameters_and_eden_data_types() -> None:
    model = Tiny()
    topo = extract_topology(model, torch.zeros(4, 3, 16, 16))  # batch > 1 is cut to 1
    weights = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear))
    assert topo.unique_weight_numel() == weights
    data_types = model_data_types(model, torch.zeros(1, 3, 16, 16))
    ifms = {d.layer: d.numel for d in data_types if d.kind == "ifm"}
    assert {lay.name: lay.ifm_numel for lay in topo if lay.has_weights} == ifms


def test_a_module_called_twice_moves_its_data_twice() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.fc(x))

    assert [lay.name for lay in extract_topology(Twice(), (4,))] == ["fc", "fc#2"]


def test_digest_depends_on_shapes_not_names() -> None:
    a = extract_topology(nn.Sequential(nn.Conv2d(3, 4, 3)), (3, 8, 8))
    b = extract_topology(nn.Sequential(nn.Identity(), nn.Conv2d(3, 4, 3)), (3, 8, 8))
    c = extract_topology(nn.Sequential(nn.Conv2d(3, 5, 3)), (3, 8, 8))
    assert a.layers[0].name != b.layers[0].name
    assert a.digest() == b.digest() != c.digest()


def test_bad_groups_are_rejected_with_the_field_named() -> None:
    with pytest.raises(ConfigError, match=r"layer\.groups=3 is invalid"):
        Layer(name="x", kind="conv", in_channels=4, out_channels=4, in_h=4, in_w=4, out_h=4, out_w=4,
              kernel_h=1, kernel_w=1, stride_h=1, stride_w=1, groups=3)  # fmt: skip
