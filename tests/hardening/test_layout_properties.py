"""Property tests of the DRAM layout (eden.layout): a bijection from storage bits to cells, word-aligned.

``locate`` must put distinct storage bits in distinct cells inside the partition (else two bits would share
a cell's errors), ``bit_index`` must invert it, and with the paper's word-aligned layout (EDEN §4, Fig. 7) bit
``k`` of every word sits on bitlines ≡ k (mod word bits), the property that makes EM1 hit one bit position.
``bank_interleave`` and ``bit_rotate`` reorder cells but must stay bijective.
"""

from __future__ import annotations

import torch
from hardening_helpers import PROPERTIES
from hypothesis import given
from hypothesis import strategies as st

from eden.dram.geometry import Geometry
from eden.layout import Layout


@st.composite
def layouts(draw: st.DrawFn) -> tuple[Layout, int, int]:
    """A layout on a small geometry, its word size, and a count of storage bits that fits after ``first_row``."""
    word_bits = draw(st.sampled_from([4, 8, 16, 32]))
    geometry = Geometry(
        banks=draw(st.integers(1, 8)),
        rows_per_bank=draw(st.integers(1, 32)),
        row_bits=32 * draw(st.integers(1, 8)),  # devices require a multiple of 32: every word size divides it
    )
    total_rows = geometry.banks * geometry.rows_per_bank
    first_row = draw(st.integers(0, total_rows - 1))
    layout = Layout(
        geometry=geometry,
        partition=draw(st.integers(0, 3)),
        first_row=first_row,
        bank_interleave=draw(st.booleans()),
        bit_rotate=draw(st.booleans()),
    )
    n_bits = draw(st.integers(1, (total_rows - first_row) * geometry.row_bits))
    return layout, word_bits, n_bits


def _cells(layout: Layout, n_bits: int, word_bits: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    idx = torch.arange(n_bits, dtype=torch.int64)
    c = layout.locate(idx, word_bits)
    g = layout.geometry
    return (
        idx,
        c.bank * g.rows_per_bank * g.row_bits + c.row * g.row_bits + c.bitline,
        layout.first_row + idx // g.row_bits,
    )


@PROPERTIES
@given(case=layouts())
def test_locate_is_a_bijection_into_the_partition(case: tuple[Layout, int, int]) -> None:
    layout, word_bits, n_bits = case
    layout.check_fits(n_bits)
    g = layout.geometry
    c = layout.locate(torch.arange(n_bits, dtype=torch.int64), word_bits)
    assert c.partition == layout.partition
    assert bool((c.bank >= 0).all() and (c.bank < g.banks).all())
    assert bool((c.row >= 0).all() and (c.row < g.rows_per_bank).all())
    assert bool((c.bitline >= 0).all() and (c.bitline < g.row_bits).all())
    _, cell, _ = _cells(layout, n_bits, word_bits)
    assert torch.unique(cell).numel() == n_bits  # no two storage bits share a cell


@PROPERTIES
@given(case=layouts())
def test_bit_index_inverts_locate(case: tuple[Layout, int, int]) -> None:
    layout, word_bits, n_bits = case
    idx, _, chunk = _cells(layout, n_bits, word_bits)
    c = layout.locate(idx, word_bits)
    assert torch.equal(layout.bit_index(chunk, c.bitline, word_bits), idx)
    bank, row = layout.chunk_bank_row(chunk)  # the chunk → (bank, row) map is the one locate used
    assert torch.equal(bank, c.bank) and torch.equal(row, c.row)


@PROPERTIES
@given(case=layouts())
def test_chunks_map_one_to_one_onto_bank_rows(case: tuple[Layout, int, int]) -> None:
    layout, _, _ = case
    g = layout.geometry
    chunk = torch.arange(g.banks * g.rows_per_bank, dtype=torch.int64)
    bank, row = layout.chunk_bank_row(chunk)
    assert torch.unique(bank * g.rows_per_bank + row).numel() == chunk.numel()


@PROPERTIES
@given(case=layouts())
def test_word_aligned_bit_k_sits_on_bitlines_congruent_k(case: tuple[Layout, int, int]) -> None:
    layout, word_bits, n_bits = case
    idx = torch.arange(n_bits, dtype=torch.int64)
    c = layout.locate(idx, word_bits)
    k = idx % word_bits  # bit k of its word
    chunk = layout.first_row + idx // layout.row_bits
    shift = chunk % word_bits if layout.bit_rotate else torch.zeros_like(chunk)
    assert torch.equal(c.bitline % word_bits, (k + shift) % word_bits)
    whole = n_bits // word_bits * word_bits  # a word never straddles two rows (or banks)
    for coord in (c.bank, c.row):
        per_word = coord[:whole].view(-1, word_bits)
        assert bool((per_word == per_word[:, :1]).all())
