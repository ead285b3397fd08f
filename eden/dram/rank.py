"""How a word's bits reach DRAM cells in a DDR4 rank: byte lanes, bursts, columns (for EM1, EDEN §4).

A DDR4 rank of x8 chips drives a 64-bit data bus: chip ``c`` owns byte lane ``c`` (bus bits ``8c … 8c+7``),
its pin DQ ``i`` carries bus bit ``8c + i`` (JESD79-4 byte lanes; board-level DQ swizzling within a lane is not
modelled). A read or write is a burst of BL = 8 beats (JESD79-4 BL8): 64 bytes, beat ``t`` carrying bytes
``8t … 8t+7`` of the burst. Each beat is one column access in every chip, so a burst fills 8 consecutive columns
of the open row in each chip (sequential burst order, bursts aligned to 8 columns), and consecutive bursts of a
row fill the next columns (column interleaving: byte ``b`` of the row lands in chip ``b mod 8``, column
``b div 8``).

For a layout row of ``row_bits`` storage bits (``eden.layout``: bit ``8·byte + j`` is bit ``j`` of that byte)
this gives, for storage position ``p`` in the row,

    chip = (p div 8) mod chips,   DQ = p mod 8 (x8; for xW: bus bit → chip, DQ),   column = p div bus_bits

so bit ``k`` of every word of ``w`` bits (w ≤ 64, words aligned in the row) always reaches DQ ``k mod 8``, and of
the chips only those lanes that hold byte ``k div 8`` of some word: the MSB of every int8 value on DQ 7 of every
chip; bit 30 of every fp32 value on DQ 6 of chips 3 and 7. A weakness shared by one DQ (a weak column region of
the array, EDEN §4's per-bitline F_B) therefore hits one bit position of every value, while weak bitlines drawn
independently of (chip, DQ) hit every bit position alike.

The *physical bitline* of a cell numbers the rank's bitlines chip by chip, and within a chip DQ by DQ
(``dq_major``: each DQ's columns sit in their own region of the array, as x8 dies route a DQ to its own
sub-arrays) or column by column (``column_major``). EM1's per-bitline draws are keyed by it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from eden.errors import ConfigError

ORDERS = ("dq_major", "column_major")


@dataclass(frozen=True)
class RankCells:
    """Rank coordinates of storage positions (int64 tensors of equal shape)."""

    chip: torch.Tensor
    dq: torch.Tensor
    column: torch.Tensor


@dataclass(frozen=True, kw_only=True)
class RankMap:
    """A DDR4 rank's bus: ``bus_bits`` wide, chips of ``width`` DQs, bursts of ``burst_length`` beats."""

    bus_bits: int = 64
    width: int = 8
    burst_length: int = 8
    order: str = "dq_major"

    def __post_init__(self) -> None:
        if self.width not in (4, 8, 16):
            raise ConfigError("rank.width", self.width, "4, 8 or 16 (DDR4 x4, x8, x16 chips)")
        if not isinstance(self.bus_bits, int) or self.bus_bits <= 0 or self.bus_bits % self.width:
            raise ConfigError("rank.bus_bits", self.bus_bits, f"a positive multiple of width={self.width}")
        if self.bus_bits % 8:
            raise ConfigError("rank.bus_bits", self.bus_bits, "a multiple of 8 (whole byte lanes)")
        if not isinstance(self.burst_length, int) or self.burst_length <= 0:
            raise ConfigError("rank.burst_length", self.burst_length, "a positive integer (DDR4: 8)")
        if self.order not in ORDERS:
            raise ConfigError("rank.order", self.order, ORDERS)

    @property
    def chips(self) -> int:
        return self.bus_bits // self.width

    @property
    def burst_bits(self) -> int:
        return self.bus_bits * self.burst_length

    def columns(self, row_bits: int) -> int:
        """Columns per chip that a layout row of ``row_bits`` fills (whole bursts required)."""
        if row_bits <= 0 or row_bits % self.burst_bits:
            raise ConfigError("geometry.row_bits", row_bits, f"a positive multiple of one burst ({self.burst_bits})")
        return row_bits // self.bus_bits

    def locate(self, position: torch.Tensor) -> RankCells:
        """(chip, DQ, column) of storage positions ``position`` (bit offsets in a row that starts a burst)."""
        bus_bit = position % self.bus_bits  # byte b of a beat is bus byte b; bit j of it is bus bit 8b + j
        return RankCells(bus_bit // self.width, bus_bit % self.width, position // self.bus_bits)

    def position(self, cells: RankCells) -> torch.Tensor:
        """Inverse of ``locate``: the storage position held by (chip, DQ, column)."""
        return cells.column * self.bus_bits + cells.chip * self.width + cells.dq

    def beat(self, cells: RankCells) -> torch.Tensor:
        """Beat of its burst on which a cell's bit travels (sequential burst order: column mod BL)."""
        return cells.column % self.burst_length

    def physical_bitline(self, position: torch.Tensor, row_bits: int) -> torch.Tensor:
        """The rank-wide bitline id of storage positions (chip-major; within a chip by ``order``)."""
        cols = self.columns(row_bits)
        c = self.locate(position)
        local = c.dq * cols + c.column if self.order == "dq_major" else c.column * self.width + c.dq
        return c.chip * (cols * self.width) + local


#: A DDR4 x8 rank (8 chips on a 64-bit bus, BL8; JESD79-4), the module EDEN characterized (EDEN §3).
DDR4_X8_RANK = RankMap()
