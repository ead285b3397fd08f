"""DRAM latency: row-miss latency from tRP/tRCD/CL, and what a reduced tRCD buys a stream (EDEN §7 speedups)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from eden.dram import latency
from eden.dram.device import DramDevice
from eden.dram.energy import burst_ns
from eden.dram.stream import EMPTY, AccessStream
from eden.errors import ConfigError

HIT_RATES = (1.0, 0.95, 0.9, 0.8, 0.6, 0.4, 0.2, 0.0)
MLPS = (1, 1.5, 2, 3, 4, 6, 8, 12, 16, 32, 64, 256, 1024, 4096)  # GDDR5: 6 fast buses saturate late


def stream(hit_rate: float, mlp: float = 1.0) -> AccessStream:
    return AccessStream(bytes_read=48e6, bytes_written=16e6, row_hit_rate=hit_rate, mlp=mlp)


def test_lower_trcd_lowers_row_miss_latency(dev: DramDevice) -> None:
    """Row miss = tRP + tRCD + CL + tBURST: every ns of tRCD is a ns of miss latency; hits do not see tRCD."""
    trcds = np.linspace(dev.nominal.trcd, 0.0, 101)
    misses = [latency.row_miss_latency_ns(dev, float(t)) for t in trcds]
    assert all(b < a for a, b in itertools.pairwise(misses))
    assert misses[0] - misses[-1] == pytest.approx(dev.nominal.trcd)
    t = dev.timings
    assert latency.row_miss_latency_ns(dev) == pytest.approx(t.trp + dev.nominal.trcd + t.cl + burst_ns(dev))
    assert latency.row_hit_latency_ns(dev) == pytest.approx(t.cl + burst_ns(dev))
    assert latency.access_latency_ns(dev, row_hit=True, trcd=0.0) == latency.row_hit_latency_ns(dev)
    assert latency.row_hit_latency_ns(dev) < latency.row_miss_latency_ns(dev, 0.0)


def test_trcd_speedup_grows_with_the_row_miss_share(dev: DramDevice) -> None:
    """Only misses see tRCD: all-hit streams gain nothing, and the gain grows as the hit rate falls."""
    reduced = dev.nominal.trcd - 5.5  # Table 3's ResNet101 ΔtRCD
    for mlp in (1, 4, 16):
        gains = [latency.speedup(dev, stream(h, mlp), reduced) for h in HIT_RATES]
        assert gains[0] == pytest.approx(1.0, abs=1e-12)
        assert all(b >= a - 1e-12 for a, b in itertools.pairwise(gains)), (mlp, gains)
    assert latency.speedup(dev, stream(0.0), reduced) > latency.speedup(dev, stream(0.9), reduced) > 1.0


def test_trcd_speedup_is_bounded_by_the_trcd_zero_ideal(dev: DramDevice) -> None:
    """EDEN §7: the ideal tRCD = 0 bounds every real reduction; a lower tRCD never slows a stream."""
    for h in (0.0, 0.5, 0.9):
        for mlp in (1, 8):
            s = stream(h, mlp)
            trcds = np.linspace(dev.nominal.trcd, 0.0, 26)
            gains = [latency.speedup(dev, s, float(t)) for t in trcds]
            assert gains[0] == 1.0
            assert all(b >= a - 1e-12 for a, b in itertools.pairwise(gains))
            assert max(gains) <= latency.speedup(dev, s, 0.0) + 1e-12


def test_latency_bound_stream_gains_the_mean_latency_ratio(dev: DramDevice) -> None:
    """MLP = 1: one access at a time, so the time is accesses × mean latency and the speedup their ratio."""
    reduced = dev.nominal.trcd / 2
    for h in HIT_RATES:
        s = stream(h)
        accesses = s.bursts(dev.organization)
        assert latency.memory_time_s(dev, s) == pytest.approx(
            accesses * latency.mean_access_latency_ns(dev, h) * 1e-9, rel=1e-12
        )
        assert latency.speedup(dev, s, reduced) == pytest.approx(
            latency.mean_access_latency_ns(dev, h) / latency.mean_access_latency_ns(dev, h, reduced), rel=1e-12
        )


def test_memory_level_parallelism_reduces_the_trcd_gain(dev: DramDevice) -> None:
    """Overlapped misses hide latency until the data buses saturate; then a lower tRCD buys nothing
    (EDEN §7.3: accelerators' prefetched, streaming traffic sees no speedup)."""
    reduced = dev.nominal.trcd - 5.5
    for h in (0.0, 0.5):
        gains = [latency.speedup(dev, stream(h, m), reduced) for m in MLPS]
        assert all(b <= a + 1e-12 for a, b in itertools.pairwise(gains)), (h, gains)
        assert gains[0] > 1.02 and gains[-1] == pytest.approx(1.0, abs=1e-6)


def test_parallel_stream_approaches_the_bus_time_and_never_beats_it(dev: DramDevice) -> None:
    s = stream(0.0)
    bus_s = s.bursts(dev.organization) * burst_ns(dev) / dev.organization.channels * 1e-9
    times = [latency.memory_time_s(dev, stream(0.0, m)) for m in MLPS]
    assert all(b <= a for a, b in itertools.pairwise(times))  # more in flight: never slower
    assert all(t >= bus_s * (1 - 1e-9) for t in times)
    assert times[-1] == pytest.approx(bus_s, rel=1e-6)
    assert latency.memory_time_s(dev, EMPTY) == 0.0 and latency.speedup(dev, EMPTY, 0.0) == 1.0


def test_fractional_mlp_lies_between_its_integer_neighbours(build: Callable[[str], Any]) -> None:
    dev = build("ddr4_2400")
    t2, t25, t3 = (latency.memory_time_s(dev, stream(0.3, m)) for m in (2, 2.5, 3))
    assert t3 < t25 < t2


def test_bad_latency_arguments_are_errors(build: Callable[[str], Any]) -> None:
    dev = build("ddr4_2400")
    with pytest.raises(ConfigError, match=r"^dram\.trcd="):
        latency.row_miss_latency_ns(dev, -1.0)
    with pytest.raises(ConfigError, match=r"^stream\.row_hit_rate="):
        latency.mean_access_latency_ns(dev, 1.5)
    with pytest.raises(ConfigError, match=r"^stream\.mlp="):
        AccessStream(bytes_read=1.0, bytes_written=0.0, row_hit_rate=0.5, mlp=0.5)
    with pytest.raises(ConfigError, match=r"^stream\.bytes_read="):
        AccessStream(bytes_read=-1.0, bytes_written=0.0, row_hit_rate=0.5)
