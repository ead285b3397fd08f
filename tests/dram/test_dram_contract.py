"""Contract every DRAM part in conf/dram/ must meet (parametrized: a new YAML gets these tests for free)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eden.dram import energy, latency
from eden.dram.device import DRAMS, DramDevice, load_device
from eden.dram.geometry import Geometry
from eden.dram.partitions import make_partitions
from eden.dram.stream import AccessStream
from eden.errors import ConfigError

TOLERANCES = (0.0, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 0.04, 0.1, 0.5, 1.0)
STREAM = AccessStream(bytes_read=64e6, bytes_written=16e6, row_hit_rate=0.6, mlp=4)


def test_yaml_names_its_file_and_builds_through_the_registry(dram_yaml: Path) -> None:
    params = yaml.safe_load(dram_yaml.read_text(encoding="utf-8"))
    assert params["name"] == dram_yaml.stem
    dev = DRAMS.build(params, seed=0)  # the pipeline passes runtime arguments such as the seed
    assert isinstance(dev, DramDevice)
    assert dev.name == dram_yaml.stem


def test_geometry_is_usable_by_the_layouts(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    assert isinstance(dev.geometry, Geometry)
    assert dev.geometry == Geometry(**yaml.safe_load(dram_yaml.read_text(encoding="utf-8"))["geometry"])
    assert dev.capacity_bytes == dev.organization.chips * dev.geometry.capacity_bits // 8


def test_nominal_point_has_zero_ber(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    assert dev.ber(dev.nominal.vdd, dev.nominal.trcd) == 0.0
    assert dev.nominal.is_nominal and dev.nominal.ber == 0.0
    error_free = dev.operating_point(0.0)  # may sit below nominal where no error was seen (vendor A Fig. 5)
    assert error_free.ber == 0.0


def test_operating_point_stays_within_tolerance_and_range(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    previous_vdd = dev.nominal.vdd
    for tol in TOLERANCES:
        op = dev.operating_point(tol)
        assert op.ber <= tol * (1 + 1e-9)
        assert op.ber == pytest.approx(dev.ber(op.vdd, op.trcd))
        assert dev.knob_range("vdd")[0] <= op.vdd <= dev.nominal.vdd
        assert dev.knob_range("trcd")[0] <= op.trcd <= dev.nominal.trcd
        assert op.vdd <= previous_vdd + 1e-12  # a looser tolerance never raises VDD
        previous_vdd = op.vdd


def test_ber_is_monotone_over_the_characterized_grid(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    c = getattr(dev, "characterization", None)
    if c is None:
        pytest.skip("nominal reference part: one point only")
    vdds = c.grid("vdd", dev.nominal.vdd, None)
    trcds = c.grid("trcd", dev.nominal.trcd, None)
    for t in trcds:
        bers = [dev.ber(v, t) for v in vdds]  # VDD falling
        assert all(b2 >= b1 for b1, b2 in zip(bers, bers[1:], strict=False))
    for v in vdds:
        bers = [dev.ber(v, t) for t in trcds]  # tRCD falling
        assert all(b2 >= b1 for b1, b2 in zip(bers, bers[1:], strict=False))


def test_requests_outside_the_characterized_range_are_errors(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    low_vdd, _ = dev.knob_range("vdd")
    low_trcd, _ = dev.knob_range("trcd")
    with pytest.raises(ConfigError, match=r"^dram\.vdd="):
        dev.ber(low_vdd - 0.01, dev.nominal.trcd)
    with pytest.raises(ConfigError, match=r"^dram\.trcd="):
        dev.ber(dev.nominal.vdd, low_trcd - 0.1)
    with pytest.raises(ConfigError, match=r"^dram\.vdd="):
        dev.ber(dev.nominal.vdd + 0.01, dev.nominal.trcd)  # above nominal is not characterized either
    with pytest.raises(ConfigError, match=r"^tolerance="):
        dev.operating_point(-0.1)


def test_flip_direction_share_is_a_fraction(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    op = dev.operating_point(0.05)
    assert 0.0 <= dev.one_to_zero_fraction(op.vdd, op.trcd) <= 1.0


def test_energy_at_the_lowest_point_is_below_nominal_and_breakdown_adds_up(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    op = dev.operating_point(1.0)
    for scaling in ("idd", "paper"):
        nominal = energy.stream_energy(dev, STREAM, duration_s=0.01, scaling=scaling)
        reduced = energy.stream_energy(dev, STREAM, duration_s=0.01, vdd=op.vdd, scaling=scaling)
        assert nominal.total_j == pytest.approx(
            nominal.background_j + nominal.activate_j + nominal.read_write_j + nominal.refresh_j
        )
        assert min(nominal.as_dict().values()) >= 0
        if op.vdd < dev.nominal.vdd:
            assert reduced.total_j < nominal.total_j
        else:
            assert reduced.total_j == pytest.approx(nominal.total_j)


def test_latency_at_the_lowest_trcd_is_not_above_nominal(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    op = dev.operating_point(1.0)
    assert latency.row_miss_latency_ns(dev, op.trcd) <= latency.row_miss_latency_ns(dev)
    assert latency.row_hit_latency_ns(dev) < latency.row_miss_latency_ns(dev)
    assert latency.speedup(dev, STREAM, op.trcd) >= 1.0


def test_default_partitioning_splits_the_whole_device(dram_yaml: Path) -> None:
    dev = load_device(dram_yaml)
    count = dev.partitioning.count
    points = [dev.nominal] + [dev.operating_point(0.05)] * (count - 1)
    parts = make_partitions(dev, points, require_nominal=True)
    assert len(parts) == count
    assert sum(p.capacity_bytes for p in parts) == dev.capacity_bytes
    assert sum(p.share for p in parts) == pytest.approx(1.0)
