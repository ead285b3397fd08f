"""DRAM devices: the ``dram`` registry, its abstract base, and loading a part from its YAML.

A device is mostly data (``conf/dram/<name>.yaml``): organization, timings, IDD currents, nominal VDD/tRCD,
energy settings, a default partitioning and an operating-point characterization. The class named by the YAML's
``type`` (e.g. ``characterized``) decides only how BER follows the knobs, so a new part is a YAML file.
Everything is validated in :meth:`DramDevice.from_config`, before any compute.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, ClassVar

from eden.dram.energy import activate_increment_pj
from eden.dram.geometry import Geometry
from eden.dram.operating_point import KNOBS, UNITS, OperatingPoint
from eden.dram.partitions import PartitionLayout
from eden.dram.spec import (
    MISSING,
    EnergySettings,
    OperatingRange,
    Organization,
    Rail,
    Timings,
    check_keys,
    section,
)
from eden.errors import ConfigError
from eden.fields import checked, integer, number
from eden.registry import Registry

PREFIX = "dram"


class DramDevice(ABC):
    """A DRAM part at its nominal point and how its bit error rate grows as VDD and tRCD are lowered.

    Contract: :meth:`ber` is 0 at nominal, never falls as VDD or tRCD falls, and raises ConfigError outside
    :meth:`knob_range`; :meth:`operating_point` returns a grid point whose BER is ≤ the tolerance.
    """

    registry_name: ClassVar[str]
    FIELDS: ClassVar[tuple[str, ...]] = (
        "name", "description", "geometry", "organization", "timings", "nominal", "currents", "aux_rail",
        "energy", "partitions", "characterization", "operating_range",
    )  # fmt: skip

    def __init__(
        self,
        *,
        name: str,
        description: str,
        geometry: Geometry,
        organization: Organization,
        timings: Timings,
        nominal_vdd: float,
        nominal_trcd: float,
        rail: Rail,
        aux_rail: Rail | None,
        energy: EnergySettings,
        partitioning: PartitionLayout,
        characterization: Any,
        operating_range: OperatingRange,
    ) -> None:
        self.name = name
        self.description = description
        self.geometry = geometry
        self.organization = organization
        self.timings = timings
        self.rail = rail
        self.aux_rail = aux_rail
        self.energy = energy
        self.partitioning = partitioning
        self.characterization = characterization
        self.operating_range = operating_range  # VDD/tRCD the energy and latency models may be asked for
        self.nominal = OperatingPoint(
            vdd=nominal_vdd, trcd=nominal_trcd, ber=0.0, nominal_vdd=nominal_vdd, nominal_trcd=nominal_trcd
        )

    # ----------------------------------------------------------------------------------------------- config
    @classmethod
    def from_config(cls, params: Mapping[str, Any], **runtime: Any) -> DramDevice:
        """Validate every field of a device YAML (already composed into a mapping) and build the device.

        ``runtime`` (e.g. the run's seed) is accepted for the registry's uniform call and unused: a device is
        data.
        """
        check_keys(params, PREFIX, cls.FIELDS)
        name = params.get("name", MISSING)
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{PREFIX}.name", name, "the part's name (the YAML file name)")
        description = params.get("description", "")
        g = section(params, "geometry", PREFIX)
        assert g is not None
        check_keys(g, f"{PREFIX}.geometry", ("banks", "rows_per_bank", "row_bits"))
        sizes = {f: checked(g, f, f"{PREFIX}.geometry", integer()) for f in ("banks", "rows_per_bank", "row_bits")}
        if sizes["row_bits"] % 32:  # word-aligned layouts put bit k of every 32-bit word on bitlines ≡ k
            raise ConfigError(f"{PREFIX}.geometry.row_bits", sizes["row_bits"], "a positive multiple of 32")
        geometry = Geometry(**sizes)
        organization = Organization.from_config(_required(params, "organization"))
        if geometry.rows_per_bank % organization.rows_per_subarray:
            raise ConfigError(
                f"{PREFIX}.organization.rows_per_subarray",
                organization.rows_per_subarray,
                f"a divisor of geometry.rows_per_bank = {geometry.rows_per_bank}",
            )
        timings = Timings.from_config(_required(params, "timings"))
        nominal = _required(params, "nominal")
        check_keys(nominal, f"{PREFIX}.nominal", KNOBS)
        nominal_values = {k: checked(nominal, k, f"{PREFIX}.nominal", number(above=0.0, unit=UNITS[k])) for k in KNOBS}
        rail = Rail.from_config(
            _required(params, "currents"),
            name="vdd",
            voltage=nominal_values["vdd"],
            prefix=f"{PREFIX}.currents",
        )
        aux = section(params, "aux_rail", PREFIX, optional=True)
        aux_rail = (
            None
            if aux is None
            else Rail.from_config(aux, name="aux", voltage=None, prefix=f"{PREFIX}.aux_rail")
        )
        for r, field in ((rail, "currents"), (aux_rail, "aux_rail")):
            if r is not None and activate_increment_pj(r, timings.tras, timings.trc) < 0:
                least = (r.idd3n * timings.tras + r.idd2n * (timings.trc - timings.tras)) / timings.trc
                raise ConfigError(
                    f"{PREFIX}.{field}.idd0",
                    r.idd0,
                    f"a current >= {least:.4g} mA (idd3n·tRAS + idd2n·(tRC − tRAS)) / tRC",
                )
        energy = EnergySettings.from_config(_required(params, "energy"))
        operating_range = OperatingRange.from_config(
            _required(params, "operating_range"), nominal=nominal_values, prefix=f"{PREFIX}.operating_range"
        )
        partitioning = PartitionLayout.from_config(
            _required(params, "partitions"), geometry=geometry, organization=organization
        )
        characterization = cls.parse_characterization(
            section(params, "characterization", PREFIX, optional=True),
            nominal=nominal_values,
            prefix=f"{PREFIX}.characterization",
        )
        return cls(
            name=name,
            description=str(description),
            geometry=geometry,
            organization=organization,
            timings=timings,
            nominal_vdd=nominal_values["vdd"],
            nominal_trcd=nominal_values["trcd"],
            rail=rail,
            aux_rail=aux_rail,
            energy=energy,
            partitioning=partitioning,
            characterization=characterization,
            operating_range=operating_range,
        )

    @classmethod
    @abstractmethod
    def parse_characterization(
        cls, node: Mapping[str, Any] | None, *, nominal: Mapping[str, float], prefix: str
    ) -> Any:
        """Validate the ``characterization`` section (None when the YAML has none)."""

    # ------------------------------------------------------------------------------------------- contract
    @abstractmethod
    def knob_range(self, knob: str) -> tuple[float, float]:
        """(lowest characterized, nominal) setting of ``knob`` ("vdd" in V, "trcd" in ns)."""

    @abstractmethod
    def ber(self, vdd: float, trcd: float) -> float:
        """Bit error rate at (vdd, trcd); ConfigError outside :meth:`knob_range` (no extrapolation)."""

    @abstractmethod
    def operating_point(
        self,
        tolerance: float,
        *,
        vdd_step: float | None = None,
        trcd_step: float | None = None,
        knobs: Collection[str] = KNOBS,
    ) -> OperatingPoint:
        """Most aggressive (lowest energy, then fastest) grid point with BER ≤ tolerance.

        Steps default to the YAML's ``characterization.vdd_step``/``trcd_step``; ``knobs`` limits which knobs
        may move (e.g. ``("vdd",)`` for an energy-only study).
        """

    @abstractmethod
    def one_to_zero_fraction(self, vdd: float, trcd: float) -> float:
        """Share of the bit flips at (vdd, trcd) that turn a 1 into a 0 (reduced VDD mostly 1→0, paper §4)."""

    # ------------------------------------------------------------------------------------------- helpers
    def point(self, vdd: float, trcd: float) -> OperatingPoint:
        """The operating point (vdd, trcd) with its BER."""
        return OperatingPoint(
            vdd=float(vdd),
            trcd=float(trcd),
            ber=self.ber(vdd, trcd),
            nominal_vdd=self.nominal.vdd,
            nominal_trcd=self.nominal.trcd,
        )

    def check_knob(self, knob: str, value: float) -> float:
        """``value`` if it lies in the characterized range of ``knob``, else a ConfigError that says why."""
        low, high = self.knob_range(knob)
        unit = UNITS[knob]
        if low == high:
            allowed = (
                f"{high:g} {unit} only: {self.name} has no BER-vs-{knob} characterization (a nominal "
                f"reference part), so only its nominal point is defined; pick a characterized part "
                f"(e.g. ddr4_vendor_a) or add characterization.{knob}_curve to its YAML"
            )
        else:
            allowed = f"a number in [{low:g}, {high:g}] {unit}, the range {self.name} was characterized in"
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if ok and low - 1e-9 <= value <= high + 1e-9:
            return float(value)
        raise ConfigError(f"{PREFIX}.{knob}", value, allowed)

    @property
    def capacity_bytes(self) -> int:
        return self.organization.chips * self.geometry.capacity_bits // 8

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.name!r}, VDD {self.nominal.vdd:g} V, tRCD {self.nominal.trcd:g} ns)"
        )


def _required(params: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    node = section(params, key, PREFIX)
    assert node is not None
    return node


DRAMS: Registry[type[DramDevice]] = Registry("dram", DramDevice)  # type: ignore[type-abstract]


def load_device(path: str | Path) -> DramDevice:
    """Build a device from a YAML file at any path, composed as a ``dram`` option (tests, notebooks).

    Its defaults list may inherit the bases of ``conf/dram/base/`` as the shipped parts do.
    """
    from eden import conf

    return DRAMS.build(conf.load_file(path, PREFIX))
