"""The platform models' view of a ``dram`` device: energy per event, background power and latency.

A thin adapter over :mod:`eden.dram.energy` (Micron TN-40-07 / DRAMPower method) and
:mod:`eden.dram.latency`, always in the physical ``idd`` scaling; EDEN's linear ``paper`` scaling is
applied by the composition through :meth:`DeviceCosts.paper_scale`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eden.dram import energy, latency
from eden.dram.device import DRAMS, DramDevice
from eden.errors import ConfigError
from eden.platforms.memory_time import LayerIssue
from eden.platforms.operating import OpPoint

#: A memory term counts as bandwidth-bound (not latency-bound) once its bottleneck is this busy.
SATURATED = 0.9


@lru_cache(maxsize=32)
def _load(name: str) -> DramDevice:
    from eden import conf

    choices = conf.options("dram")
    if name not in choices:
        raise ConfigError("platform.dram", name, choices)
    return DRAMS.build(conf.load("dram", name))


def device_of(memory: str | DramDevice) -> DramDevice:
    """A device object from a ``dram`` member name (its YAML in ``conf/dram``) or the device itself."""
    if isinstance(memory, DramDevice):
        return memory
    if isinstance(memory, str):
        return _load(memory)
    raise ConfigError("platform.dram", memory, "a dram member name or a DramDevice")


def nominal_of(device: Any) -> OpPoint:
    """Nominal (VDD, tRCD) of a device, a device name, or an :class:`OpPoint` itself."""
    if isinstance(device, OpPoint):
        return device
    d = device_of(device)
    return OpPoint(d.nominal.vdd, d.nominal.trcd)


class DeviceCosts:
    """:class:`eden.platforms.operating.DramCosts` of one ``dram`` device."""

    def __init__(self, device: DramDevice) -> None:
        self.device = device
        self._nominal = OpPoint(device.nominal.vdd, device.nominal.trcd)

    @property
    def nominal(self) -> OpPoint:
        return self._nominal

    def check(self, op: OpPoint) -> None:
        self.device.operating_range.check("vdd", op.vdd, self.device.name)
        self.device.operating_range.check("trcd", op.trcd, self.device.name)

    def read_energy(self, op: OpPoint, nbytes: float) -> float:
        return energy.read_energy_j(self.device, nbytes, op.vdd, scaling="idd")

    def write_energy(self, op: OpPoint, nbytes: float) -> float:
        return energy.write_energy_j(self.device, nbytes, op.vdd, scaling="idd")

    def activation_energy(self, op: OpPoint) -> float:
        return energy.activate_energy_j(self.device, op.vdd, scaling="idd")

    def active_fraction(self, *, nbytes: float, activations: float, duration_s: float) -> float:
        # eden.dram.energy.active_fraction's rule: (activates·tRAS + bursts·tBURST) over the ranks' time.
        org, t = self.device.organization, self.device.timings
        busy_ns = activations * t.tras + nbytes / org.burst_bytes * energy.burst_ns(self.device)
        return min(1.0, busy_ns * 1e-9 / max(duration_s * org.channels * org.ranks, 1e-30))

    def background_power(self, op: OpPoint, *, active_fraction: float) -> float:
        return energy.background_power_w(
            self.device, op.vdd, active_fraction=active_fraction, scaling="idd"
        ) + energy.refresh_power_w(self.device, op.vdd, scaling="idd")

    def access_latency_ns(self, op: OpPoint, *, row_hit: bool) -> float:
        return latency.access_latency_ns(self.device, row_hit=row_hit, trcd=op.trcd)

    @property
    def banks_per_channel(self) -> int:
        return latency.banks_per_channel(self.device)

    def memory_time_s(
        self, *, trcd: float, issue: LayerIssue, extra_latency_ns: float, closed_page: bool
    ) -> tuple[float, bool]:
        """The analytic model: :func:`eden.dram.latency.banked_memory_time` at the layer's row-hit rate."""
        served = latency.banked_memory_time(
            self.device,
            accesses=issue.accesses,
            row_hit_rate=issue.row_hit_rate,
            mlp=issue.mlp,
            trcd=trcd,
            extra_latency_ns=extra_latency_ns,
            closed_page=closed_page,
        )
        return served.time_s, served.utilization >= SATURATED

    def paper_scale(self, op: OpPoint) -> float:
        return energy.voltage_factor(self.device, op.vdd, scaling="paper")


@lru_cache(maxsize=32)
def _costs_by_name(name: str) -> DeviceCosts:
    return DeviceCosts(_load(name))


def costs_for(memory: str | DramDevice | DeviceCosts) -> DeviceCosts:
    """Costs of a device given by name (cached) or as an object."""
    if isinstance(memory, DeviceCosts):  # a costs model of its own (e.g. the simulated controller)
        return memory
    return _costs_by_name(memory) if isinstance(memory, str) else DeviceCosts(device_of(memory))
