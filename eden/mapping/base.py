"""The ``mapping`` registry: strategies that place each data type in a DRAM partition at an operating point.

Contract of a :class:`Mapping` (the suite ``eden.testing.MappingContract``, run on every member): given the
data (size, tolerable BER), the device and the coarse BER, :meth:`Mapping.map` returns a mapping table (see
:mod:`eden.mapping.table`) in which

- every data type sits in exactly one partition, at a BER ≤ its tolerance (tolerance 0 → a nominal partition);
- no partition holds more than its capacity; partition ``p0`` is at the nominal point (EDEN §6: data that
  tolerate no error live in a nominal region);
- the result depends only on the inputs (no randomness).

A strategy implements only :meth:`Mapping.plan` (points per partition + assignment); the base class resolves
the partitions from the device and the config, and builds and validates the table. Config fields (values only in
``conf/mapping/<name>.yaml``): ``partitions`` (count, the nominal one included; null = the device's
``partitions.count``), ``granularity`` (chip | rank | bank | subarray; null = the device's), ``capacity_bytes``
(bytes of each partition this DNN may use; null = the whole partition), ``knob`` (vdd | trcd | both: which knobs
may leave nominal), ``vdd_step`` / ``trcd_step`` (grid; null = the device's ``characterization`` steps).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import abc
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from eden.dram.device import DramDevice
from eden.dram.operating_point import KNOBS
from eden.dram.partitions import GRANULARITIES, Partition, make_partitions, unit_count
from eden.dram.spec import MISSING, is_number
from eden.errors import ConfigError
from eden.fields import choice, integer, number, param, parse
from eden.mapping.assign import algorithm1, capacity_error
from eden.mapping.points import at_coarse_ber, coarse_points
from eden.mapping.space import Datum, Plan, Space, check_data
from eden.mapping.table import check_table
from eden.registry import Registry

PREFIX = "mapping"
KNOB_CHOICES: dict[str, tuple[str, ...]] = {"vdd": ("vdd",), "trcd": ("trcd",), "both": KNOBS}


@dataclass(frozen=True, kw_only=True)
class CommonParams:
    """The fields every strategy's YAML has (``conf/mapping/base/common.yaml``); null defers to the device."""

    partitions: int | None = param(integer(nullable=True))
    granularity: str | None = param(choice(*GRANULARITIES, nullable=True, null_means="the device's"))
    capacity_bytes: int | None = param(integer(nullable=True))
    knob: str = param(choice(*KNOB_CHOICES))
    vdd_step: float | None = param(number(above=0.0, unit="V", nullable=True, null_means="the device's grid"))
    trcd_step: float | None = param(number(above=0.0, unit="ns", nullable=True, null_means="the device's grid"))


