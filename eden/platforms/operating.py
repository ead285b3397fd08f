"""Operating points as the platform models read them from a mapping, and the DRAM costs they need.

A mapping gives, per EDEN data-type key (``"<layer>.weights"`` / ``"<layer>.ifm"``), the operating
point of the partition holding it. Any object with ``vdd`` and ``trcd`` (or ``trcd_ns``) attributes (e.g.
:class:`eden.dram.operating_point.OperatingPoint`), a ``{"vdd": .., "trcd": ..}`` dict or a ``(vdd, trcd)``
pair is accepted; missing keys are at nominal.

The paper characterizes one module (vendor A) and applies the *reductions* it tolerates (ΔVDD, ΔtRCD,
Table 3) to each platform's own memory. So a point is read relative to the nominal of the device it was
characterized on (its ``nominal_vdd``/``nominal_trcd`` attributes when it has them, else the reference
passed in) and the same deltas are applied to the platform memory's nominal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from eden.errors import ConfigError

if TYPE_CHECKING:
    from eden.platforms.memory_time import LayerIssue


@dataclass(frozen=True)
class OpPoint:
    """Supply voltage (V) and activation latency tRCD (ns) of one DRAM partition."""

    vdd: float
    trcd: float


def as_op_point(value: Any, *, key: str, memory: OpPoint, reference: OpPoint | None = None) -> OpPoint:
    """One mapping value as a point of the platform ``memory`` (deltas from ``reference``; see above)."""
    vdd: Any
    trcd: Any
    if isinstance(value, OpPoint):
        vdd, trcd = value.vdd, value.trcd
    elif isinstance(value, Mapping):
        vdd, trcd = value.get("vdd"), value.get("trcd", value.get("trcd_ns"))
    elif isinstance(value, tuple | list) and len(value) == 2:
        vdd, trcd = value
    else:
        vdd = getattr(value, "vdd", None)
        trcd = getattr(value, "trcd", getattr(value, "trcd_ns", None))
    if not isinstance(vdd, int | float) or not isinstance(trcd, int | float) or vdd <= 0 or trcd < 0:
        raise ConfigError(f"mapping[{key}]", value, "an operating point with vdd > 0 (V) and trcd >= 0 (ns)")
    nominal_vdd = getattr(value, "nominal_vdd", None)
    nominal_trcd = getattr(value, "nominal_trcd", None)
    if isinstance(nominal_vdd, int | float) and isinstance(nominal_trcd, int | float):
        ref = OpPoint(float(nominal_vdd), float(nominal_trcd))
    else:
        ref = reference or memory
    new_vdd = memory.vdd + (float(vdd) - ref.vdd)
    if new_vdd <= 0:
        raise ConfigError(f"mapping[{key}]", value, f"a VDD reduction smaller than the memory's {memory.vdd:g} V")
    return OpPoint(new_vdd, max(0.0, memory.trcd + (float(trcd) - ref.trcd)))


class DramCosts(Protocol):
    """What the platform models need from a DRAM device: energy per event and latency at a point.

    Energies in joules, powers in watts, times in ns; energies in the physical (``idd``) scaling.
    Implemented by :class:`eden.platforms.dram_costs.DeviceCosts` on the ``dram`` registry's devices.
    """

    @property
    def nominal(self) -> OpPoint: ...

    def check(self, op: OpPoint) -> None:
        """ConfigError (one line naming ``dram.vdd``/``dram.trcd``) if ``op`` lies outside the memory's range."""
        ...

    def read_energy(self, op: OpPoint, nbytes: float) -> float: ...

    def write_energy(self, op: OpPoint, nbytes: float) -> float: ...

    def activation_energy(self, op: OpPoint) -> float: ...

    def active_fraction(self, *, nbytes: float, activations: float, duration_s: float) -> float:
        """Share of the time a row is open in the ranks, given a layer's traffic and duration."""
        ...

    def background_power(self, op: OpPoint, *, active_fraction: float) -> float:
        """Standby + refresh power of the whole device at ``op`` (W)."""
        ...

    def access_latency_ns(self, op: OpPoint, *, row_hit: bool) -> float: ...

    @property
    def banks_per_channel(self) -> int:
        """Banks a stream's row can be disturbed in: lines interleave over the channels, so every stream visits
        every channel, and another stream disturbs it in one of that channel's banks."""
        ...

    def memory_time_s(
        self, *, trcd: float, issue: LayerIssue, extra_latency_ns: float, closed_page: bool
    ) -> tuple[float, bool]:
        """(time to serve the layer's accesses through banks and buses, whether a bank or bus saturates)."""
        ...

    def paper_scale(self, op: OpPoint) -> float:
        """Energy factor of EDEN's linear VDD scaling: ``1 − ΔVDD / V_ref``."""
        ...
