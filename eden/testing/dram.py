"""Contract every DRAM part (an option of the ``dram`` config group) meets, as a suite for any plugin package.

Usage::

    @pytest.mark.parametrize("name", ["my_part"])
    class TestMyPart(DramContract):
        pass

BER physics (EDEN §3, Fig. 5): no errors at the nominal point; lowering VDD or tRCD never lowers the BER; no
extrapolation outside the characterized range; the inverse returns the most aggressive grid point within a
tolerance. Reductions (energy, latency) are exactly 0 at nominal. A part without a BER characterization (a
nominal-only reference part) is held to the rules that apply to it, by what it declares, never by its name.
"""

from __future__ import annotations

import itertools
import math
import re
from functools import cache
from typing import Any

import numpy as np
import pytest

from eden.dram import energy, latency
from eden.dram.device import DRAMS, DramDevice
from eden.dram.geometry import Geometry
from eden.dram.partitions import make_partitions
from eden.dram.stream import AccessStream
from eden.errors import ConfigError
from eden.injection.error_model import ERROR_MODELS
from eden.testing.members import member_params

TOLERANCES = (0.0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 5e-3, 1e-2, 0.02, 0.04, 0.05, 0.1, 0.3, 0.5, 1.0)
STREAM = AccessStream(bytes_read=64e6, bytes_written=16e6, row_hit_rate=0.6, mlp=4)
DENSE = 301  # points per knob in the dense sweeps (off-grid settings included)


@cache
def device(name: str) -> Any:
    """The built part (devices are immutable data, so one instance per part serves every test)."""
    return DRAMS.build(member_params("dram", name))


def knob_sweep(dev: DramDevice, knob: str) -> np.ndarray:
    """Dense settings from nominal down to the lowest characterized one (falling)."""
    low, high = dev.knob_range(knob)
    return np.linspace(high, low, DENSE)


def grid_step(dev: DramDevice, knob: str) -> float:
    c = getattr(dev, "characterization", None)
    return float(c.steps[knob]) if c is not None else {"vdd": 0.025, "trcd": 0.5}[knob]


def ber_or_none(dev: DramDevice, vdd: float, trcd: float) -> float | None:
    """BER at a point, or None where the point lies outside the characterized range."""
    try:
        return dev.ber(vdd, trcd)
    except ConfigError:
        return None


