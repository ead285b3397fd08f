"""Contract every ``platform`` member meets, as a suite for any plugin package.

Usage::

    @pytest.mark.parametrize("name", ["my_accelerator"])
    class TestMyAccelerator(PlatformContract):
        pass

The member is built from its config option; a platform with a simulator cache (``cache_dir``) gets one cache
per test session. Energy and speed are evaluated on a tiny network against the reference DRAM part below.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from torch import nn

from eden.errors import ConfigError
from eden.platforms.base import PLATFORMS, Platform
from eden.platforms.composition import data_type_keys, uniform_mapping
from eden.platforms.dram_costs import device_of
from eden.platforms.topology import Topology, extract_topology
from eden.testing.members import member_params

#: The reference DRAM part the mappings are expressed on (EDEN's characterized vendor A module, Table 3).
REFERENCE_DRAM = "ddr4_vendor_a"


def tiny_topology() -> Topology:
    """conv → depthwise → pool → linear on an 8×8 input: every layer kind, seconds in SCALE-Sim."""
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 10),
    )  # fmt: skip
    return extract_topology(model, (3, 8, 8))


class PlatformContract:
    """The platform contract; subclass it with ``name`` parametrized over the members to test."""

    GROUP = "platform"

    @pytest.fixture
    def simulator_cache(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        """One simulator cache per session (keys cover shape + array + word size, so sharing is exact)."""
        folder = tmp_path_factory.getbasetemp() / "platform-simulator"
        folder.mkdir(exist_ok=True)
        return folder

    @pytest.fixture
    def build_platform(self, simulator_cache: Path) -> Callable[..., Platform]:
        """``build_platform(name, **overrides)``: the member from its config option."""

        def build(name: str, **overrides: Any) -> Platform:
            params = {**member_params(self.GROUP, name), **overrides}
            if "cache_dir" in params:
                params["cache_dir"] = str(simulator_cache)
            platform = PLATFORMS.build(params)
            assert isinstance(platform, Platform)
            return platform

        return build

    @pytest.mark.parametrize("fmt", ["fp32", "int8"])
    def test_nominal_mapping_saves_nothing_and_runs_at_nominal_speed(
        self, name: str, fmt: str, build_platform: Callable[..., Platform]
    ) -> None:
        platform, topo, dram = build_platform(name), tiny_topology(), device_of(REFERENCE_DRAM)
        nominal = {"vdd": dram.nominal.vdd, "trcd": dram.nominal.trcd}
        for mapping in (None, {}, uniform_mapping(topo, nominal)):
            result = platform.evaluate(topo, mapping, dram, data_format=fmt)
            assert result.reduction("idd") == 0.0 and result.reduction("paper") == 0.0
            assert result.speedup == 1.0 and result.ideal_speedup >= 1.0

    @pytest.mark.parametrize(("fmt", "nbytes"), [("fp32", 4), ("int8", 1), ("int4", 0.5)])
    def test_traffic_never_below_the_unique_weight_bytes(
        self, name: str, fmt: str, nbytes: float, build_platform: Callable[..., Platform]
    ) -> None:
        topo = tiny_topology()
        result = build_platform(name).evaluate(topo, None, data_format=fmt)
        assert sum(r.weight_bytes for r in result.layers) >= topo.unique_weight_numel() * nbytes
        for layer, row in zip(topo, result.layers, strict=True):
            assert row.weight_bytes >= layer.weight_numel * nbytes
            assert row.ofm_bytes >= layer.ofm_numel * nbytes  # every output reaches DRAM at least once

    def test_paper_scaling_of_a_coarse_mapping_is_delta_vdd_over_the_reference(
        self, name: str, build_platform: Callable[..., Platform]
    ) -> None:
        platform, topo, dram = build_platform(name), tiny_topology(), device_of(REFERENCE_DRAM)
        memory = device_of(platform.dram)
        point = {"vdd": dram.nominal.vdd - 0.25, "trcd": dram.nominal.trcd - 2.0}
        result = platform.evaluate(topo, uniform_mapping(topo, point), dram, data_format="int8", scaling="paper")
        assert result.dram_energy_reduction == pytest.approx(0.25 / memory.energy.paper_reference_vdd, abs=1e-12)
        assert result.reduction("idd") > 0
        assert 1.0 <= result.speedup <= result.ideal_speedup

    def test_unknown_and_missing_fields_are_config_errors(self, name: str) -> None:
        params = member_params(self.GROUP, name)
        with pytest.raises(ConfigError, match=r"platform\.bogus"):
            PLATFORMS.build({**params, "bogus": 1})
        field = next(k for k in params if k not in ("name", "dram"))
        with pytest.raises(ConfigError, match=rf"platform\.{field}"):
            PLATFORMS.build({k: v for k, v in params.items() if k != field})

    def test_bad_mapping_keys_formats_and_scalings_fail_before_compute(
        self, name: str, build_platform: Callable[..., Platform]
    ) -> None:
        platform, topo, dram = build_platform(name), tiny_topology(), device_of(REFERENCE_DRAM)
        with pytest.raises(ConfigError, match=r"mapping='nope\.weights'"):
            platform.evaluate(topo, {"nope.weights": (1.2, 10.0)}, dram)
        with pytest.raises(ConfigError, match="format"):
            platform.evaluate(topo, None, data_format="int7")
        with pytest.raises(ConfigError, match="scaling"):
            platform.evaluate(topo, None, scaling="linear")  # type: ignore[arg-type]
        key = data_type_keys(topo)[0]
        with pytest.raises(ConfigError, match=rf"mapping\[{key}\]"):
            platform.evaluate(topo, {key: {"vdd": -1.0, "trcd": 10.0}}, dram)
