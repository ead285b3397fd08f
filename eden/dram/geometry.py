"""Physical organization of a DRAM partition as the error models and layouts see it."""

from __future__ import annotations

from dataclasses import dataclass

from eden.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class Geometry:
    """Where bits live: banks × rows × row_bits per partition.

    ``row_bits`` is the number of bitlines (columns × device width) across which one DRAM row of
    the partition is spread; a word-aligned layout puts bit k of every word on bitlines ≡ k (mod word size).
    """

    banks: int
    rows_per_bank: int
    row_bits: int

    def __post_init__(self) -> None:
        for field in ("banks", "rows_per_bank", "row_bits"):
            value = getattr(self, field)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"geometry.{field}", value, "a positive integer")
        if self.row_bits % 32:
            raise ConfigError("geometry.row_bits", self.row_bits, "a positive multiple of 32")

    @property
    def capacity_bits(self) -> int:
        return self.banks * self.rows_per_bank * self.row_bits


# A DDR4 x8 4 Gb die's row is 1 KB (8192 bitlines), 16 banks; 32768 rows per bank (Micron 4Gb DDR4 datasheet,
# MT40A512M8 addressing table: row address A[14:0]; DRAMPower memspec MICRON_4Gb_DDR4-2400_8bit_A nbrOfRows), so
# 16 × 32768 × 8192 bits = 4 Gb. Used where no ``dram`` device supplies a geometry (unit tests).
DDR4_X8_4GB = Geometry(banks=16, rows_per_bank=32768, row_bits=8192)
