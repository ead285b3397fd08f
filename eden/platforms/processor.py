"""Cache-based processors (CPU, GPU): analytical tiling traffic over the last-level cache."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from eden.platforms.base import field_number
from eden.platforms.interface import BusPlatform, DramInterface
from eden.platforms.topology import Layer
from eden.platforms.traffic import LayerTraffic, analytical_traffic


class CachedProcessor(BusPlatform):
    """A processor whose DRAM traffic follows the tiling model of :mod:`eden.platforms.traffic`.

    Subclasses (the ``cpu`` and ``gpu`` plugins) list their own ``FIELDS`` and turn them into an on-chip
    capacity and a peak MAC rate (:meth:`capacity_and_peak`); the other fields are common to both.
    Latency is exposed: ``mlp`` DRAM accesses in flight at most (misses the core cannot overlap).
    """

    COMMON_FIELDS: ClassVar[tuple[str, ...]] = (
        *BusPlatform.COMMON_FIELDS,
        "compute_efficiency",
        "mlp",
        "on_chip_latency_ns",
    )
    #: The plugin's own fields (its compute side and caches).
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        name: str,
        dram: str,
        interface: DramInterface,
        on_chip_bytes: float,
        peak_macs_per_s: float,
        compute_efficiency: float,
        mlp: float,
        on_chip_latency_ns: float,
    ) -> None:
        timing = interface.timing(
            peak_macs_per_s=peak_macs_per_s,
            compute_efficiency=compute_efficiency,
            clock_hz=1.0,  # unused: no simulator cycles on these platforms
            mlp=mlp,
            on_chip_latency_ns=on_chip_latency_ns,
        )
        super().__init__(name=name, dram=dram, interface=interface, timing=timing)
        self.on_chip_bytes = on_chip_bytes

    @classmethod
    @abstractmethod
    def capacity_and_peak(cls, params: Mapping[str, Any]) -> tuple[float, float]:
        """``(on_chip_bytes, peak_macs_per_s)`` from the plugin's own :attr:`FIELDS` (validated here)."""

    @classmethod
    def from_config(cls, params: Mapping[str, Any], **runtime: Any) -> CachedProcessor:
        cls.check_fields(params, cls.FIELDS)
        on_chip_bytes, peak_macs_per_s = cls.capacity_and_peak(params)
        return cls(
            name=str(params["name"]),
            dram=params["dram"],
            interface=DramInterface.from_params(params),
            on_chip_bytes=on_chip_bytes,
            peak_macs_per_s=peak_macs_per_s,
            compute_efficiency=field_number(params, "compute_efficiency", low=1e-3, high=1),
            mlp=field_number(params, "mlp", low=1),
            on_chip_latency_ns=field_number(params, "on_chip_latency_ns", low=0),
        )

    def layer_traffic(self, layer: Layer, *, bytes_per_value: float) -> LayerTraffic:
        return analytical_traffic(
            layer,
            capacity_bytes=self.on_chip_bytes,
            bytes_per_value=bytes_per_value,
            access_bytes=self.interface.access_bytes,
            interleave_bytes=self.interface.interleave_bytes,
        )
