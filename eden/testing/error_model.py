"""Contract every member of the ``error_model`` registry meets, as a suite a plugin package runs on its members.

Usage (a class whose name starts with ``Test``, parametrized by member name)::

    @pytest.mark.parametrize("name", ["stuck_at"])
    class TestStuckAt(ErrorModelContract):
        pass

Each member is built from its config option (``conf/error_model/<name>.yaml`` or a search-path plugin's). Flip
counts are checked against the exact 99.9% binomial interval, conditionally on the fixed weak-cell set: a weak
cell of class c fails on each of T reads independently with f_one (cell holds 1) or f_zero (cell holds 0), so
over T reads of a region filled with ones the flips of class c are Binomial(K_c·T, f_one) (zeros: f_zero).
Tests that need a capability (``targets_ber``, ``stochastic``; see ``ErrorModel.capabilities``) skip members
that do not declare it.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch

from eden.dram.geometry import Geometry
from eden.errors import ConfigError
from eden.injection.engine import WeakCellMap
from eden.injection.error_model import ERROR_MODELS, ErrorModel
from eden.layout import Layout
from eden.testing.binomial import within
from eden.testing.members import member_params, require

#: Small partition: 4 banks × 64 rows × 1024 bitlines (multiples of every word size).
GEO = Geometry(banks=4, rows_per_bank=64, row_bits=1024)
REGION_BITS = 16 * GEO.row_bits  # 16 rows
TRIALS = 1000


def build(name: str, *, seed: int = 1, **overrides: Any) -> ErrorModel:
    """The member ``name`` with its config's values, overridden by ``overrides``."""
    params = {**member_params("error_model", name), **overrides}
    return ERROR_MODELS.get(name).from_config(params, seed=seed)


def weak_map(
    model: ErrorModel,
    *,
    n_bits: int = REGION_BITS,
    word_bits: int = 8,
    path: str = "auto",
    draw: str = "auto",
    **layout: Any,
) -> WeakCellMap:
    return WeakCellMap(model, Layout(geometry=GEO, **layout), n_bits, word_bits, path=path, draw=draw)


