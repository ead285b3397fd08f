"""Physics of the CPU/GPU memory model: tRCD acts through row misses, MLP and queueing, never backwards."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eden.dram import latency
from eden.platforms.base import Platform
from eden.platforms.composition import uniform_mapping
from eden.platforms.dram_costs import device_of
from eden.platforms.memory_time import row_hit_rate
from eden.platforms.topology import Layer, Topology

VENDOR_A = device_of("ddr4_vendor_a")
DDR4 = device_of("ddr4_2400")


def conv(name: str, *, c_in: int, c_out: int, size: int, kernel: int = 3, groups: int = 1) -> Layer:
    return Layer(name=name, kind="conv" if groups == 1 else "depthwise", in_channels=c_in, out_channels=c_out,
                 in_h=size, in_w=size, out_h=size, out_w=size, kernel_h=kernel, kernel_w=kernel, stride_h=1,
                 stride_w=1, groups=groups)  # fmt: skip


def fc(name: str, n_in: int, n_out: int) -> Layer:
    return Layer(name=name, kind="linear", in_channels=n_in, out_channels=n_out, in_h=1, in_w=1, out_h=1, out_w=1,
                 kernel_h=1, kernel_w=1, stride_h=1, stride_w=1, groups=1)  # fmt: skip


def point(dtrcd: float) -> dict[str, float]:
    return {"vdd": VENDOR_A.nominal.vdd - 0.1, "trcd": VENDOR_A.nominal.trcd + dtrcd}


LAYERS = st.builds(
    conv,
    st.just("l"),
    c_in=st.sampled_from([3, 16, 64, 256]),
    c_out=st.sampled_from([8, 64, 512]),
    size=st.sampled_from([1, 7, 28, 112]),
    kernel=st.sampled_from([1, 3]),
) | st.builds(fc, st.just("l"), st.sampled_from([256, 4096, 25088]), st.sampled_from([10, 1000, 4096]))


@pytest.mark.parametrize("name", ["cpu", "gpu"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layer=LAYERS, steps=st.lists(st.sampled_from([-0.5, -1.0, -2.0, -4.5, -6.0]), min_size=2, max_size=4))
def test_lower_trcd_never_slows_a_layer(
    name: str, layer: Layer, steps: list[float], build_platform: Callable[..., Platform]
) -> None:
    platform, topo = build_platform(name), Topology((layer,))
    previous = None
    for dtrcd in sorted(steps, reverse=True):  # tRCD falls step by step
        row = platform.evaluate(topo, uniform_mapping(topo, point(dtrcd)), VENDOR_A).layers[0]
        assert row.time_s <= row.time_nominal_s and row.time_ideal_s <= row.time_s
        if previous is not None:
            assert row.time_s <= previous
        previous = row.time_s


@pytest.mark.parametrize("name", ["cpu", "gpu"])
def test_more_memory_bound_layer_gains_more(name: str, build_platform: Callable[..., Platform]) -> None:
    """A layer whose time DRAM sets (more memory-boundness) gains more from the same lower tRCD."""
    platform = build_platform(name)
    gains, boundness = [], []
    # A 3×3 convolution on a 56×56 map (many MACs per byte) and a batch-1 4096×4096 layer (weight streaming).
    for layer in (conv("compute_heavy", c_in=256, c_out=256, size=56), fc("weight_streaming", 4096, 4096)):
        topo = Topology((layer,))
        row = platform.evaluate(topo, uniform_mapping(topo, point(-6.0)), VENDOR_A).layers[0]
        gains.append(row.speedup)
        boundness.append(row.memory_boundness)
    assert boundness[1] > boundness[0]
    assert gains[1] > gains[0] >= 1.0
    assert gains[1] > 1.0


def test_more_streams_than_banks_lowers_row_hits() -> None:
    common = {"banks": 32, "access_bytes": 64, "interleave_bytes": 8192, "policy": "open"}
    few, many = row_hit_rate(streams=4, **common), row_hit_rate(streams=64, **common)  # type: ignore[arg-type]
    assert many < few <= 1 - 64 / 8192
    assert many < 0.15 < 0.85 < few
    assert row_hit_rate(streams=1, **{**common, "policy": "closed"}) == 0.0  # type: ignore[arg-type]


def test_many_input_planes_make_a_convolution_miss_its_rows(build_platform: Callable[..., Platform]) -> None:
    """A 256-channel 56×56 convolution reads 256 planes at once (> 32 banks); a GEMV reads one stream."""
    cpu = build_platform("cpu")
    rows = cpu.evaluate(Topology((conv("c", c_in=256, c_out=256, size=56), fc("f", 4096, 4096))), None).layers
    assert rows[0].streams > 32 > rows[1].streams
    assert rows[0].row_hit_rate < 0.1 < 0.5 < rows[1].row_hit_rate


def test_small_gpu_layers_occupy_few_sms_and_are_latency_bound(build_platform: Callable[..., Platform]) -> None:
    gpu = build_platform("gpu")
    rows = gpu.evaluate(Topology((fc("classifier", 4096, 1000), conv("c", c_in=256, c_out=256, size=56))), None)
    small, big = rows.layers
    assert small.contexts < 28 == big.contexts
    assert small.bound_nominal == "latency" and small.memory_boundness == 1.0


def test_gpu_latency_bound_layer_gains_from_trcd_and_its_csv_row_says_why(
    build_platform: Callable[..., Platform],
) -> None:
    """On the GPU a latency-bound layer (few SMs busy) speeds up with a lower tRCD, a compute-bound one does not;
    the per-layer rows (platform_layers.csv) carry the bound and memory-boundness that explain it."""
    gpu = build_platform("gpu")
    topo = Topology((fc("classifier", 4096, 1000), conv("c", c_in=256, c_out=256, size=56)))
    result = gpu.evaluate(topo, uniform_mapping(topo, point(-6.0)), VENDOR_A)
    small, big = result.layers
    assert small.bound_nominal == "latency" and small.speedup > 1.0
    assert big.bound_nominal == "compute" and big.speedup == 1.0
    assert result.speedup > 1.0
    rows = {r["layer"]: r for r in result.rows()}
    assert rows["classifier"]["bound"] == "latency" and rows["classifier"]["memory_boundness"] == 1.0
    assert rows["c"]["bound"] == "compute" and rows["c"]["memory_boundness"] < 1.0


def test_queueing_model_alone_and_at_saturation() -> None:
    """One access alone sees the unloaded latency; many saturate the bottleneck bank or bus, never beyond."""
    x1 = latency.banked_throughput(latency_ns=80.0, bank_ns=45.0, banks=32, bus_ns=3.3, buses=2, population=1)
    assert x1 == pytest.approx(1 / 80.0)
    x_many = latency.banked_throughput(latency_ns=80.0, bank_ns=45.0, banks=32, bus_ns=3.3, buses=2, population=1e4)
    assert x_many == pytest.approx(min(32 / 45.0, 2 / 3.3), rel=1e-3) and x_many <= 2 / 3.3
    xs = [latency.banked_throughput(latency_ns=80.0, bank_ns=45.0, banks=4, bus_ns=3.3, buses=2, population=n)
          for n in (1, 2, 4, 8, 16, 64)]  # fmt: skip
    assert all(a < b or b == pytest.approx(4 / 45.0) for a, b in pairwise(xs))


def test_trcd_does_not_shorten_a_bank_bound_stream() -> None:
    """Back-to-back row misses to a bank are tRC apart and tRAS is not lowered with tRCD: a saturated bank
    gains nothing from a lower tRCD, a latency-bound stream gains in proportion to its misses."""
    kwargs = {"accesses": 1e6, "row_hit_rate": 0.0, "extra_latency_ns": 30.0}
    bound = [latency.banked_memory_time(DDR4, mlp=1e4, trcd=t, **kwargs).time_s for t in (13.333, 7.333)]
    serial = [latency.banked_memory_time(DDR4, mlp=1, trcd=t, **kwargs).time_s for t in (13.333, 7.333)]
    assert bound[0] == pytest.approx(bound[1], rel=1e-9)
    expected = (30 + latency.row_miss_latency_ns(DDR4)) / (30 + latency.row_miss_latency_ns(DDR4, 7.333))
    assert serial[0] / serial[1] == pytest.approx(expected, rel=1e-9)


def test_vdd_below_characterized_floor_is_refused(build_platform: Callable[..., Platform]) -> None:
    """A part prices only the VDD/tRCD range it declares: below its floor is a one-line error, no extrapolation."""
    from eden.dram import energy
    from eden.errors import ConfigError

    low = DDR4.operating_range.vdd[0]
    assert energy.read_energy_j(DDR4, 64, low) < energy.read_energy_j(DDR4, 64)
    with pytest.raises(ConfigError, match=r"^dram\.vdd=0\.5 is invalid; allowed: a number in \[0\.85, 1\.2\] V") as err:
        energy.read_energy_j(DDR4, 64, 0.5)
    assert "\n" not in str(err.value)
    topo = Topology((fc("f", 256, 10),))
    cpu = build_platform("cpu")
    for bad in ({"vdd": 0.9, "trcd": VENDOR_A.nominal.trcd}, {"vdd": 1.35, "trcd": 1.0}):  # −0.45 V; −11.5 ns
        with pytest.raises(ConfigError, match=r"^dram\.(vdd|trcd)="):
            cpu.evaluate(topo, uniform_mapping(topo, bad), VENDOR_A)


@pytest.mark.parametrize("name", ["cpu", "gpu", "eyeriss", "tpu"])
def test_interface_and_energy_model_see_the_same_memory(name: str) -> None:
    """The platform's bus (channels, MT/s) is its memory part's organization and clock (CPU: 2 × DDR4-2133)."""
    from eden import conf

    params = conf.load("platform", name)
    part = device_of(params["dram"])
    assert params["channels"] == part.organization.channels
    assert params["data_rate_mts"] == pytest.approx(part.organization.data_rate * 1e3 / part.timings.tck, rel=2e-3)
    assert params["bus_bits"] == part.organization.bus_bits
    if name == "cpu":  # paper §7: 2 channels, 16 banks per channel, DDR4-2133
        assert (part.organization.channels, part.geometry.banks, params["data_rate_mts"]) == (2, 16, 2133)
