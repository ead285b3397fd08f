"""The DRAM side of every platform: its memory interface fields, read in one place, and the per-layer traffic loop.

Every platform YAML describes its DRAM bus the same way — ``channels × data_rate_mts × bus_bits / 8`` is the
peak bandwidth (e.g. Titan X: 12 × 32-bit GDDR5 channels at 10 000 MT/s = 480 GB/s), ``access_bytes`` the
burst one DRAM access moves and ``interleave_bytes`` the bytes a sequential stream reads from one row before the address
interleaving moves it to another bank (the row-hit rate of :mod:`eden.platforms.memory_time` and
:func:`eden.platforms.traffic.row_hit_rate`). :class:`BusPlatform` checks and reads these fields so
that a platform class only reads its compute side and says how one layer's traffic is found.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from eden.platforms.base import Platform, field_int, field_number
from eden.platforms.composition import TimingModel
from eden.platforms.memory_time import IssueModel
from eden.platforms.topology import Layer, Topology
from eden.platforms.traffic import LayerTraffic

#: YAML fields of the DRAM interface, shared by every platform.
INTERFACE_FIELDS: tuple[str, ...] = (
    "channels",
    "data_rate_mts",
    "bus_bits",
    "bandwidth_efficiency",
    "access_bytes",
    "interleave_bytes",
)


@dataclass(frozen=True, kw_only=True)
class DramInterface:
    """A platform's DRAM bus: peak bandwidth, the share of it reached, and the access and interleave sizes."""

    bandwidth_bytes_per_s: float
    bandwidth_efficiency: float
    access_bytes: int
    interleave_bytes: int

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> DramInterface:
        """Validate the :data:`INTERFACE_FIELDS` of a platform YAML (ConfigError naming ``platform.<field>``)."""
        bandwidth = (
            field_int(params, "channels")
            * field_number(params, "data_rate_mts", low=1)
            * 1e6
            * field_int(params, "bus_bits")
            / 8
        )
        return cls(
            bandwidth_bytes_per_s=bandwidth,
            bandwidth_efficiency=field_number(params, "bandwidth_efficiency", low=1e-3, high=1),
            access_bytes=field_int(params, "access_bytes"),
            interleave_bytes=field_int(params, "interleave_bytes"),
        )

    def timing(
        self,
        *,
        peak_macs_per_s: float,
        compute_efficiency: float,
        clock_hz: float,
        issue: IssueModel | None,
    ) -> TimingModel:
        """The roofline rates of a platform with this interface and the given compute side."""
        return TimingModel(
            peak_macs_per_s=peak_macs_per_s,
            compute_efficiency=compute_efficiency,
            clock_hz=clock_hz,
            bandwidth_bytes_per_s=self.bandwidth_bytes_per_s,
            bandwidth_efficiency=self.bandwidth_efficiency,
            access_bytes=self.access_bytes,
            issue=issue,
        )


class BusPlatform(Platform):
    """A platform behind a :class:`DramInterface`: its YAML has the interface fields, its traffic is per layer."""

    COMMON_FIELDS: ClassVar[tuple[str, ...]] = (*Platform.COMMON_FIELDS, *INTERFACE_FIELDS)

    def __init__(self, *, name: str, dram: str, interface: DramInterface, timing: TimingModel) -> None:
        super().__init__(name=name, dram=dram)
        self.interface = interface
        self._timing = timing

    @abstractmethod
    def layer_traffic(self, layer: Layer, *, bytes_per_value: float) -> LayerTraffic:
        """DRAM traffic of one layer for one inference."""

    def traffic(self, topology: Topology, *, bytes_per_value: float) -> list[LayerTraffic]:
        return [self.layer_traffic(layer, bytes_per_value=bytes_per_value) for layer in topology]

    def timing(self) -> TimingModel:
        return self._timing