def read_many(wcm: WeakCellMap, reads: int, *, fill: int = 0, seed: int = 0) -> torch.Tensor:
    """Per-read flipped bits of ``reads`` reads of a region filled with byte ``fill``: bool (reads, n_bits)."""
    slot = -(-wcm.n_bits // 8)
    data = torch.full((reads * slot,), fill, dtype=torch.uint8)
    wcm.corrupt_reads_(data, reads, torch.Generator().manual_seed(seed))
    diff = (data ^ fill).view(reads, slot)
    bits = (diff.unsqueeze(-1) >> torch.arange(8, dtype=torch.uint8)) & 1
    return bits.reshape(reads, slot * 8)[:, : wcm.n_bits].bool()


class ErrorModelContract:
    """The error-model contract; subclass it with ``name`` parametrized over the members to test."""

    GROUP = "error_model"

    def require(self, name: str, capability: str) -> None:
        require(self.GROUP, name, capability)

    def test_member_builds_from_its_yaml_and_reports_a_probability(self, name: str) -> None:
        model = build(name)
        assert 0.0 <= model.mean_ber <= 1.0
        fields = {*type(model).probability_fields, *type(model).setting_fields, "ber", "monotone"}
        assert set(member_params(self.GROUP, name)) - {"name"} == fields

    @pytest.mark.parametrize("ber", [1e-3, 1e-2, 5e-2])
    def test_target_ber_is_the_mean_ber(self, name: str, ber: float) -> None:
        self.require(name, "targets_ber")
        assert build(name, ber=ber).mean_ber == pytest.approx(ber, rel=1e-9)

    def test_ber_zero_is_the_identity(self, name: str) -> None:
        wcm = weak_map(build(name, ber=0.0))
        assert wcm.n_weak == 0
        assert not read_many(wcm, 50, fill=0x5A).any()

    def test_cell_classes_are_probabilities_inside_the_region(self, name: str) -> None:
        model = build(name, ber=1e-2)
        layout = Layout(geometry=GEO, first_row=3)
        rows = layout.rows_needed(REGION_BITS)
        for c in model.cell_classes(layout, REGION_BITS, 8):
            assert 0 <= c.p <= 1 and 0 <= c.f_one <= 1 and 0 <= c.f_zero <= 1
            if c.chunks.numel():
                assert int(c.chunks.min()) >= 3 and int(c.chunks.max()) < 3 + rows
            if c.bitlines.numel():
                assert int(c.bitlines.min()) >= 0 and int(c.bitlines.max()) < GEO.row_bits

    @pytest.mark.parametrize("ber", [1e-3, 1e-2])
    @pytest.mark.parametrize("fill", [0x00, 0xFF])
    def test_flip_count_within_binomial_bounds(self, name: str, ber: float, fill: int) -> None:
        self.require(name, "targets_ber")
        wcm = weak_map(build(name, ber=ber), path="sparse")
        flips = read_many(wcm, TRIALS, fill=fill)
        for c in wcm.sparse:
            f = c.f_one if fill else c.f_zero
            got = int(flips[:, c.bits].sum())
            assert within(got, c.bits.numel() * TRIALS, f), (c.index, got, c.bits.numel(), f)
        weak = torch.zeros(wcm.n_bits, dtype=torch.bool)
        for c in wcm.sparse:
            weak[c.bits] = True
        assert not flips[:, ~weak].any(), "a cell outside the weak set failed"

    def test_dense_path_flips_within_binomial_bounds(self, name: str) -> None:
        self.require(name, "targets_ber")
        wcm = weak_map(build(name, ber=5e-2), path="dense")
        assert wcm.path == "dense"
        sparse = weak_map(build(name, ber=5e-2), path="sparse")
        flips = read_many(wcm, TRIALS, fill=0xFF)
        for c in sparse.sparse:  # same weak cells on both paths
            got = int(flips[:, c.bits].sum())
            f = round(c.f_one * 65536) / 65536  # the dense path draws F rounded to 2^-16
            assert within(got, c.bits.numel() * TRIALS, f), (c.index, got)

    def test_weak_cell_count_within_binomial_bounds(self, name: str) -> None:
        self.require(name, "targets_ber")
        model = build(name, ber=1e-2)
        wcm = weak_map(model, path="sparse")
        for seed in range(5):
            device = model.with_seed(seed)  # weak lines are a property of the device seed too
            classes = device.cell_classes(Layout(geometry=GEO), REGION_BITS, 8)
            counts = {c.index: c.bits.numel() for c in weak_map(device, path="sparse").sparse}
            for i, c in enumerate(classes):
                assert within(counts.get(i, 0), c.n_cells, c.p), (seed, i)
        assert wcm.n_weak > 0

    def test_same_seeds_same_flips_and_another_device_seed_differs(self, name: str) -> None:
        self.require(name, "targets_ber")
        model = build(name, ber=1e-2)
        a = read_many(weak_map(model), 20, fill=0x0F, seed=3)
        b = read_many(weak_map(model), 20, fill=0x0F, seed=3)
        assert torch.equal(a, b)
        assert not torch.equal(a, read_many(weak_map(model.with_seed(9)), 20, fill=0x0F, seed=3))  # device

    def test_another_read_seed_draws_other_flips(self, name: str) -> None:
        self.require(name, "targets_ber")
        self.require(name, "stochastic")
        model = build(name, ber=1e-2)
        a = read_many(weak_map(model), 20, fill=0x0F, seed=3)
        assert not torch.equal(a, read_many(weak_map(model), 20, fill=0x0F, seed=4))  # read draws

    def test_monotone_errors_at_lower_ber_are_a_subset(self, name: str) -> None:
        self.require(name, "targets_ber")
        bers = [1e-3, 3e-3, 1e-2, 3e-2]
        flips = [read_many(weak_map(build(name, ber=b, monotone=True)), 30, fill=0x3C, seed=5) for b in bers]
        for low, high in itertools.pairwise(flips):
            assert not (low & ~high).any()
            assert int(high.sum()) > int(low.sum())

    def test_one_batched_read_equals_a_single_read(self, name: str) -> None:
        self.require(name, "targets_ber")
        wcm = weak_map(build(name, ber=1e-2), path="sparse")
        a = torch.full((REGION_BITS // 8,), 0xA5, dtype=torch.uint8)
        b = a.clone()
        wcm.corrupt_(a, torch.Generator().manual_seed(11))
        wcm.corrupt_reads_(b, 1, torch.Generator().manual_seed(11))
        assert torch.equal(a, b)

    def test_restore_is_bit_exact(self, name: str) -> None:
        self.require(name, "targets_ber")
        for path in ("sparse", "dense"):
            wcm = weak_map(build(name, ber=2e-2), path=path)
            gen = torch.Generator().manual_seed(0)
            data = torch.randint(0, 256, (REGION_BITS // 8,), dtype=torch.uint8, generator=gen)
            clean = data.clone()
            flips = wcm.corrupt_(data, torch.Generator().manual_seed(1))
            assert not torch.equal(data, clean)
            flips.restore_(data)
            assert torch.equal(data, clean)

    def test_unknown_field_is_a_config_error(self, name: str) -> None:
        with pytest.raises(ConfigError, match=r"error_model\.bogus"):
            build(name, bogus=1)

    def test_probability_fields_outside_unit_interval_are_config_errors(self, name: str) -> None:
        for field in ERROR_MODELS.get(name).probability_fields:
            for bad in (-0.1, 1.5):
                override: dict[str, Any] = {field: bad}
                with pytest.raises(ConfigError, match=rf"error_model\.{field}="):
                    build(name, **override)
        with pytest.raises(ConfigError, match=r"error_model\.ber="):
            build(name, ber=2.0)
