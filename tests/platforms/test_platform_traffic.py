"""Analytical tiling traffic: conservation (never below compulsory bytes) and monotone in on-chip capacity."""

from __future__ import annotations

import math

import pytest
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st

from eden.platforms.topology import Layer, extract_topology
from eden.platforms.traffic import analytical_traffic, row_hit_rate, tiled_traffic


def conv(c_in: int, c_out: int, hw: int, k: int = 3, groups: int = 1) -> Layer:
    out = hw - k + 1
    return Layer(name="l", kind="depthwise" if groups > 1 and groups == c_in else "conv", in_channels=c_in,
                 out_channels=c_out, in_h=hw, in_w=hw, out_h=out, out_w=out, kernel_h=k, kernel_w=k,
                 stride_h=1, stride_w=1, groups=groups)  # fmt: skip


layers = st.builds(
    lambda c, n, hw, k, g: conv(c * g, n * g, hw + k, k, g),
    st.integers(1, 64), st.integers(1, 64), st.integers(1, 40), st.sampled_from([1, 3, 5]), st.sampled_from([1, 2, 4]),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(layer=layers, capacity=st.floats(64, 64e6), bytes_per_value=st.sampled_from([0.5, 1, 2, 4]))
def test_traffic_never_below_compulsory_bytes(layer: Layer, capacity: float, bytes_per_value: float) -> None:
    w, i, o = tiled_traffic(layer, capacity_bytes=capacity, bytes_per_value=bytes_per_value)
    assert w >= layer.weight_numel * bytes_per_value - 1e-9
    assert i >= layer.ifm_numel * bytes_per_value - 1e-9
    assert o == pytest.approx(layer.ofm_numel * bytes_per_value)


@settings(max_examples=200, deadline=None)
@given(layer=layers, capacity=st.floats(64, 64e6), factor=st.floats(1.0, 100.0))
def test_larger_on_chip_memory_never_increases_traffic(layer: Layer, capacity: float, factor: float) -> None:
    small = sum(tiled_traffic(layer, capacity_bytes=capacity, bytes_per_value=4))
    large = sum(tiled_traffic(layer, capacity_bytes=capacity * factor, bytes_per_value=4))
    assert large <= small * (1 + 1e-12)


def test_a_layer_that_fits_moves_each_byte_once_and_one_that_does_not_refetches() -> None:
    layer = conv(64, 64, 30)
    unique = (layer.weight_numel + layer.ifm_numel + layer.ofm_numel) * 4
    assert sum(tiled_traffic(layer, capacity_bytes=unique, bytes_per_value=4)) == unique
    w, i, _ = tiled_traffic(layer, capacity_bytes=64 * 1024, bytes_per_value=4)
    # 147 KB of weights over 32 KB halves: 5 weight blocks, the 230 KB IFM streamed 5 times (cheaper order).
    assert (w, i) == (layer.weight_numel * 4, layer.ifm_numel * 4 * math.ceil(layer.weight_numel * 4 / 32768))


def test_whole_network_traffic_is_at_least_its_weights_on_every_capacity() -> None:
    topo = extract_topology(torchvision.models.alexnet(weights=None), (3, 224, 224))
    weights = topo.unique_weight_numel() * 4
    previous = math.inf
    for capacity in (32e3, 512e3, 3e6, 16e6, 1e9):
        total = sum(sum(tiled_traffic(lay, capacity_bytes=capacity, bytes_per_value=4)) for lay in topo)
        assert weights <= total <= previous
        previous = total


def test_row_hit_rate_of_sequential_streams() -> None:
    assert row_hit_rate(access_bytes=64, interleave_bytes=256) == 0.75
    assert row_hit_rate(access_bytes=64, interleave_bytes=64) == 0.0
    traffic = analytical_traffic(conv(3, 8, 10), capacity_bytes=1e6, bytes_per_value=1, access_bytes=32,
                                 interleave_bytes=256)  # fmt: skip
    assert traffic.row_hit_rate == 0.875 and traffic.source == "analytical"