class Mapping(ABC):
    """A mapping strategy (one registered class per ``conf/mapping/<name>.yaml``)."""

    registry_name: ClassVar[str]
    COMMON_FIELDS: ClassVar[tuple[str, ...]] = ("name", *(f.name for f in fields(CommonParams)))
    #: Fields a subclass adds; parsed by :meth:`parse_extra`.
    EXTRA_FIELDS: ClassVar[tuple[str, ...]] = ()
    #: What the contract suite (``eden.testing.MappingContract``) may expect; a strategy removes what it lacks:
    #: ``optimizing``: data that tolerate errors leave the nominal point when the device allows it (a reference
    #: strategy that keeps everything at nominal lacks it).
    capabilities: ClassVar[frozenset[str]] = frozenset({"optimizing"})

    def __init__(
        self,
        *,
        name: str,
        partitions: int | None,
        granularity: str | None,
        capacity_bytes: int | None,
        knob: str,
        vdd_step: float | None,
        trcd_step: float | None,
    ) -> None:
        self.name, self.partitions, self.granularity = name, partitions, granularity
        self.capacity_bytes, self.knob = capacity_bytes, knob
        self.vdd_step, self.trcd_step = vdd_step, trcd_step

    # ------------------------------------------------------------------------------------------- config
    @classmethod
    def from_config(cls, params: abc.Mapping[str, Any], **runtime: Any) -> Mapping:
        """Validate the YAML node; ``runtime`` (the run's seed) is unused: mappings are deterministic."""
        common = parse(CommonParams, params, PREFIX, extra=("name", *cls.EXTRA_FIELDS))
        for f in ("name", *cls.EXTRA_FIELDS):
            if f not in params:
                raise ConfigError(f"{PREFIX}.{f}", MISSING, "a value in conf/mapping/<name>.yaml")
        return cls(name=str(params["name"]), **common, **cls.parse_extra(params))

    @classmethod
    def parse_extra(cls, params: abc.Mapping[str, Any]) -> dict[str, Any]:
        """Validate the subclass's own fields → keyword arguments of its constructor."""
        return {}

    # ------------------------------------------------------------------------------------------ contract
    @abstractmethod
    def plan(self, data: list[Datum], space: Space, *, coarse_ber: float) -> Plan:
        """Points of the ``space.count`` partitions (index 0 nominal) and each datum's partition index."""

    def view(self, data: list[Datum], coarse_ber: float) -> list[Datum]:
        """The data as this strategy places them (the tolerances it assumes; the table shows and checks these).
        The measured per-type tolerances by default; the coarse mapping lifts them to the coarse BER."""
        return data

    # ------------------------------------------------------------------------------------------- driver
    def space(self, device: DramDevice) -> Space:
        """Partitions (count, capacities) and knob grid of ``device`` under this config."""
        granularity = self.granularity or device.partitioning.granularity
        count = self.partitions or device.partitioning.count
        units = unit_count(granularity, geometry=device.geometry, organization=device.organization)
        if units % count:
            divisors = [d for d in range(1, units + 1) if units % d == 0]
            raise ConfigError(f"{PREFIX}.partitions", count, f"a divisor of the {units} {granularity}s: {divisors}")
        physical = device.capacity_bytes // units * (units // count)
        if self.capacity_bytes is not None and self.capacity_bytes > physical:
            raise ConfigError(
                f"{PREFIX}.capacity_bytes", self.capacity_bytes, f"null or <= {physical}, one {granularity} partition"
            )
        return Space(
            device=device,
            granularity=granularity,
            capacities=(self.capacity_bytes or physical,) * count,
            knobs=KNOB_CHOICES[self.knob],
            vdd_step=self.vdd_step,
            trcd_step=self.trcd_step,
            capacity_field=f"{PREFIX}.capacity_bytes" if self.capacity_bytes is not None else f"{PREFIX}.partitions",
        )

    def map(self, data: list[Datum], device: DramDevice, *, coarse_ber: float) -> dict[str, Any]:
        """The validated mapping table of ``data`` on ``device`` (see :mod:`eden.mapping.table`)."""
        check_data(data)
        if not (is_number(coarse_ber) and 0 <= coarse_ber <= 1):
            raise ConfigError("characterize.coarse_ber", coarse_ber, "a bit error rate in [0, 1]")
        data = self.view(list(data), float(coarse_ber))
        space = self.space(device)
        need, room = sum(d.bytes for d in data), sum(space.capacities)
        if need > room:
            raise ConfigError(
                space.capacity_field,
                self.capacity_bytes if self.capacity_bytes is not None else space.count,
                f"a setting with room for the {need} bytes of data (now {room} bytes in {space.count} partitions)",
            )
        for d in data:
            if d.bytes > max(space.capacities):
                raise capacity_error(space, d)
        plan = self.plan(data, space, coarse_ber=float(coarse_ber))
        return self.table(plan, data, space)

    def coarse_floor(self, data: list[Datum], device: DramDevice, *, coarse_ber: float) -> dict[str, Any]:
        """The coarse mapping (EDEN §6: one point at the whole network's tolerable BER) of the same data on the same
        partitions. The validate stage falls back to it before nominal, so a finer mapping that misses the target
        in the joint check never ends up saving less than the coarse one would."""
        space = self.space(device)
        data = at_coarse_ber(data, float(coarse_ber))
        points = coarse_points(data, space, float(coarse_ber))
        table = self.table(Plan(points=points, assignment=algorithm1(data, points, space)), data, space)
        return {**table, "strategy": f"coarse floor of {self.name}"}

    def table(self, plan: Plan, data: list[Datum], space: Space) -> dict[str, Any]:
        """Partitions ordered nominal first, then from least to most aggressive; entries in the data's order."""
        if len(plan.points) != space.count or not plan.points[0].is_nominal:
            raise RuntimeError(f"mapping {self.name}: a plan needs {space.count} points, the first one nominal")
        order = [0, *sorted(range(1, space.count), key=lambda j: (space.weight(plan.points[j]), j))]
        rank = {old: new for new, old in enumerate(order)}
        partitions = make_partitions(space.device, [plan.points[j] for j in order], granularity=space.granularity)
        used = [0] * space.count
        entries = []
        for d in data:
            j = rank[plan.assignment[d.key]]
            used[j] += d.bytes
            p = partitions[j].point
            entries.append({"data_type": d.key, "partition": partitions[j].name, "vdd": p.vdd, "trcd": p.trcd,
                            "ber": p.ber, "bytes": d.bytes, "tolerance": d.tolerance})  # fmt: skip
        nbytes = max(1, sum(d.bytes for d in data))
        energy, latency = plan.value(data, space)
        table = {
            "strategy": self.name,
            "device": space.device.name,
            "granularity": space.granularity,
            "exact": plan.exact,
            "estimated_energy_saving": energy / 1e9 / nbytes,
            "estimated_trcd_reduction": latency / 1000 / nbytes / space.nominal.trcd,
            "search": dict(plan.notes),
            "entries": entries,
            "partitions": [
                self._partition_row(part, space.capacities[j], used[j]) for j, part in enumerate(partitions)
            ],
        }
        return check_table(table, tolerances={d.key: d.tolerance for d in data}, source=f"mapping[{self.name}]")

    @staticmethod
    def _partition_row(part: Partition, capacity: int, used: int) -> dict[str, Any]:
        p = part.point
        return {"name": part.name, "vdd": p.vdd, "trcd": p.trcd, "ber": p.ber, "capacity_bytes": capacity,
                "used_bytes": used, "units": part.units}  # fmt: skip

    def __repr__(self) -> str:
        return f"{type(self).__name__}(partitions={self.partitions}, knob={self.knob!r})"


MAPPINGS: Registry[type[Mapping]] = Registry("mapping", Mapping)  # type: ignore[type-abstract]
