"""Layout: word-aligned placement, interleaving options, purity, inverse, capacity errors."""

import pytest
import torch

from eden.dram.geometry import Geometry
from eden.errors import ConfigError
from eden.layout import Layout

GEO = Geometry(banks=4, rows_per_bank=16, row_bits=256)


def test_word_aligned_bit_k_sits_on_bitlines_congruent_k() -> None:
    lay = Layout(geometry=GEO)
    bits = torch.arange(8 * 500)
    c = lay.locate(bits, word_bits=8)
    assert torch.equal(c.bitline % 8, bits % 8)
    assert c.row.max() < GEO.rows_per_bank and c.bank.max() == 0


def test_layout_is_pure_and_inverse_holds() -> None:
    for kw in ({}, {"bank_interleave": True}, {"bit_rotate": True, "first_row": 5}):
        lay = Layout(geometry=GEO, **kw)
        bits = torch.arange(0, 256 * 9, 7)
        a, b = lay.locate(bits, 16), lay.locate(bits, 16)
        assert torch.equal(a.bitline, b.bitline) and torch.equal(a.row, b.row)
        chunk = lay.first_row + bits // GEO.row_bits
        assert torch.equal(lay.bit_index(chunk, a.bitline, 16), bits)


def test_bank_interleave_spreads_consecutive_rows_over_banks() -> None:
    c = Layout(geometry=GEO, bank_interleave=True).locate(torch.arange(4) * GEO.row_bits, 8)
    assert c.bank.tolist() == [0, 1, 2, 3] and c.row.tolist() == [0, 0, 0, 0]


def test_bit_rotate_moves_bit_positions_between_rows() -> None:
    lay = Layout(geometry=GEO, bit_rotate=True)
    bits = torch.tensor([0, GEO.row_bits])  # bit 0 of the first word of rows 0 and 1
    assert lay.locate(bits, 8).bitline.tolist() == [0, 1]


def test_overflowing_the_partition_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"layout\.first_row=60"):
        Layout(geometry=GEO, first_row=60).check_fits(256 * 5)
    with pytest.raises(ConfigError, match=r"layout\.first_row=64"):
        Layout(geometry=GEO, first_row=64)
