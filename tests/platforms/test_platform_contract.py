"""Contract every ``platform`` member meets (parametrized over the registry: a new member is tested for free)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eden.errors import ConfigError
from eden.platforms.base import PLATFORMS, Platform
from eden.platforms.composition import data_type_keys, uniform_mapping
from eden.platforms.dram_costs import device_of
from tests.platforms.conftest import platform_params, tiny_topology

NAMES = PLATFORMS.names()
VENDOR_A = device_of("ddr4_vendor_a")


def test_the_four_paper_platforms_are_registered() -> None:
    assert {"cpu", "gpu", "eyeriss", "tpu"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt", ["fp32", "int8"])
def test_nominal_mapping_saves_nothing_and_runs_at_nominal_speed(
    name: str, fmt: str, build_platform: Callable[..., Platform]
) -> None:
    platform, topo = build_platform(name), tiny_topology()
    nominal = {"vdd": VENDOR_A.nominal.vdd, "trcd": VENDOR_A.nominal.trcd}
    for mapping in (None, {}, uniform_mapping(topo, nominal)):
        result = platform.evaluate(topo, mapping, VENDOR_A, data_format=fmt)
        assert result.reduction("idd") == 0.0 and result.reduction("paper") == 0.0
        assert result.speedup == 1.0 and result.ideal_speedup >= 1.0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("fmt", "nbytes"), [("fp32", 4), ("int8", 1), ("int4", 0.5)])
def test_traffic_never_below_the_unique_weight_bytes(
    name: str, fmt: str, nbytes: float, build_platform: Callable[..., Platform]
) -> None:
    topo = tiny_topology()
    result = build_platform(name).evaluate(topo, None, data_format=fmt)
    assert sum(r.weight_bytes for r in result.layers) >= topo.unique_weight_numel() * nbytes
    for layer, row in zip(topo, result.layers, strict=True):
        assert row.weight_bytes >= layer.weight_numel * nbytes
        assert row.ofm_bytes >= layer.ofm_numel * nbytes  # every output reaches DRAM at least once


@pytest.mark.parametrize("name", NAMES)
def test_paper_scaling_of_a_coarse_mapping_is_delta_vdd_over_the_reference(
    name: str, build_platform: Callable[..., Platform]
) -> None:
    platform, topo = build_platform(name), tiny_topology()
    memory = device_of(platform.dram)
    point = {"vdd": VENDOR_A.nominal.vdd - 0.25, "trcd": VENDOR_A.nominal.trcd - 2.0}
    result = platform.evaluate(topo, uniform_mapping(topo, point), VENDOR_A, data_format="int8", scaling="paper")
    assert result.dram_energy_reduction == pytest.approx(0.25 / memory.energy.paper_reference_vdd, abs=1e-12)
    assert result.reduction("idd") > 0
    assert 1.0 <= result.speedup <= result.ideal_speedup


@pytest.mark.parametrize("name", NAMES)
def test_unknown_and_missing_fields_are_config_errors(name: str) -> None:
    params = platform_params(name)
    with pytest.raises(ConfigError, match=r"platform\.bogus"):
        PLATFORMS.build({**params, "bogus": 1})
    field = next(k for k in params if k not in ("name", "dram"))
    with pytest.raises(ConfigError, match=rf"platform\.{field}"):
        PLATFORMS.build({k: v for k, v in params.items() if k != field})


@pytest.mark.parametrize("name", NAMES)
def test_bad_mapping_keys_formats_and_scalings_fail_before_compute(
    name: str, build_platform: Callable[..., Platform]
) -> None:
    platform, topo = build_platform(name), tiny_topology()
    with pytest.raises(ConfigError, match=r"mapping='nope\.weights'"):
        platform.evaluate(topo, {"nope.weights": (1.2, 10.0)}, VENDOR_A)
    with pytest.raises(ConfigError, match="format"):
        platform.evaluate(topo, None, data_format="int7")
    with pytest.raises(ConfigError, match="scaling"):
        platform.evaluate(topo, None, scaling="linear")  # type: ignore[arg-type]
    key = data_type_keys(topo)[0]
    with pytest.raises(ConfigError, match=rf"mapping\[{key}\]"):
        platform.evaluate(topo, {key: {"vdd": -1.0, "trcd": 10.0}}, VENDOR_A)
