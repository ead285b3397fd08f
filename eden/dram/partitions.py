"""Partitions: a device split into regions, each run at its own operating point (paper §6, mapping).

A partition is a whole number of *units* of one granularity: chip, rank, bank (a bank across the chips of a
rank) or subarray (``organization.rows_per_subarray`` rows of a bank). The paper's hardware proposal uses
bank-level voltage domains and per-partition tRCD in the memory controller. Data that tolerate no error live
in a partition at the nominal point, so a split must contain one unless the caller opts out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eden.dram.geometry import Geometry
from eden.dram.spec import Organization, check_keys
from eden.errors import ConfigError
from eden.fields import checked, choice, integer

if TYPE_CHECKING:
    from eden.dram.device import DramDevice
    from eden.dram.operating_point import OperatingPoint

GRANULARITIES = ("chip", "rank", "bank", "subarray")


def unit_count(granularity: str, *, geometry: Geometry, organization: Organization) -> int:
    """How many independently settable units of ``granularity`` the device has."""
    ranks = organization.channels * organization.ranks
    counts = {
        "chip": organization.chips,
        "rank": ranks,
        "bank": ranks * geometry.banks,
        "subarray": ranks * geometry.banks * (geometry.rows_per_bank // organization.rows_per_subarray),
    }
    if granularity not in counts:
        raise ConfigError("dram.partitions.granularity", granularity, GRANULARITIES)
    return counts[granularity]


@dataclass(frozen=True, kw_only=True)
class PartitionLayout:
    """The device YAML's default split: granularity and how many partitions a mapping may use."""

    granularity: str
    count: int
    units: int  # units of this granularity in the device

    @classmethod
    def from_config(
        cls, node: Mapping[str, Any], *, geometry: Geometry, organization: Organization
    ) -> PartitionLayout:
        prefix = "dram.partitions"
        check_keys(node, prefix, ("granularity", "count"))
        granularity = checked(node, "granularity", prefix, choice(*GRANULARITIES))
        units = unit_count(granularity, geometry=geometry, organization=organization)
        count = checked(node, "count", prefix, integer())
        if units % count:
            divisors = [d for d in range(1, units + 1) if units % d == 0]
            raise ConfigError(
                f"{prefix}.count", count, f"a divisor of the {units} {granularity}s: {divisors}"
            )
        return cls(granularity=granularity, count=count, units=units)


@dataclass(frozen=True, kw_only=True)
class Partition:
    """One region of the device: its size and the operating point it runs at."""

    name: str
    granularity: str
    units: int
    capacity_bytes: int
    share: float  # fraction of the device (its share of background and refresh energy)
    point: OperatingPoint

    @property
    def is_nominal(self) -> bool:
        return self.point.is_nominal


def make_partitions(
    device: DramDevice,
    points: Sequence[OperatingPoint],
    *,
    granularity: str | None = None,
    units: Sequence[int] | None = None,
    require_nominal: bool = True,
) -> list[Partition]:
    """Split ``device`` into one partition per operating point, named ``p0``, ``p1``, ...

    ``granularity`` defaults to the YAML's ``partitions.granularity``; ``units`` gives each partition's number
    of units (default: an equal split, which must divide the device's units). Unless
    ``require_nominal=False``, one point must be the nominal one: data that tolerate no error need a home.
    """
    granularity = granularity or device.partitioning.granularity
    total = unit_count(granularity, geometry=device.geometry, organization=device.organization)
    if not points:
        raise ConfigError("dram.partitions.count", 0, f"1 to {total} partitions")
    if units is None:
        if total % len(points):
            divisors = [d for d in range(1, total + 1) if total % d == 0]
            raise ConfigError(
                "dram.partitions.count", len(points), f"a divisor of the {total} {granularity}s: {divisors}"
            )
        units = [total // len(points)] * len(points)
    if len(units) != len(points) or any(u <= 0 for u in units) or sum(units) != total:
        raise ConfigError(
            "dram.partitions.units",
            list(units),
            f"{len(points)} positive counts summing to the {total} {granularity}s",
        )
    if require_nominal and not any(p.is_nominal for p in points):
        raise ConfigError(
            "dram.partitions",
            [p.as_dict() for p in points],
            "a split with one partition at the nominal point",
        )
    for p in points:  # every point must lie in the device's characterized range
        device.point(p.vdd, p.trcd)
    unit_bytes = device.capacity_bytes // total
    return [
        Partition(
            name=f"p{i}",
            granularity=granularity,
            units=u,
            capacity_bytes=u * unit_bytes,
            share=u / total,
            point=p,
        )
        for i, (u, p) in enumerate(zip(units, points, strict=True))
    ]
