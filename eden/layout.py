"""Where a data type's storage bits live in DRAM: a pure function of the layout and the bit index.

The paper stores weights and IFMs *word-aligned* (EDEN §4 "error models" and Fig. 7): a data type fills
whole DRAM rows one after the other, so with ``row_bits`` a multiple of the word size, bit ``k`` of every
word sits on the bitlines ≡ k (mod word bits). EM1 therefore hits the same bit position of many words.

Options beyond the paper:
- ``bank_interleave``: consecutive rows of the data type go to consecutive banks (row-granular interleaving,
  what a memory controller does for bandwidth) instead of filling one bank first.
- ``bit_rotate``: row ``r`` is rotated by ``r mod word_bits`` bitlines, so a weak bitline hits a different bit
  position of the words in each row (a mitigation of EM1's harshness; words stay contiguous within a row).

A data type starts at a row boundary (``first_row``, counted in the layout's row order over the partition).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from eden.dram.geometry import Geometry
from eden.errors import ConfigError


@dataclass(frozen=True)
class Coordinates:
    """DRAM coordinates of storage bits (tensors of equal shape, int64)."""

    partition: int
    bank: torch.Tensor
    row: torch.Tensor
    bitline: torch.Tensor


@dataclass(frozen=True, kw_only=True)
class Layout:
    """Placement of one data type in one DRAM partition."""

    geometry: Geometry
    partition: int = 0
    first_row: int = 0
    bank_interleave: bool = False
    bit_rotate: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.partition, int) or self.partition < 0:
            raise ConfigError("layout.partition", self.partition, "an integer >= 0")
        total = self.geometry.banks * self.geometry.rows_per_bank
        if not isinstance(self.first_row, int) or not 0 <= self.first_row < total:
            raise ConfigError("layout.first_row", self.first_row, f"an integer in [0, {total - 1}]")

    @property
    def row_bits(self) -> int:
        return self.geometry.row_bits

    def rows_needed(self, n_bits: int) -> int:
        return -(-n_bits // self.row_bits)

    def check_fits(self, n_bits: int) -> None:
        """Raise if ``n_bits`` starting at ``first_row`` overflow the partition."""
        total = self.geometry.banks * self.geometry.rows_per_bank
        if self.first_row + self.rows_needed(n_bits) > total:
            raise ConfigError(
                "layout.first_row",
                self.first_row,
                f"a start row leaving {self.rows_needed(n_bits)} rows for {n_bits} bits (of {total})",
            )

    def chunk_bank_row(self, chunk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(bank, row) of layout rows ("chunks") ``first_row + i``."""
        g = self.geometry
        if self.bank_interleave:
            return chunk % g.banks, chunk // g.banks
        return chunk // g.rows_per_bank, chunk % g.rows_per_bank

    def shift(self, chunk: torch.Tensor, word_bits: int) -> torch.Tensor:
        """Bitline rotation of each chunk (0 unless ``bit_rotate``)."""
        if not self.bit_rotate:
            return torch.zeros_like(chunk)
        return chunk % word_bits

    def locate(self, bit_index: torch.Tensor, word_bits: int) -> Coordinates:
        """DRAM coordinates of storage bits ``bit_index`` (int64 tensor) of a data type with ``word_bits``."""
        self._check_word(word_bits)
        chunk = self.first_row + bit_index // self.row_bits
        bitline = (bit_index % self.row_bits + self.shift(chunk, word_bits)) % self.row_bits
        bank, row = self.chunk_bank_row(chunk)
        return Coordinates(self.partition, bank, row, bitline)

    def bit_index(self, chunk: torch.Tensor, bitline: torch.Tensor, word_bits: int) -> torch.Tensor:
        """Inverse of ``locate`` on (chunk, bitline): the storage bit held by that cell."""
        self._check_word(word_bits)
        offset = (bitline - self.shift(chunk, word_bits)) % self.row_bits
        return (chunk - self.first_row) * self.row_bits + offset

    def _check_word(self, word_bits: int) -> None:
        if word_bits <= 0 or self.row_bits % word_bits:
            raise ConfigError("layout.word_bits", word_bits, f"a divisor of row_bits={self.row_bits}")
