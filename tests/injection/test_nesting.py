"""Nesting through the network (``monotone: true``): read k's flips at a lower BER ⊆ read k's at a higher BER.

An independent checker: hooks around the injector's see each layer's clean stored words and the words the layer
reads; their XOR is the set of flipped storage bits of that read (no engine internals). For every data type,
mode (train: fresh reads; eval: reads drawn ahead), draw path and read index, no flip at the lower BER may be
missing at the higher one. A data type with no weak cell, or a different number of reads drawn ahead, changes
no other read (per-(data type, read) streams).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from injection_helpers import build
from torch import nn

from eden.datatypes import DataType, model_data_types
from eden.dram.geometry import DDR4_X8_4GB, Geometry
from eden.formats import get_format
from eden.injection import weight_reads
from eden.injection.map_cache import MapCache
from eden.injection.network import DataTypeFaults, NetworkInjector
from eden.models.lenet import LeNet5

FORWARDS = 2


@pytest.fixture(autouse=True)
def _small_draw_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer flips per draw-ahead (speed): the number of reads drawn ahead still differs between the BERs."""
    monkeypatch.setattr(weight_reads, "DRAW_AHEAD_FLIPS", 1 << 16)


def _lenet() -> tuple[nn.Module, torch.Tensor, list[DataType]]:
    torch.manual_seed(0)
    model = LeNet5(num_classes=10, in_channels=1)
    x = torch.rand(2, 1, 28, 28)
    model(x)
    return model, x, model_data_types(model, x)


def _codes(fmt: str, values: torch.Tensor, scale: torch.Tensor | float | None) -> torch.Tensor:
    """Stored words of ``values`` as int64 (fp32: the bits; int8: the codes on the clean grid ``scale``)."""
    v = values.detach().float().reshape(values.shape[0], -1)
    if fmt == "fp32":
        return v.view(torch.int32).to(torch.int64) & 0xFFFFFFFF
    assert scale is not None
    return torch.round(v / scale).to(torch.int64) & 0xFF


def _sample_scale(x: torch.Tensor) -> torch.Tensor:
    """int8 per-sample scale of an IFM batch, as ``eden.injection.storage.encode_batch`` computes it."""
    amax = x.detach().reshape(x.shape[0], -1).abs().amax(dim=1, keepdim=True).double()
    return torch.where(amax > 0, amax / 127, torch.ones_like(amax)).float()


def flipped_bits(
    model: nn.Module,
    x: torch.Tensor,
    dts: list[DataType],
    assignment: dict[str, DataTypeFaults],
    *,
    fmt: str,
    train: bool,
    seed: int = 3,
) -> dict[tuple[str, int], torch.Tensor]:
    """(data type, read call) → flipped bits ``sample << 40 | storage bit`` over ``FORWARDS`` forwards."""
    layers = dict(model.named_modules())
    f = get_format(fmt)
    out: dict[tuple[str, int], torch.Tensor] = {}
    calls: dict[str, int] = {}
    clean_in: dict[str, torch.Tensor] = {}
    handles: list[Any] = []

    def record(key: str, clean: torch.Tensor, seen: torch.Tensor, scale: Any) -> None:
        diff = _codes(fmt, clean, scale) ^ _codes(fmt, seen, scale)
        bits = f.bits
        sample, word, bit = ((diff.unsqueeze(-1) >> torch.arange(bits)) & 1).nonzero(as_tuple=True)
        k = calls.get(key, 0)
        calls[key] = k + 1
        out[(key, k)] = (sample << 40) | (word * bits + bit)  # sorted: sample, then storage bit

    inj = NetworkInjector(
        model, dts, assignment, fmt=fmt, correction="off", generator=torch.Generator().manual_seed(seed),
        map_cache=MapCache(),
    )  # fmt: skip
    model.train(train)
    with inj, torch.set_grad_enabled(train):
        for d in dts:
            layer = layers[d.layer]
            if d.kind == "ifm":
                handles.append(layer.register_forward_pre_hook(
                    lambda m, a, k=d.layer: clean_in.__setitem__(k, a[0].detach().clone()), prepend=True
                ))  # fmt: skip
                handles.append(layer.register_forward_pre_hook(
                    lambda m, a, k=d.key, n=d.layer: record(k, clean_in[n], a[0], _sample_scale(clean_in[n]))
                ))  # fmt: skip
            else:
                clean_w = layer.weight.detach().clone()
                scale = f.encode(clean_w).scale
                handles.append(layer.register_forward_pre_hook(
                    lambda m, a, k=d.key, w=clean_w, s=scale: record(k, w.unsqueeze(0), m.weight.unsqueeze(0), s)
                ))  # fmt: skip
        for _ in range(FORWARDS):
            y = model(x)
            if train:
                y.sum().backward()
    for h in handles:
        h.remove()
    return out


