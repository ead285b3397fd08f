"""Where a network's data types live: their faults (error model, geometry, layout options) and their rows.

Within a partition, data types are placed one after another in forward order, each starting at a row boundary
(``Layout.first_row``), so bitline and wordline correlations hit the bits they would in DRAM.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eden.datatypes import DataType
from eden.dram.geometry import Geometry
from eden.errors import ConfigError
from eden.formats import Format
from eden.injection.error_model import ErrorModel
from eden.layout import Layout

PATHS = ("auto", "sparse", "dense")


@dataclass(frozen=True, kw_only=True)
class DataTypeFaults:
    """Where one data type lives and how that memory fails: error model at its BER, geometry, layout options."""

    error_model: ErrorModel
    geometry: Geometry | None
    partition: int = 0
    bank_interleave: bool = False
    bit_rotate: bool = False
    path: str = "auto"

    def __post_init__(self) -> None:
        if not isinstance(self.error_model, ErrorModel):
            raise ConfigError("error_model", self.error_model, "an ErrorModel instance")
        if self.geometry is None and self.ber > 0:
            raise ConfigError("geometry", None, "a DRAM geometry (layout) when the BER is above 0")
        if not isinstance(self.partition, int) or isinstance(self.partition, bool) or self.partition < 0:
            raise ConfigError("layout.partition", self.partition, "an integer >= 0")
        if self.path not in PATHS:
            raise ConfigError("injection.path", self.path, PATHS)

    @property
    def ber(self) -> float:
        """Mean BER of the model (0 means reliable memory: format round trip only)."""
        return float(self.error_model.mean_ber)

    @property
    def key(self) -> tuple[Any, ...]:
        """Value identity of the faults (weak-cell maps are cached by it, not by object identity)."""
        m = self.error_model
        params = tuple(sorted(m.native_params().items()))
        return (
            type(m).registry_name,
            params,
            m.ber,
            m.monotone,
            m.seed,
            self.geometry,
            self.partition,
            self.bank_interleave,
            self.bit_rotate,
            self.path,
        )

    def layout(self, first_row: int) -> Layout:
        assert self.geometry is not None
        return Layout(
            geometry=self.geometry,
            partition=self.partition,
            first_row=first_row,
            bank_interleave=self.bank_interleave,
            bit_rotate=self.bit_rotate,
        )


def storage_bits(fmt: Format, numel: int) -> int:
    """Storage bits of ``numel`` values of ``fmt`` (int4 padded to whole bytes)."""
    return -(-numel * fmt.bits // 8) * 8


def place(data_types: Sequence[DataType], assignment: Mapping[str, DataTypeFaults], fmt: Format) -> dict[str, Layout]:
    """Layouts of the assigned data types with errors: consecutive start rows per partition, forward order.

    A data type that would run past its partition's last row starts again at row 0 (it shares weak cells with
    earlier data types, as a region reused over time would); one larger than the whole partition is an error.
    """
    next_row: dict[int, int] = {}
    layouts: dict[str, Layout] = {}
    for d in data_types:
        faults = assignment.get(d.key)
        if faults is None or faults.ber == 0:
            continue
        assert faults.geometry is not None
        g = faults.geometry
        total = g.banks * g.rows_per_bank
        rows = -(-storage_bits(fmt, d.numel) // g.row_bits)
        if rows > total:
            raise ConfigError(f"{d.key}.partition", faults.partition, f"a partition of at least {rows} rows")
        start = next_row.get(faults.partition, 0)
        if start + rows > total:
            start = 0
        layouts[d.key] = faults.layout(start)
        next_row[faults.partition] = start + rows
    return layouts
