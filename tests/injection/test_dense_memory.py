"""Memory of weak-cell maps is bounded and reported: a dense map read by a whole batch holds one repeating
pattern of its slot, not a copy of its mask per sample, and the map cache counts it and keeps to its budget."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from eden.bench.injection import model_at
from eden.datatypes import model_data_types
from eden.dram.geometry import DDR4_X8_4GB
from eden.injection.engine import STEP, WeakCellMap
from eden.injection.map_cache import MapCache
from eden.injection.network import DataTypeFaults, NetworkInjector
from eden.layout import Layout
from eden.ranges import record_value_ranges


def _dense_map(n_bytes: int, ber: float = 0.05) -> WeakCellMap:
    return WeakCellMap(model_at("uniform", ber), Layout(geometry=DDR4_X8_4GB), n_bytes * 8, 8, path="dense")


@pytest.mark.parametrize(
    ("stride", "batches"),
    [(4096, (128, 512)), (147, (2048, 4096)), (300_000, (4, 16))],  # aligned, unaligned (8 slots a period), > a step
)
def test_a_batch_read_holds_one_pattern_whatever_the_batch_size(stride: int, batches: tuple[int, int]) -> None:
    wcm = _dense_map(stride)
    sizes = {}
    for reads in batches:
        data = torch.randint(0, 256, (stride * reads,), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
        clean = data.clone()
        flips = wcm.corrupt_reads_(data, reads, torch.Generator().manual_seed(reads))
        assert not torch.equal(data, clean)
        # every slot's flips are among the slot's weak cells
        outside = (data ^ clean).view(reads, stride) & ~wcm.dense[0].weak[:stride]  # type: ignore[index]
        assert not outside.any()
        flips.restore_(data)
        assert torch.equal(data, clean)
        sizes[reads] = wcm.nbytes
    mask = wcm.dense[0].weak.numel()  # type: ignore[index]
    period = 8 * stride if stride % 8 else stride
    small, large = (sizes[b] for b in batches)
    assert small == large <= mask + period + 8 * STEP  # the mask, one period and one step: no batch term
    assert large - mask < stride * batches[1] / 2  # a copy of the mask per sample would hold stride × batch bytes


def test_a_single_read_of_a_dense_map_views_its_own_mask() -> None:
    wcm = _dense_map(4096)
    data = torch.zeros(4096, dtype=torch.uint8)
    wcm.corrupt_(data, torch.Generator().manual_seed(0)).restore_(data)
    assert wcm.nbytes == wcm.dense[0].weak.numel()  # type: ignore[index]


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.c2(torch.relu(self.c1(x))).flatten(1))


def test_the_map_cache_counts_the_batch_patterns_and_keeps_its_budget() -> None:
    """Evaluations at batch 64 on the dense path: the cache's bytes include the read patterns, re-measured, and
    stay within the budget (the least recently used maps leave); without it they would exceed it."""
    torch.manual_seed(0)
    model = _Net().eval()
    x = torch.randn(64, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    dts = model_data_types(model, x[:1])
    ranges = record_value_ranges(model, dts, [(x, None)], max_samples=len(x), device=torch.device("cpu"))

    def evaluate(cache: MapCache, ber: float) -> None:
        em = model_at("uniform", ber)
        faults = {d.key: DataTypeFaults(error_model=em, geometry=DDR4_X8_4GB, path="dense") for d in dts}
        inj = NetworkInjector(model, dts, faults, fmt="fp32", ranges=ranges, generator=torch.Generator().manual_seed(0),
                              map_cache=cache)  # fmt: skip
        with torch.no_grad(), inj:
            model(x)

    unbounded = MapCache(budget_bytes=1 << 40)
    for ber in (0.02, 0.03, 0.04):
        evaluate(unbounded, ber)
    per_ber = unbounded.bytes / 3
    patterns = sum(w._dense_words.bytes for _, w in unbounded.items())
    assert patterns > 0 and unbounded.bytes == sum(w.nbytes for _, w in unbounded.items())
    budget = int(1.5 * per_ber)
    bounded = MapCache(budget_bytes=budget)
    for ber in (0.02, 0.03, 0.04):
        evaluate(bounded, ber)
        held = bounded.bytes  # measured again, the read patterns included, and trimmed
        assert 0 < held <= budget and held == sum(w.nbytes for _, w in bounded.items())
    assert len(bounded) < len(unbounded) and unbounded.bytes > budget


@pytest.mark.parametrize(("name", "ber"), [("uniform", 0.5), ("uniform", 0.05), ("data_dependent", 0.03)])
def test_a_large_dense_map_built_by_blocks_equals_the_listed_build(
    monkeypatch: pytest.MonkeyPatch, name: str, ber: float
) -> None:
    """Maps above ``LIST_LIMIT`` expected weak cells are built a few rows at a time, never listing every weak cell
    (at BER 0.5 the list took 11 GB for ResNet-18's int8 weights): the same masks and expected BER as one list."""
    from eden.injection import engine

    layout, n_bits = Layout(geometry=DDR4_X8_4GB), 40_000 * 8
    listed = WeakCellMap(model_at(name, ber), layout, n_bits, 8, path="dense")
    monkeypatch.setattr(engine, "LIST_LIMIT", 1 << 12)
    blocks = WeakCellMap(model_at(name, ber), layout, n_bits, 8, path="dense")
    assert blocks.dense is not None and listed.dense is not None and len(blocks.dense) == len(listed.dense)
    for a, b in zip(blocks.dense, listed.dense, strict=True):
        assert (a.f_one, a.f_zero) == (b.f_one, b.f_zero) and torch.equal(a.weak, b.weak)
    assert blocks.expected_ber == pytest.approx(listed.expected_ber, rel=1e-12)
    if name == "uniform":  # the cost model picks dense from the expected number of weak cells
        auto = WeakCellMap(model_at(name, ber), layout, n_bits, 8)
        assert auto.dense is not None and torch.equal(auto.dense[0].weak, listed.dense[0].weak)
