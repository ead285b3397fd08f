"""Zeroing only the samples whose clean values leave the recorded range gives what a pass over the batch gives.

An evaluation batch differs from the data the ranges were recorded on: a few samples hold clean values beyond the
range. Those samples get the full correction pass, the others only the words the read flipped (EDEN §5.2).
"""

from __future__ import annotations

import pytest
import torch
from injection_helpers import GEO, build
from torch import nn

from eden.datatypes import model_data_types
from eden.injection import network
from eden.injection.map_cache import MapCache
from eden.injection.network import DataTypeFaults, NetworkInjector
from eden.ranges import record_value_ranges

Seen = tuple[torch.Tensor, torch.Tensor, tuple[float, float]]


def _first_layer_input(fmt: str, share: float, monkeypatch: pytest.MonkeyPatch) -> Seen:
    monkeypatch.setattr(network, "FULL_PASS_SHARE", share)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4)).eval()
    x = torch.randn(16, 64, generator=torch.Generator().manual_seed(1))
    dts = model_data_types(model, x[:1])
    ranges = record_value_ranges(model, dts, [(x, None)], max_samples=len(x), device="cpu")
    x = x.clone()
    x[3] *= 4  # one sample beyond the recorded range
    faults = {d.key: DataTypeFaults(error_model=build("uniform", ber=1e-2), geometry=GEO) for d in dts}
    seen: list[torch.Tensor] = []
    inj = NetworkInjector(model, dts, faults, fmt=fmt, ranges=ranges, correction="zero",
                          generator=torch.Generator().manual_seed(2), map_cache=MapCache())  # fmt: skip
    with torch.no_grad(), inj:
        model[0].register_forward_pre_hook(lambda m, a: seen.append(a[0].clone()))
        model(x)
    return seen[0], x, ranges["0.ifm"]


@pytest.mark.parametrize("fmt", ["int8", "fp32"])
def test_per_sample_correction_equals_a_full_pass(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    per_sample, x, (lo, hi) = _first_layer_input(fmt, 0.5, monkeypatch)
    full, _, _ = _first_layer_input(fmt, 0.0, monkeypatch)  # any out-of-range sample: one pass over the batch
    assert torch.equal(per_sample, full)
    beyond = (x[3] < lo * 1.01) | (x[3] > hi * 1.01)
    assert beyond.any() and (per_sample[3][beyond] == 0).all()  # the clean out-of-range values were zeroed
    kept = per_sample[torch.arange(16) != 3] == 0
    assert kept.float().mean() < 0.1  # the other samples lost only words a flip made implausible
