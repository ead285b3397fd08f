"""Partitions (EDEN §6): a device split into chip/rank/bank/subarray regions, each at its own operating point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eden.dram.partitions import GRANULARITIES, make_partitions, unit_count
from eden.errors import ConfigError


def test_unit_counts_follow_the_organization(build: Callable[[str], Any]) -> None:
    """ddr4_vendor_a: 1 channel × 1 rank × 8 x8 chips, 16 banks of 32768 rows, 512-row subarrays."""
    dev = build("ddr4_vendor_a")
    counts = {g: unit_count(g, geometry=dev.geometry, organization=dev.organization) for g in GRANULARITIES}
    assert counts == {"chip": 8, "rank": 1, "bank": 16, "subarray": 16 * 32768 // 512}
    lp = build("lpddr3")  # 2 channels × 2 ranks, 8 banks
    assert unit_count("bank", geometry=lp.geometry, organization=lp.organization) == 2 * 2 * 8


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_partitions_cover_the_device_exactly_once(build: Callable[[str], Any], granularity: str) -> None:
    dev = build("ddr4_vendor_a")
    total = unit_count(granularity, geometry=dev.geometry, organization=dev.organization)
    count = min(total, 4) if total % min(total, 4) == 0 else 1
    points = [dev.nominal] + [dev.operating_point(0.015 * (i + 1)) for i in range(count - 1)]
    parts = make_partitions(dev, points, granularity=granularity)
    assert [p.name for p in parts] == [f"p{i}" for i in range(count)]
    assert sum(p.units for p in parts) == total
    assert sum(p.capacity_bytes for p in parts) == dev.capacity_bytes
    assert sum(p.share for p in parts) == pytest.approx(1.0)
    assert [p.point for p in parts] == points


def test_uneven_split_by_units(build: Callable[[str], Any]) -> None:
    """ResNet101's example (EDEN §6): partitions at ~1.5%, 5% (and others); sizes need not be equal."""
    dev = build("ddr4_vendor_a")
    points = [dev.nominal, dev.operating_point(0.015), dev.operating_point(0.05)]
    parts = make_partitions(dev, points, units=[8, 4, 4])
    quarter = dev.capacity_bytes // 4
    assert [p.capacity_bytes for p in parts] == [2 * quarter, quarter, quarter]
    assert parts[0].is_nominal and not parts[1].is_nominal
    assert parts[2].point.ber <= 0.05 and parts[1].point.ber <= 0.015


def test_data_that_tolerate_no_error_need_a_nominal_partition(build: Callable[[str], Any]) -> None:
    dev = build("ddr4_vendor_a")
    low = dev.operating_point(0.04)
    with pytest.raises(ConfigError, match=r"^dram\.partitions=.*one partition at the nominal point"):
        make_partitions(dev, [low] * 4)
    assert len(make_partitions(dev, [low] * 4, require_nominal=False)) == 4


def test_bad_splits_are_errors(build: Callable[[str], Any]) -> None:
    dev = build("ddr4_vendor_a")
    nominal = dev.nominal
    with pytest.raises(ConfigError, match=r"^dram\.partitions\.count=3 .*a divisor of the 16 banks"):
        make_partitions(dev, [nominal] * 3)
    with pytest.raises(ConfigError, match=r"^dram\.partitions\.units="):
        make_partitions(dev, [nominal] * 2, units=[10, 5])
    with pytest.raises(ConfigError, match=r"^dram\.partitions\.count=0"):
        make_partitions(dev, [])
    with pytest.raises(ConfigError, match=r"^dram\.partitions\.granularity="):
        make_partitions(dev, [nominal], granularity="channel")
    outside = type(nominal)(vdd=0.9, trcd=12.5, ber=0.0, nominal_vdd=1.35, nominal_trcd=12.5)
    with pytest.raises(ConfigError, match=r"^dram\.vdd=0\.9 .*\[1, 1\.35\]"):
        make_partitions(dev, [nominal, outside])  # a point outside the characterized range
