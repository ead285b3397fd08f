"""What a mapping strategy decides over: the data (size, tolerance), the partitions (capacity) and the points.

A *point* is a (VDD, tRCD) grid setting of the device; its *weight* is what a byte stored there saves:
``(energy, latency)`` as integers, compared lexicographically (energy first, the mapping's goal in EDEN §6;
tRCD only breaks ties, so a ``knob: trcd`` study still prefers the faster point). Integers make ties exact, so
strategies compare reproducibly:

- energy: ``round(1e9 · (1 − relative_access_energy(vdd)))``, parts per billion of a row-miss read's energy
  (:func:`eden.dram.energy.relative_access_energy`); it depends on VDD only.
- latency: ``round(1000 · (tRCD_nominal − tRCD))``, picoseconds of activation latency saved.

For a group of data whose smallest tolerance is ``t``, the best point is ``device.operating_point(t)`` (lowest
VDD, then lowest tRCD with BER ≤ t), which is also the lexicographically heaviest one. So a strategy only ever
needs the points ``point_for(t)`` of the data's tolerances: nothing is lost by not scanning the whole grid.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eden.errors import ConfigError

if TYPE_CHECKING:
    from eden.datatypes import DataType
    from eden.dram.device import DramDevice
    from eden.dram.operating_point import OperatingPoint

#: Relative slack when comparing a BER with a tolerance (the device's own inverse uses the same, see
#: ``eden.dram.operating_point._REL_EPS``): interpolated BERs carry exp/log round-off.
REL_EPS = 1e-9

Weight = tuple[int, int]  # (energy ppb saved, tRCD ps saved) per byte
ZERO: Weight = (0, 0)


def within(ber: float, tolerance: float) -> bool:
    """``ber ≤ tolerance`` up to round-off."""
    return ber <= tolerance * (1 + REL_EPS)


@dataclass(frozen=True)
class Datum:
    """One EDEN data type as the mapping sees it: its key, its size in DRAM and its tolerable BER."""

    key: str
    bytes: int
    tolerance: float


def datum_bytes(numel: int, bits: int) -> int:
    """Bytes of ``numel`` words of ``bits`` each, packed (int4: two per byte), rounded up to whole bytes."""
    return math.ceil(numel * bits / 8)


def data_items(data_types: Sequence[DataType], fmt: str, tolerances: Mapping[str, float]) -> list[Datum]:
    """The model's data types with their sizes in ``fmt`` and their tolerances.

    IFMs count once per data type (one input's feature map, ``DataType.numel``): the buffer is reused per
    inference. A data type without a measured tolerance stays at the nominal point (tolerance 0); a tolerance
    for a key the model does not have is an error (a stale characterization).
    """
    from eden.formats import get_format

    bits = get_format(fmt, "format").bits
    keys = {d.key for d in data_types}
    unknown = sorted(set(tolerances) - keys)
    if unknown:
        raise ConfigError("characterize.tolerances", unknown[0], sorted(keys))
    return [Datum(d.key, datum_bytes(d.numel, bits), float(tolerances.get(d.key, 0.0))) for d in data_types]


def check_data(data: Sequence[Datum]) -> None:
    """Keys unique, sizes positive integers, tolerances BERs in [0, 1]."""
    seen: set[str] = set()
    for d in data:
        if d.key in seen:
            raise ConfigError("mapping.data", d.key, "unique data-type keys")
        seen.add(d.key)
        if not isinstance(d.bytes, int) or isinstance(d.bytes, bool) or d.bytes <= 0:
            raise ConfigError(f"mapping.data[{d.key}].bytes", d.bytes, "a positive integer")
        t = d.tolerance
        if not isinstance(t, int | float) or isinstance(t, bool) or not 0 <= t <= 1:
            raise ConfigError(f"mapping.data[{d.key}].tolerance", t, "a bit error rate in [0, 1]")


@dataclass
class Space:
    """The device, the partitions' capacities and the knob grid a strategy may use."""

    device: DramDevice
    granularity: str
    capacities: tuple[int, ...]  # bytes usable in each partition (partition 0 is the nominal one)
    knobs: Collection[str]
    vdd_step: float | None
    trcd_step: float | None
    capacity_field: str  # the config field to name when the data do not fit
    _points: dict[float, OperatingPoint] = field(default_factory=dict, repr=False)
    _weights: dict[tuple[float, float], Weight] = field(default_factory=dict, repr=False)

    @property
    def count(self) -> int:
        return len(self.capacities)

    @property
    def nominal(self) -> OperatingPoint:
        return self.device.nominal

    def point_for(self, tolerance: float) -> OperatingPoint:
        """The most aggressive grid point with BER ≤ ``tolerance`` (nominal for 0)."""
        if tolerance not in self._points:
            self._points[tolerance] = (
                self.nominal
                if tolerance <= 0
                else self.device.operating_point(
                    tolerance, vdd_step=self.vdd_step, trcd_step=self.trcd_step, knobs=self.knobs
                )
            )
        return self._points[tolerance]

    def weight(self, point: OperatingPoint) -> Weight:
        """What one byte at ``point`` saves vs nominal (see the module docstring)."""
        key = (point.vdd, point.trcd)
        if key not in self._weights:
            from eden.dram.energy import relative_access_energy

            saved = 0.0 if point.vdd >= self.nominal.vdd else 1 - relative_access_energy(self.device, point.vdd)
            energy = round(1e9 * saved)
            latency = max(0, round(1000 * (self.nominal.trcd - point.trcd)))
            self._weights[key] = (energy, latency)
        return self._weights[key]

    def best(self, tolerance: float) -> Weight:
        """The weight of the best point a datum of ``tolerance`` can sit at."""
        return self.weight(self.point_for(tolerance))


def scaled(weight: Weight, nbytes: int) -> Weight:
    return (weight[0] * nbytes, weight[1] * nbytes)


def add(a: Weight, b: Weight) -> Weight:
    return (a[0] + b[0], a[1] + b[1])


def total(weights: Iterable[Weight]) -> Weight:
    out = ZERO
    for w in weights:
        out = add(out, w)
    return out


@dataclass
class Plan:
    """A strategy's answer: one point per partition and one partition index per data-type key.

    ``exact``: whether the strategy proved the plan optimal (``optimal`` only; None for heuristics by design).
    """

    points: list[OperatingPoint]
    assignment: dict[str, int]
    exact: bool | None = None
    notes: dict[str, float] = field(default_factory=dict)

    def value(self, data: Sequence[Datum], space: Space) -> Weight:
        """Total (energy, latency) weight of the plan: Σ bytes × weight of the datum's partition point."""
        return total(scaled(space.weight(self.points[self.assignment[d.key]]), d.bytes) for d in data)
