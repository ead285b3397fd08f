"""The event-driven DRAM controller: exact latencies on hand-countable traces, the physics of a lower tRCD, and
agreement with the analytic memory-time model it checks (row-hit rate, time per access, tRCD speedup)."""

from __future__ import annotations

import itertools
import statistics

import pytest

from eden.dram import latency
from eden.dram.controller_sim import ControllerGeometry, ControllerTimings, SimResult, simulate, stream_traces
from eden.dram.device import DramDevice
from eden.errors import ConfigError
from eden.platforms.dram_costs import device_of
from eden.platforms.memory_time import row_hit_rate

GEO = ControllerGeometry(channels=2, banks=16, row_bytes=8192)  # the CPU's memory: conf/platform/cpu.yaml
ONE_CHANNEL = ControllerGeometry(channels=1, banks=16, row_bytes=8192)
REDUCED = 8.063  # vendor A's largest Table 3 cut (−6 ns) on DDR4-2133's 14.063 ns


@pytest.fixture(scope="module")
def ddr4() -> DramDevice:
    return device_of("ddr4_2133")


def run(dev: DramDevice, traces: list[list[int]], *, trcd: float | None = None, geo: ControllerGeometry = GEO,
        **kw: object) -> SimResult:  # fmt: skip
    return simulate(traces, timings=ControllerTimings.of(dev, trcd=trcd), geometry=geo,
                    **{"mlp": 1, "on_chip_ns": 0.0, **kw})  # type: ignore[arg-type]  # fmt: skip


def seed_mean(dev: DramDevice, *, cores: int, streams: int, mlp: int, on_chip: float, trcd: float | None = None,
              seeds: int = 8, accesses: int = 1500) -> tuple[float, float]:  # fmt: skip
    """(row-hit rate, steady ns per access) averaged over random stream placements."""
    results = [
        run(dev, traces, trcd=trcd, mlp=mlp, on_chip_ns=on_chip)
        for traces in (
            stream_traces(cores=cores, streams_per_core=streams, accesses_per_core=accesses, geometry=GEO, seed=s)
            for s in range(seeds)
        )
    ]
    return statistics.mean(r.row_hit_rate for r in results), statistics.mean(r.ns_per_access for r in results)


def test_one_row_read_in_order_costs_one_activation_then_column_reads(ddr4: DramDevice) -> None:
    """mlp 1, one row: tRCD once, then CL + tBURST per access, to the picosecond."""
    t = ControllerTimings.of(ddr4)
    result = run(ddr4, [list(range(0, 2 * 50, 2))], geo=GEO)  # 50 lines of channel 0, one row
    assert result.row_hits == 49
    assert result.time_ns == pytest.approx(t.trcd + 50 * (t.cl + t.tburst))


def test_a_lower_trcd_saves_exactly_delta_per_activation_when_nothing_overlaps(ddr4: DramDevice) -> None:
    """A serialized stream over several rows: every activation is on the critical path, nothing else changes."""
    trace = [list(range(0, 1024, 1))]  # one channel: 1024 lines = 8 rows of 128
    nominal, reduced = run(ddr4, trace, geo=ONE_CHANNEL), run(ddr4, trace, geo=ONE_CHANNEL, trcd=REDUCED)
    activations = nominal.accesses - nominal.row_hits
    assert activations == 8 and reduced.row_hits == nominal.row_hits
    assert nominal.time_ns - reduced.time_ns == pytest.approx(activations * (ddr4.nominal.trcd - REDUCED))


def test_row_conflicts_in_one_bank_are_bound_by_trc_not_trcd(ddr4: DramDevice) -> None:
    """Two rows of one bank alternating, one at a time: every access activates, ACTs are tRC apart (tRAS is not
    lowered), so tRCD buys nothing. With four in flight, FR-FCFS serves queued hits first and goes faster."""
    stride = 16 * 128  # next row of bank 0 (RoBaRaCoCh, one channel)
    trace = [[(i % 2) * stride for i in range(200)]]
    nominal = run(ddr4, trace, geo=ONE_CHANNEL)
    reduced = run(ddr4, trace, geo=ONE_CHANNEL, trcd=REDUCED)
    assert nominal.row_hits == 0
    assert nominal.ns_per_access == pytest.approx(ddr4.timings.trc, rel=1e-6)
    assert reduced.ns_per_access == pytest.approx(nominal.ns_per_access, rel=1e-6)
    reordered = run(ddr4, trace, geo=ONE_CHANNEL, mlp=4)
    assert reordered.row_hits > 0 and reordered.time_ns < nominal.time_ns
    # a scheduler that sees one request at a time cannot reorder: back to every access a conflict
    assert run(ddr4, trace, geo=ONE_CHANNEL, mlp=4, queue_depth=1).row_hits == 0


@pytest.mark.parametrize("streams", [1, 4, 16])
@pytest.mark.parametrize("mlp", [1, 10])
def test_lower_trcd_never_slows_an_open_page_stream_mix(ddr4: DramDevice, streams: int, mlp: int) -> None:
    traces = stream_traces(cores=2, streams_per_core=streams, accesses_per_core=1500, geometry=GEO, seed=3)
    times = [run(ddr4, traces, trcd=t, mlp=mlp, on_chip_ns=70.0).time_ns for t in (14.063, 11.0, REDUCED, 4.0)]
    assert all(b <= a * (1 + 1e-3) for a, b in itertools.pairwise(times))


