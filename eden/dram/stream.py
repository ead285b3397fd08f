"""What a workload asks of DRAM: an access stream, the input of the energy and latency models.

A stream is an aggregate (a layer's reads and writes), not a trace: bytes moved, the share of column
accesses that hit an open row, and how many misses are in flight at once. Its duration is the platform's
business and is passed to the energy model separately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from eden.dram.spec import Organization
from eden.errors import ConfigError


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, kw_only=True)
class AccessStream:
    """Bytes read and written, row-buffer hit rate and memory-level parallelism of one access stream."""

    bytes_read: float
    bytes_written: float
    row_hit_rate: (
        float  # share of column accesses (bursts) that find their row open: activates = (1 − h) · bursts
    )
    mlp: float = 1.0  # misses in flight at once (1: fully serialized, latency-bound)
    active_fraction: float | None = None  # share of time a row is open; None: estimated by the energy model

    def __post_init__(self) -> None:
        for name in ("bytes_read", "bytes_written"):
            value = getattr(self, name)
            if not _finite(value) or value < 0:
                raise ConfigError(f"stream.{name}", value, "a number >= 0 (bytes)")
        if not _finite(self.row_hit_rate) or not 0 <= self.row_hit_rate <= 1:
            raise ConfigError("stream.row_hit_rate", self.row_hit_rate, "a number in [0, 1]")
        if not _finite(self.mlp) or self.mlp < 1:
            raise ConfigError("stream.mlp", self.mlp, "a number >= 1 (misses in flight)")
        if self.active_fraction is not None and (
            not _finite(self.active_fraction) or not 0 <= self.active_fraction <= 1
        ):
            raise ConfigError("stream.active_fraction", self.active_fraction, "None or a number in [0, 1]")

    def read_bursts(self, organization: Organization) -> float:
        return self.bytes_read / organization.burst_bytes

    def write_bursts(self, organization: Organization) -> float:
        return self.bytes_written / organization.burst_bytes

    def bursts(self, organization: Organization) -> float:
        """Column accesses: bytes over the bytes of one burst on one channel (64 B for x64 DDR4, BL8)."""
        return (self.bytes_read + self.bytes_written) / organization.burst_bytes

    def activates(self, organization: Organization) -> float:
        """Row activations (each paired with a precharge): the bursts that miss the open row."""
        return self.bursts(organization) * (1.0 - self.row_hit_rate)


EMPTY = AccessStream(bytes_read=0.0, bytes_written=0.0, row_hit_rate=1.0)