def _assign(dts: list[DataType], ber: float, path: str = "sparse", geometry: Geometry = DDR4_X8_4GB) -> Any:
    em = build("uniform", ber=ber, monotone=True)
    return {d.key: DataTypeFaults(error_model=em, geometry=geometry, path=path) for d in dts}


def missing_at_higher(low: dict[Any, torch.Tensor], high: dict[Any, torch.Tensor]) -> tuple[int, int]:
    """(flips at the lower BER absent at the higher one, flips at the lower BER), over every read."""
    assert low.keys() == high.keys()
    return sum(int((~torch.isin(low[k], high[k])).sum()) for k in low), _count(low)


def _count(flips: dict[Any, torch.Tensor]) -> int:
    return sum(v.numel() for v in flips.values())


def _same(a: dict[Any, torch.Tensor], b: dict[Any, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("fmt", ["fp32", "int8"])
@pytest.mark.parametrize("bers", [(1e-4, 1e-3), (1e-3, 1e-2), (1e-2, 5e-2)], ids=str)
def test_lenet_flips_at_a_lower_ber_are_a_subset_of_those_at_a_higher_ber(
    bers: tuple[float, float], fmt: str, train: bool
) -> None:
    model, x, dts = _lenet()
    low, high = (flipped_bits(model, x, dts, _assign(dts, b), fmt=fmt, train=train) for b in bers)
    missing, total = missing_at_higher(low, high)
    assert total > 0 and len(low) == FORWARDS * len(dts)
    assert missing == 0, f"{missing} of {total} flips at BER {bers[0]} are absent at {bers[1]}"
    assert _count(high) > total  # and the higher BER flips more


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_the_dense_path_nests_too(train: bool) -> None:
    model, x, dts = _lenet()
    low, high = (flipped_bits(model, x, dts, _assign(dts, b, "dense"), fmt="int8", train=train) for b in (1e-3, 1e-2))
    missing, total = missing_at_higher(low, high)
    assert total > 0 and missing == 0


def test_draw_ahead_count_changes_no_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eval reads drawn 64 at a time or 1 at a time: read k of every data type flips the same bits."""
    model, x, dts = _lenet()
    a = flipped_bits(model, x, dts, _assign(dts, 1e-2), fmt="int8", train=False)
    monkeypatch.setattr(weight_reads, "DRAW_AHEAD_READS", 1)
    b = flipped_bits(model, x, dts, _assign(dts, 1e-2), fmt="int8", train=False)
    assert _same(a, b) and _count(a) > 0


class _WithTinyLayer(nn.Module):
    """A 16x2 layer (256 storage bits: no weak cell at BER 1e-4, a few at 1e-2) ahead of two larger ones."""

    def __init__(self) -> None:
        super().__init__()
        self.tiny = nn.Linear(2, 16, bias=False)
        self.big = nn.Linear(16, 256, bias=False)
        self.wide = nn.Linear(256, 256, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.wide(self.big(self.tiny(x)))


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_an_empty_data_type_changes_no_other_read_and_reads_stay_nested(train: bool) -> None:
    torch.manual_seed(0)
    model = _WithTinyLayer()
    x = torch.randn(2, 2)
    dts = [d for d in model_data_types(model, x) if d.kind == "weights"]
    tiny, rest = [d for d in dts if d.layer == "tiny"], [d for d in dts if d.layer != "tiny"]
    em = {b: build("uniform", ber=b, monotone=True) for b in (1e-4, 1e-2)}

    def assign(ber: float, with_tiny: bool) -> dict[str, DataTypeFaults]:
        out = {d.key: DataTypeFaults(error_model=em[ber], geometry=DDR4_X8_4GB) for d in rest}
        if with_tiny:  # its own partition: the other data types keep their rows
            out |= {d.key: DataTypeFaults(error_model=em[ber], geometry=DDR4_X8_4GB, partition=1) for d in tiny}
        return out

    runs = {(b, t): flipped_bits(model, x, dts, assign(b, t), fmt="int8", train=train) for b in em for t in (0, 1)}
    n_weak = {}
    for b in em:
        gen = torch.Generator().manual_seed(0)
        inj = NetworkInjector(model, dts, assign(b, True), fmt="int8", correction="off", generator=gen)
        with inj, torch.no_grad():
            model(x)
        n_weak[b] = sum(m.n_weak for k, m in inj.weak_cell_maps() if k == "tiny.weights")
    assert n_weak[1e-4] == 0 < n_weak[1e-2]  # empty at the lower BER only: it draws at one BER, not the other
    for b in em:  # assigning the (possibly empty) tiny type changes no read of the others
        others = [{k: v for k, v in runs[(b, t)].items() if k[0] != "tiny.weights"} for t in (0, 1)]
        assert _same(*others)
    missing, total = missing_at_higher(runs[(1e-4, 1)], runs[(1e-2, 1)])
    assert total > 0 and missing == 0