def test_more_streams_than_banks_leave_almost_no_row_hits(ddr4: DramDevice) -> None:
    hits = [seed_mean(ddr4, cores=2, streams=s, mlp=10, on_chip=70.0)[0] for s in (1, 4, 16, 64)]
    assert hits[0] > 0.85 and hits == sorted(hits, reverse=True) and hits[-1] < 0.02


@pytest.mark.parametrize("streams", [4, 8, 16])
def test_analytic_row_hit_rate_counts_the_banks_of_one_channel(ddr4: DramDevice, streams: int) -> None:
    """The analytic h with one channel's banks tracks the simulated h; counting all channels' banks overstates
    it once streams outnumber a channel's banks (measured: 0.37 vs 0.13 simulated at 32 streams)."""
    simulated, _ = seed_mean(ddr4, cores=2, streams=streams, mlp=10, on_chip=70.0)
    kw = {"streams": 2 * streams, "access_bytes": 64, "interleave_bytes": 8192, "policy": "open"}
    per_channel = row_hit_rate(banks=latency.banks_per_channel(ddr4), **kw)  # type: ignore[arg-type]
    all_banks = row_hit_rate(banks=latency.total_banks(ddr4), **kw)  # type: ignore[arg-type]
    assert abs(per_channel - simulated) < 0.12
    if streams >= 8:
        assert abs(all_banks - simulated) > abs(per_channel - simulated) + 0.1


@pytest.mark.parametrize(
    ("cores", "streams", "mlp", "on_chip"),
    [(1, 1, 1, 0.0), (2, 1, 10, 70.0), (2, 4, 10, 70.0), (2, 16, 10, 70.0), (1, 8, 1, 70.0), (1, 16, 1, 70.0)],
)
def test_analytic_time_and_trcd_gain_agree_with_the_controller(
    ddr4: DramDevice, cores: int, streams: int, mlp: int, on_chip: float
) -> None:
    """Time per access within 15 % and the −6 ns gain within 1.5 points of the simulated controller (the
    simulated h is fed to the analytic model, so this checks the queueing part alone)."""
    sims = {t: seed_mean(ddr4, cores=cores, streams=streams, mlp=mlp, on_chip=on_chip, trcd=t) for t in (None, REDUCED)}
    h = sims[None][0]

    def analytic(trcd: float | None) -> float:
        served = latency.banked_memory_time(ddr4, accesses=1e6, row_hit_rate=h, mlp=cores * mlp, trcd=trcd,
                                            extra_latency_ns=on_chip)  # fmt: skip
        return served.time_s * 1e9 / 1e6

    assert analytic(None) == pytest.approx(sims[None][1], rel=0.15)
    sim_gain, model_gain = sims[None][1] / sims[REDUCED][1] - 1, analytic(None) / analytic(REDUCED) - 1
    assert abs(sim_gain - model_gain) < 0.015


def test_many_row_hits_in_flight_saturate_the_data_buses(ddr4: DramDevice) -> None:
    traces = stream_traces(cores=4, streams_per_core=1, accesses_per_core=3000, geometry=GEO, seed=1)
    result = run(ddr4, traces, mlp=32, on_chip_ns=70.0)
    floor = ControllerTimings.of(ddr4).tburst / GEO.channels
    assert 0.99 * floor <= result.ns_per_access < 1.1 * floor  # 0.99: the steady window's end points


def test_tfaw_caps_the_activation_rate(ddr4: DramDevice) -> None:
    """Every access a new row in a fresh bank: with tFAW, at most four activations per window."""
    trace = [[b * 128 + r * 16 * 128 for r in range(40) for b in range(16)]]  # rotate over 16 banks, one channel
    timings = ControllerTimings.of(ddr4, trrd=3.75, tfaw=21.5625)
    free = simulate(trace, mlp=16, on_chip_ns=0.0, timings=ControllerTimings.of(ddr4), geometry=ONE_CHANNEL)
    capped = simulate(trace, mlp=16, on_chip_ns=0.0, timings=timings, geometry=ONE_CHANNEL)
    assert capped.ns_per_access >= 21.5625 / 4 * 0.97 > free.ns_per_access


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"mlp": 0}, "mlp"), ({"mlp": 2.5}, "mlp"), ({"on_chip_ns": -1.0}, "on_chip_ns"), ({"queue_depth": -1}, "queue")],
)
def test_bad_simulation_input_is_one_line(ddr4: DramDevice, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        run(ddr4, [[0, 1]], **kwargs)


def test_bad_geometry_and_timings_name_their_field() -> None:
    with pytest.raises(ConfigError, match=r"geometry\.row_bytes"):
        ControllerGeometry(channels=2, banks=16, row_bytes=100)
    with pytest.raises(ConfigError, match=r"timings\.trcd"):
        ControllerTimings(cl=1, trcd=-1, trp=1, tras=1, trc=2, tburst=1, tccd=1)
    with pytest.raises(ConfigError, match="streams_per_core"):
        stream_traces(cores=1, streams_per_core=0, accesses_per_core=10, geometry=GEO)