class DramContract:
    """The DRAM-part contract; subclass it with ``name`` parametrized over the parts (config options) to test."""

    GROUP = "dram"

    @pytest.fixture
    def dev(self, name: str) -> Any:
        return device(name)

    # ------------------------------------------------------------------------------------------------- loading
    def test_yaml_names_its_file_and_builds_through_the_registry(self, name: str) -> None:
        params = member_params(self.GROUP, name)
        assert params["name"] == name
        dev = DRAMS.build(params, seed=0)  # the pipeline passes runtime arguments such as the seed
        assert isinstance(dev, DramDevice)
        assert dev.name == name

    def test_an_omegaconf_node_builds_the_same_device(self, name: str, dev: DramDevice) -> None:
        """Under Hydra the device arrives as an OmegaConf node (DictConfig/ListConfig), not plain dicts and lists."""
        from omegaconf import OmegaConf

        node = DRAMS.build(OmegaConf.create(member_params(self.GROUP, name)))
        assert node.nominal == dev.nominal
        low_v, low_t = dev.knob_range("vdd")[0], dev.knob_range("trcd")[0]
        assert node.ber(low_v, low_t) == dev.ber(low_v, low_t)
        assert energy.activate_energy_j(node) == energy.activate_energy_j(dev)

    def test_geometry_is_usable_by_the_layouts(self, name: str, dev: DramDevice) -> None:
        assert isinstance(dev.geometry, Geometry)
        assert dev.geometry == Geometry(**member_params(self.GROUP, name)["geometry"])
        assert dev.capacity_bytes == dev.organization.chips * dev.geometry.capacity_bits // 8
        assert dev.organization.burst_bytes in (32, 64)  # one column access of a x64 channel (BL8) or a x32 chip pair

    # ------------------------------------------------------------------------------------------- nominal point
    def test_nominal_point_has_zero_ber(self, dev: DramDevice) -> None:
        assert dev.ber(dev.nominal.vdd, dev.nominal.trcd) == 0.0
        assert dev.nominal.is_nominal and dev.nominal.ber == 0.0
        assert dev.nominal.delta_vdd == 0.0 and dev.nominal.delta_trcd == 0.0
        error_free = dev.operating_point(0.0)  # may sit below nominal where no error was seen (vendor A Fig. 5)
        assert error_free.ber == 0.0

    def test_nominal_point_has_zero_energy_and_latency_reduction(self, dev: DramDevice) -> None:
        for scaling in ("idd", "paper"):
            assert energy.relative_access_energy(dev, dev.nominal.vdd, scaling=scaling) == 1.0
            assert energy.voltage_factor(dev, dev.nominal.vdd, scaling=scaling) == 1.0
            parts = make_partitions(dev, [dev.nominal] * dev.partitioning.count)
            streams = {p.name: STREAM for p in parts}
            assert energy.energy_reduction(dev, parts, streams, duration_s=0.01, scaling=scaling) == pytest.approx(
                0.0, abs=1e-12
            )
        assert latency.speedup(dev, STREAM, dev.nominal.trcd) == 1.0
        assert latency.row_miss_latency_ns(dev, dev.nominal.trcd) == latency.row_miss_latency_ns(dev)

    # ---------------------------------------------------------------------------------------- BER monotonicity
    @staticmethod
    def _assert_never_falls(bers: list[float], what: str) -> None:
        drops = [(i, b1, b2) for i, (b1, b2) in enumerate(itertools.pairwise(bers)) if b2 < b1]
        assert not drops, f"BER fell as {what} fell: first at step {drops[0]}"

    def test_lower_vdd_never_lowers_ber(self, dev: DramDevice) -> None:
        vdds = knob_sweep(dev, "vdd")
        low_t, nom_t = dev.knob_range("trcd")
        for t in (nom_t, (low_t + nom_t) / 2, low_t):  # at every tRCD, not only the one VDD was measured at
            bers = [dev.ber(float(v), t) for v in vdds]
            self._assert_never_falls(bers, f"VDD (tRCD {t:g} ns)")
            assert all(0.0 <= b <= 1.0 for b in bers)

    def test_lower_trcd_never_lowers_ber(self, dev: DramDevice) -> None:
        trcds = knob_sweep(dev, "trcd")
        low_v, nom_v = dev.knob_range("vdd")
        for v in (nom_v, (low_v + nom_v) / 2, low_v):
            bers = [dev.ber(v, float(t)) for t in trcds]
            self._assert_never_falls(bers, f"tRCD (VDD {v:g} V)")
            assert all(0.0 <= b <= 1.0 for b in bers)

    def test_characterized_parts_do_fail_at_their_lowest_setting(self, dev: DramDevice) -> None:
        """A characterization that never produces errors would make every tolerance map to the floor."""
        if dev.characterization is None:
            assert dev.knob_range("vdd")[0] == dev.nominal.vdd and dev.knob_range("trcd")[0] == dev.nominal.trcd
            return
        low_v, low_t = dev.knob_range("vdd")[0], dev.knob_range("trcd")[0]
        assert dev.ber(low_v, dev.nominal.trcd) > 0 and dev.ber(dev.nominal.vdd, low_t) > 0

    # --------------------------------------------------------------------------------------- no extrapolation
    @pytest.mark.parametrize("knob", ["vdd", "trcd"])
    def test_settings_outside_the_characterized_range_are_errors_naming_the_range(
        self, dev: DramDevice, knob: str
    ) -> None:
        low, high = dev.knob_range(knob)
        margin = 0.01 if knob == "vdd" else 0.1
        for value in (low - margin, high + margin, float("nan")):
            args = {"vdd": dev.nominal.vdd, "trcd": dev.nominal.trcd, knob: value}
            with pytest.raises(ConfigError) as info:
                dev.ber(args["vdd"], args["trcd"])
            message = str(info.value)
            assert info.value.field == f"dram.{knob}"
            assert "\n" not in message
            if low < high:
                assert f"[{low:g}, {high:g}]" in message  # the allowed range, not just "invalid"
            else:
                assert f"{high:g}" in message and "only" in message  # nominal-only reference part says so
        assert dev.ber(**{"vdd": dev.nominal.vdd, "trcd": dev.nominal.trcd, knob: low}) >= 0  # the edge is allowed

    def test_bad_tolerances_and_knobs_are_errors(self, dev: DramDevice) -> None:
        for tol in (-0.1, 1.5, float("nan"), "0.01", True):
            with pytest.raises(ConfigError, match=r"^tolerance="):
                dev.operating_point(tol)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match=r"^knobs="):
            dev.operating_point(0.01, knobs=("vdd", "tras"))

    # ------------------------------------------------------------------------------------ inverse (op. point)
    @staticmethod
    def _on_grid(value: float, nominal: float, step: float) -> bool:
        k = (nominal - value) / step
        return math.isclose(k, round(k), abs_tol=1e-6)

    @pytest.mark.parametrize("tolerance", TOLERANCES)
    def test_operating_point_is_the_most_aggressive_grid_point_within_tolerance(
        self, dev: DramDevice, tolerance: float
    ) -> None:
        op = dev.operating_point(tolerance)
        vstep, tstep = grid_step(dev, "vdd"), grid_step(dev, "trcd")
        assert op.ber <= tolerance * (1 + 1e-9)
        assert op.ber == pytest.approx(dev.ber(op.vdd, op.trcd), rel=1e-12, abs=0)
        assert self._on_grid(op.vdd, dev.nominal.vdd, vstep) and self._on_grid(op.trcd, dev.nominal.trcd, tstep)
        assert (op.nominal_vdd, op.nominal_trcd) == (dev.nominal.vdd, dev.nominal.trcd)
        # Lowest energy first: no lower grid VDD is within tolerance even at nominal tRCD (the least-failing tRCD)...
        below_v = ber_or_none(dev, op.vdd - vstep, dev.nominal.trcd)
        assert below_v is None or below_v > tolerance, f"VDD {op.vdd - vstep:g} V also meets {tolerance}"
        # ...then fastest: at that VDD the next tRCD step exceeds the tolerance (or leaves the range).
        below_t = ber_or_none(dev, op.vdd, op.trcd - tstep)
        assert below_t is None or below_t > tolerance, f"tRCD {op.trcd - tstep:g} ns also meets {tolerance}"

    def test_looser_tolerance_never_raises_vdd_or_trcd(self, dev: DramDevice) -> None:
        points = [dev.operating_point(t, knobs=(knob,)) for knob in ("vdd", "trcd") for t in TOLERANCES]
        vdd_only, trcd_only = points[: len(TOLERANCES)], points[len(TOLERANCES) :]
        assert all(b.vdd <= a.vdd for a, b in itertools.pairwise(vdd_only))
        assert all(b.trcd <= a.trcd for a, b in itertools.pairwise(trcd_only))
        assert all(p.trcd == dev.nominal.trcd for p in vdd_only)  # knobs=("vdd",) leaves tRCD alone
        assert all(p.vdd == dev.nominal.vdd for p in trcd_only)

    def test_a_finer_grid_is_never_less_aggressive(self, dev: DramDevice) -> None:
        """Halving the step keeps every old grid point, so the answer can only move lower."""
        vstep, tstep = grid_step(dev, "vdd"), grid_step(dev, "trcd")
        for tol in (1e-6, 1e-3, 0.04):
            coarse = dev.operating_point(tol)
            fine = dev.operating_point(tol, vdd_step=vstep / 2, trcd_step=tstep / 2)
            assert fine.vdd <= coarse.vdd and fine.ber <= tol * (1 + 1e-9)
        with pytest.raises(ConfigError, match=r"vdd_step"):
            dev.operating_point(0.01, vdd_step=0.0)

    # ------------------------------------------------------------------------------------- flips, partitions
    def test_reduced_vdd_flips_mostly_one_to_zero_and_reduced_trcd_zero_to_one(self, dev: DramDevice) -> None:
        """Paper §4: reduced VDD mostly flips 1→0, reduced tRCD mostly 0→1 (what EM3 is configured from)."""
        if dev.characterization is None:
            assert dev.one_to_zero_fraction(dev.nominal.vdd, dev.nominal.trcd) == 0.5
            return
        low_v, low_t = dev.knob_range("vdd")[0], dev.knob_range("trcd")[0]
        assert dev.one_to_zero_fraction(low_v, dev.nominal.trcd) > 0.5
        assert dev.one_to_zero_fraction(dev.nominal.vdd, low_t) < 0.5
        assert 0.0 <= dev.one_to_zero_fraction(low_v, low_t) <= 1.0
        assert dev.characterization.error_model in ERROR_MODELS  # a registered model, whatever plugins add

    def test_default_partitioning_splits_the_whole_device(self, dev: DramDevice) -> None:
        count = dev.partitioning.count
        assert dev.partitioning.units % count == 0
        points = [dev.nominal] + [dev.operating_point(0.05)] * (count - 1)
        parts = make_partitions(dev, points, require_nominal=True)
        assert len(parts) == count
        assert sum(p.capacity_bytes for p in parts) == dev.capacity_bytes
        assert sum(p.share for p in parts) == pytest.approx(1.0)
        assert parts[0].is_nominal and parts[0].point.ber == 0.0

    def test_error_messages_are_one_line(self, dev: DramDevice) -> None:
        low = dev.knob_range("vdd")[0]
        with pytest.raises(ConfigError) as info:
            dev.ber(low - 1.0, dev.nominal.trcd)
        assert re.fullmatch(r"dram\.vdd=.* is invalid; allowed: .*", str(info.value))
