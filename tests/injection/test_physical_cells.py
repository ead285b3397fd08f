"""Weakness belongs to the physical cell (device seed, partition, bank, row, bitline), not to the region over it."""

from __future__ import annotations

import pytest
import torch
from injection_helpers import GEO, build, weak_map

from eden.injection.engine import WeakCellMap

MODELS = ("uniform", "bitline", "wordline", "data_dependent")


def _weak(wcm: WeakCellMap) -> set[int]:
    return set(torch.cat([c.bits for c in wcm.sparse]).tolist()) if wcm.sparse else set()


@pytest.mark.parametrize("monotone", [False, True])
@pytest.mark.parametrize("name", MODELS)
def test_physical_row_0_seen_by_a_1_row_and_a_2_row_region_has_the_same_weak_cells(name: str, monotone: bool) -> None:
    model = build(name, ber=5e-2, monotone=monotone)  # ~100 weak cells per 1024-bit row
    one = _weak(weak_map(model, n_bits=GEO.row_bits, path="sparse"))
    two = _weak(weak_map(model, n_bits=2 * GEO.row_bits, path="sparse"))
    assert len(one) > 20  # a real comparison, not two empty sets
    assert one == {b for b in two if b < GEO.row_bits}
    # row 1, as the second row of the 2-row region and as the only row of a region starting there
    row1 = _weak(weak_map(model, n_bits=GEO.row_bits, first_row=1, path="sparse"))
    assert {b + GEO.row_bits for b in row1} == {b for b in two if b >= GEO.row_bits}


@pytest.mark.parametrize("name", MODELS)
def test_two_layouts_over_the_same_physical_row_see_the_same_weak_cells(name: str) -> None:
    """Bank 1, row 0: the 65th row of a bank-by-bank layout, and the 2nd row of a bank-interleaved one."""
    model = build(name, ber=5e-2)
    by_bank = weak_map(model, n_bits=GEO.row_bits, first_row=GEO.rows_per_bank, path="sparse")
    interleaved = weak_map(model, n_bits=GEO.row_bits, first_row=1, bank_interleave=True, path="sparse")
    assert by_bank.layout.locate(torch.tensor([0]), 8).bank.item() == 1
    assert interleaved.layout.locate(torch.tensor([0]), 8).bank.item() == 1
    assert _weak(by_bank) == _weak(interleaved) and len(_weak(by_bank)) > 20


def test_other_rows_seeds_and_partitions_have_other_weak_cells() -> None:
    """Chance overlap only: two rows of different cells share ~n·p² weak cells (here ~1.6 of ~41)."""
    model = build("uniform", ber=2e-2)  # p = 0.04
    row0 = _weak(weak_map(model, n_bits=GEO.row_bits, path="sparse"))
    for other in (
        _weak(weak_map(model, n_bits=GEO.row_bits, first_row=2, path="sparse")),
        _weak(weak_map(model, n_bits=GEO.row_bits, partition=1, path="sparse")),
        _weak(weak_map(build("uniform", ber=2e-2, seed=2), n_bits=GEO.row_bits, path="sparse")),
    ):
        assert len(other) > 20 and len(row0 & other) < 10


def test_a_wrapping_data_type_shares_the_weak_cells_of_the_rows_it_reuses() -> None:
    """``place`` restarts a data type that would overflow its partition at row 0: it meets row 0's weak cells."""
    from eden.datatypes import DataType
    from eden.formats import get_format
    from eden.injection.network import DataTypeFaults, place

    em = build("uniform", ber=1e-2)
    rows = GEO.banks * GEO.rows_per_bank
    big_n, small_n = (rows - 1) * GEO.row_bits // 8, 2 * GEO.row_bits // 8
    big = DataType(layer="a", kind="weights", shape=(big_n,), numel=big_n)
    small = DataType(layer="b", kind="weights", shape=(small_n,), numel=small_n)
    layouts = place([big, small], {d.key: DataTypeFaults(error_model=em, geometry=GEO) for d in (big, small)},
                    get_format("int8"))  # fmt: skip
    assert layouts[small.key].first_row == 0
    first = WeakCellMap(em, layouts[big.key], 2 * GEO.row_bits, 8, path="sparse")
    wrapped = WeakCellMap(em, layouts[small.key], 2 * GEO.row_bits, 8, path="sparse")
    assert _weak(first) == _weak(wrapped) and _weak(first)
