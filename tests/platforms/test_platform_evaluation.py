"""Energy and time physics of the platform models: EDEN Fig. 13's linear scaling, roofline speedups, capacity."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
import torch

from eden.models.lenet import LeNet5
from eden.models.resnet20 import ResNet20
from eden.paper.reproduce import TABLE3, shape_only_topology
from eden.platforms.base import Platform
from eden.platforms.composition import data_type_keys, uniform_mapping
from eden.platforms.dram_costs import device_of
from eden.platforms.topology import Topology, extract_topology

VENDOR_A = device_of("ddr4_vendor_a")


def table3_point(dvdd: float, dtrcd: float) -> dict[str, float]:
    return {"vdd": VENDOR_A.nominal.vdd + dvdd, "trcd": VENDOR_A.nominal.trcd + dtrcd}


def resnet20() -> Topology:
    return extract_topology(ResNet20(num_classes=10, in_channels=3), (3, 32, 32))


@pytest.mark.parametrize("network", [*TABLE3, "lenet5", "resnet20"])
def test_cpu_paper_scaling_is_delta_vdd_over_1v2_for_every_network(
    network: str, build_platform: Callable[..., Platform]
) -> None:
    """EDEN Fig. 13: 0.10 V → 8.3%, 0.25 V → 20.8%, 0.30 V → 25.0%, 0.35 V → 29.2%."""
    if network == "lenet5":
        topo, (dvdd, dtrcd) = extract_topology(LeNet5(num_classes=10, in_channels=1), (1, 28, 28)), (-0.25, -4.5)
    elif network == "resnet20":
        topo, (dvdd, dtrcd) = resnet20(), (-0.30, -5.5)
    else:
        topo, (dvdd, dtrcd) = shape_only_topology(network), TABLE3[network]["fp32"]
    mapping = uniform_mapping(topo, table3_point(dvdd, dtrcd))
    result = build_platform("cpu").evaluate(topo, mapping, VENDOR_A, data_format="fp32", scaling="paper")
    assert result.dram_energy_reduction == pytest.approx(-dvdd / 1.2, abs=1e-12)
    # The physical model (currents fall with VDD) saves more than the linear rule on a 1.2 V part.
    assert result.reduction("idd") > result.reduction("paper")


def test_a_partial_mapping_saves_less_than_the_coarse_one(build_platform: Callable[..., Platform]) -> None:
    topo, cpu = resnet20(), build_platform("cpu")
    point = table3_point(-0.30, -5.5)
    weights_only = {k: point for k in data_type_keys(topo) if k.endswith(".weights")}
    partial = cpu.evaluate(topo, weights_only, VENDOR_A).dram_energy_reduction
    coarse = cpu.evaluate(topo, uniform_mapping(topo, point), VENDOR_A).dram_energy_reduction
    assert 0 < partial < coarse


def test_larger_on_chip_memory_never_increases_platform_traffic(build_platform: Callable[..., Platform]) -> None:
    topo = resnet20()
    totals = [
        build_platform("cpu", l3_kb_per_core=kb).evaluate(topo, None).total_bytes for kb in (8, 32, 128, 512, 8192)
    ]
    assert all(b <= a for a, b in pairwise(totals)) and totals[-1] < totals[0]
    accel = [
        build_platform("eyeriss", ifmap_sram_kb=kb, filter_sram_kb=kb, ofmap_sram_kb=kb, scalesim_max_cycles=0)
        .evaluate(topo, None)
        .total_bytes
        for kb in (1, 4, 16, 108, 1024)
    ]
    assert all(b <= a for a, b in pairwise(accel))


def test_latency_bound_runs_gain_more_than_bandwidth_bound_ones_and_never_beat_trcd_zero(
    build_platform: Callable[..., Platform],
) -> None:
    """Only memory-bound layers see tRCD (a saturated bank or bus hides it); tRCD = 0 bounds every speedup."""
    topo = resnet20()
    latency_bound = build_platform("cpu", mlp_per_context=1)  # few misses in flight: DRAM latency exposed
    bandwidth_bound = build_platform("cpu", mlp_per_context=10_000, compute_efficiency=1.0)  # latency hidden
    speedups = {}
    for label, platform in (("latency", latency_bound), ("bandwidth", bandwidth_bound)):
        previous = 1.0
        for dtrcd in (-1.0, -2.0, -4.5, -6.0):
            result = platform.evaluate(topo, uniform_mapping(topo, table3_point(-0.3, dtrcd)), VENDOR_A)
            assert previous <= result.speedup <= result.ideal_speedup  # monotone in ΔtRCD, capped by the ideal
            previous = result.speedup
            for row in result.layers:
                if row.bound_nominal == "compute":
                    assert row.speedup == 1.0
                assert 1.0 <= row.speedup <= row.ideal_speedup
        speedups[label] = previous
    assert speedups["latency"] > 1.01 and speedups["bandwidth"] == pytest.approx(1.0, abs=1e-5)  # queues saturate


def test_accelerators_prefetch_so_trcd_gives_no_speedup(build_platform: Callable[..., Platform]) -> None:
    topo = resnet20()
    mapping = uniform_mapping(topo, table3_point(-0.35, -6.0))
    result = build_platform("eyeriss", scalesim_max_cycles=0).evaluate(topo, mapping, VENDOR_A)
    assert result.speedup == result.ideal_speedup == 1.0 and result.dram_energy_reduction > 0


def test_evaluate_accepts_a_model_and_an_example_input(build_platform: Callable[..., Platform]) -> None:
    model = LeNet5(num_classes=10, in_channels=1)
    result = build_platform("gpu").evaluate(model, None, example_input=torch.zeros(1, 1, 28, 28))
    assert result.layers[0].layer == extract_topology(model, (1, 28, 28)).layers[0].name


@pytest.mark.slow
def test_tpu_on_resnet20_simulates_once_and_serves_the_second_evaluation_from_the_scalesim_cache(
    build_platform: Callable[..., Platform], tmp_path: Path
) -> None:
    """The time of both is a benchmark (`python -m eden.bench`), not an assertion: here the cache is filled by the
    first evaluation and gives the same result to the second one."""
    topo, point = resnet20(), table3_point(-0.30, -5.5)
    results, simulated = [], []
    for _ in range(2):
        tpu = build_platform("tpu", cache_dir=str(tmp_path))
        tpu.set_cache_root(tmp_path)  # an explicit folder wins over the run's cache root
        results.append(tpu.evaluate(topo, uniform_mapping(topo, point), VENDOR_A, data_format="int8"))
        simulated.append(tpu.runner.simulated)  # layers this platform's runner simulated (not read from the cache)
    assert simulated[0] > 0 and simulated[1] == 0
    first, result = results
    assert result.dram_energy_reduction == first.dram_energy_reduction and result.speedup == first.speedup
    assert any(r.source == "scalesim" for r in result.layers)
    assert result.reduction("paper") == pytest.approx(0.25)
