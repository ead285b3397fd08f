"""Cache-based processors (CPU, GPU): analytical tiling traffic over the last-level cache."""

from __future__ import annotations

from eden.platforms.base import Platform
from eden.platforms.composition import TimingModel
from eden.platforms.topology import Topology
from eden.platforms.traffic import LayerTraffic, analytical_traffic


class CachedProcessor(Platform):
    """A processor whose DRAM traffic follows the tiling model of :mod:`eden.platforms.traffic`.

    Subclasses (the ``cpu`` and ``gpu`` plugins) turn their hardware description into these rates.
    Latency is exposed: ``mlp`` DRAM accesses in flight at most (misses the core cannot overlap).
    """

    def __init__(
        self,
        *,
        name: str,
        dram: str,
        on_chip_bytes: float,
        peak_macs_per_s: float,
        compute_efficiency: float,
        bandwidth_bytes_per_s: float,
        bandwidth_efficiency: float,
        mlp: float,
        on_chip_latency_ns: float,
        access_bytes: int,
        interleave_bytes: int,
    ) -> None:
        super().__init__(name=name, dram=dram)
        self.on_chip_bytes = on_chip_bytes
        self.access_bytes, self.interleave_bytes = access_bytes, interleave_bytes
        self._timing = TimingModel(
            peak_macs_per_s=peak_macs_per_s,
            compute_efficiency=compute_efficiency,
            clock_hz=1.0,  # unused: no simulator cycles on these platforms
            bandwidth_bytes_per_s=bandwidth_bytes_per_s,
            bandwidth_efficiency=bandwidth_efficiency,
            mlp=mlp,
            on_chip_latency_ns=on_chip_latency_ns,
            access_bytes=access_bytes,
        )

    def traffic(self, topology: Topology, *, bytes_per_value: float) -> list[LayerTraffic]:
        return [
            analytical_traffic(
                layer,
                capacity_bytes=self.on_chip_bytes,
                bytes_per_value=bytes_per_value,
                access_bytes=self.access_bytes,
                interleave_bytes=self.interleave_bytes,
            )
            for layer in topology
        ]

    def timing(self) -> TimingModel:
        return self._timing
