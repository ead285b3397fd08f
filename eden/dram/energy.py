"""DRAM energy by the IDD method of Micron TN-40-07 / DRAMPower, per partition at its VDD.

Per chip and rail (voltage V, currents in the YAML; t in ns, so mA·ns·V = pJ):

- activate (one ACT + PRE pair): ``V · (IDD0·tRC − (IDD3N·tRAS + IDD2N·(tRC − tRAS)))``
- read / write burst:            ``V · (IDD4R − IDD3N) · tBURST`` / ``V · (IDD4W − IDD3N) · tBURST``,
  with ``tBURST = BL / data_rate · tCK``
- refresh (one REF):             ``V · (IDD5 − IDD3N) · tRFC``, one every tREFI
- background power:              ``V · (IDD3N · f_active + IDD2N · (1 − f_active))``

Activates and bursts involve every chip of a rank; background and refresh every chip of the device (times a
partition's capacity share). I/O energy per bit (``energy.io_*_pj_per_bit``) is added to reads and writes.

Voltage scaling (``scaling``; default the YAML's ``energy.scaling``), for VDD below nominal:

- ``idd`` (physical): a DRAM chip draws its VDD current partly through on-die regulators and current sources
  that make its internal array and peripheral voltages (Vogelsang, "Understanding the Energy Consumption of
  Dynamic Random Access Memories", MICRO 2010, §3: VINT/VBLH are regulated down from VDD), whose current does
  not change with VDD, and partly in logic and I/O on VDD itself, whose current falls ∝ VDD. With
  ``r = regulated_share`` and ``v = V/V_nom`` the VDD-rail energy factor is ``v · (r + (1 − r) · v)``: ``r = 1``
  is the paper's rule on the part's own VDD (currents fixed, energy ∝ V), ``r = 0`` all-CMOS (energy ∝ V²).
  The auxiliary rail (VPP, VDD1) keeps its voltage and energy.
- ``paper``: every term times ``1 − (V_nom − V) / paper_reference_vdd``: energy ∝ VDD relative to 1.2 V, the
  rule behind EDEN's Fig. 13 (ΔVDD 0.30 V → 25.0% less DRAM energy).

tRCD does not enter the energy terms (the paper lowers tRCD alone; tRAS and tRC stay); it changes energy only
through the duration the caller passes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from eden.dram.spec import SCALINGS, Rail
from eden.dram.stream import EMPTY, AccessStream
from eden.errors import ConfigError

if TYPE_CHECKING:
    from eden.dram.device import DramDevice
    from eden.dram.partitions import Partition

_PJ = 1e-12


@dataclass(frozen=True)
class EnergyBreakdown:
    """DRAM energy in joules by TN-40-07 component."""

    background_j: float = 0.0
    activate_j: float = 0.0
    read_j: float = 0.0
    write_j: float = 0.0
    refresh_j: float = 0.0

    @property
    def read_write_j(self) -> float:
        return self.read_j + self.write_j

    @property
    def total_j(self) -> float:
        return self.background_j + self.activate_j + self.read_j + self.write_j + self.refresh_j

    def __add__(self, other: EnergyBreakdown) -> EnergyBreakdown:
        return EnergyBreakdown(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def as_dict(self) -> dict[str, float]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["total_j"] = self.total_j
        return out


def total(breakdowns: Iterable[EnergyBreakdown]) -> EnergyBreakdown:
    result = EnergyBreakdown()
    for b in breakdowns:
        result = result + b
    return result


# ------------------------------------------------------------------------------------------ voltage scaling
def _scaling(device: DramDevice, scaling: str | None) -> str:
    scaling = device.energy.scaling if scaling is None else scaling
    if scaling not in SCALINGS:
        raise ConfigError("dram.energy.scaling", scaling, SCALINGS)
    return scaling


def _vdd(device: DramDevice, vdd: float | None) -> float:
    """``vdd`` inside the part's declared operating range (its currents are not extrapolated), else ConfigError."""
    if vdd is None:
        return device.nominal.vdd
    return device.operating_range.check("vdd", vdd, device.name)


def voltage_factor(
    device: DramDevice, vdd: float | None, *, scaling: str | None = None, aux: bool = False
) -> float:
    """Energy at ``vdd`` over energy at nominal VDD for one rail's terms (``aux``: the auxiliary rail)."""
    v, mode = _vdd(device, vdd), _scaling(device, scaling)
    nominal = device.nominal.vdd
    if mode == "paper":
        factor = 1.0 - (nominal - v) / device.energy.paper_reference_vdd
        if factor <= 0:
            raise ConfigError(
                "dram.vdd", vdd, f"a voltage above {nominal - device.energy.paper_reference_vdd:g} V"
            )
        return factor
    if aux:
        return 1.0
    r, x = device.energy.regulated_share, v / nominal
    return x * (r + (1.0 - r) * x)


def _rails(device: DramDevice) -> list[tuple[Rail, bool]]:
    return [(device.rail, False)] + ([(device.aux_rail, True)] if device.aux_rail is not None else [])


def burst_ns(device: DramDevice) -> float:
    org = device.organization
    return org.burst_length / org.data_rate * device.timings.tck


# ----------------------------------------------------------------------------------- per-chip nominal terms
def activate_increment_pj(rail: Rail, tras: float, trc: float) -> float:
    """TN-40-07 activate energy of one chip on one rail (pJ), above background."""
    return rail.voltage * (rail.idd0 * trc - (rail.idd3n * tras + rail.idd2n * (trc - tras)))


def _per_chip(device: DramDevice, vdd: float | None, scaling: str | None, term: str) -> float:
    """One per-chip energy term (pJ) or power term (mW) summed over the rails at ``vdd``."""
    t = device.timings
    out = 0.0
    for rail, aux in _rails(device):
        value = {
            "act": lambda r: activate_increment_pj(r, t.tras, t.trc),
            "rd": lambda r: r.voltage * (r.idd4r - r.idd3n) * burst_ns(device),
            "wr": lambda r: r.voltage * (r.idd4w - r.idd3n) * burst_ns(device),
            "ref": lambda r: r.voltage * (r.idd5 - r.idd3n) * t.trfc,
            "p3n": lambda r: r.voltage * r.idd3n,
            "p2n": lambda r: r.voltage * r.idd2n,
        }[term](rail)
        out += value * voltage_factor(device, vdd, scaling=scaling, aux=aux)
    return out


# --------------------------------------------------------------------------------------- per-event energies
def activate_energy_j(device: DramDevice, vdd: float | None = None, *, scaling: str | None = None) -> float:
    """Energy of one row activation + precharge on a rank (all its chips), J."""
    return device.organization.chips_per_rank * _per_chip(device, vdd, scaling, "act") * _PJ


def read_energy_j(
    device: DramDevice, nbytes: float, vdd: float | None = None, *, scaling: str | None = None
) -> float:
    """Energy of reading ``nbytes`` from open rows (bursts + I/O), J."""
    org = device.organization
    core = nbytes / org.burst_bytes * org.chips_per_rank * _per_chip(device, vdd, scaling, "rd")
    io = nbytes * 8 * device.energy.io_read_pj_per_bit * voltage_factor(device, vdd, scaling=scaling)
    return (core + io) * _PJ


def write_energy_j(
    device: DramDevice, nbytes: float, vdd: float | None = None, *, scaling: str | None = None
) -> float:
    """Energy of writing ``nbytes`` into open rows (bursts + I/O), J."""
    org = device.organization
    core = nbytes / org.burst_bytes * org.chips_per_rank * _per_chip(device, vdd, scaling, "wr")
    io = nbytes * 8 * device.energy.io_write_pj_per_bit * voltage_factor(device, vdd, scaling=scaling)
    return (core + io) * _PJ


def background_power_w(
    device: DramDevice,
    vdd: float | None = None,
    *,
    active_fraction: float,
    share: float = 1.0,
    scaling: str | None = None,
) -> float:
    """Standby power of ``share`` of the device with a row open ``active_fraction`` of the time, W."""
    p3n, p2n = _per_chip(device, vdd, scaling, "p3n"), _per_chip(device, vdd, scaling, "p2n")
    per_chip_mw = active_fraction * p3n + (1.0 - active_fraction) * p2n
    return share * device.organization.chips * per_chip_mw * 1e-3


def refresh_power_w(
    device: DramDevice, vdd: float | None = None, *, share: float = 1.0, scaling: str | None = None
) -> float:
    """Average refresh power of ``share`` of the device (one REF per tREFI), W."""
    per_ref_pj = _per_chip(device, vdd, scaling, "ref")
    return share * device.organization.chips * per_ref_pj * _PJ / (device.timings.trefi * 1e-9)


def relative_access_energy(device: DramDevice, vdd: float, *, scaling: str | None = None) -> float:
    """Energy of one row-miss read (activate + one burst) at ``vdd`` over the same at nominal VDD.

    What the mapping stage compares partitions by; with ``scaling=paper`` it is exactly 1 − ΔVDD / 1.2 V.
    """
    nbytes = device.organization.burst_bytes
    at_vdd = activate_energy_j(device, vdd, scaling=scaling) + read_energy_j(
        device, nbytes, vdd, scaling=scaling
    )
    nominal = activate_energy_j(device, scaling=scaling) + read_energy_j(device, nbytes, scaling=scaling)
    return at_vdd / nominal


# ----------------------------------------------------------------------------------------- stream energies
def active_fraction(device: DramDevice, stream: AccessStream, duration_s: float, share: float = 1.0) -> float:
    """Share of time a row is open: the stream's own value, else (activates·tRAS + bursts·tBURST) over the
    time of the ranks it may use (a lower bound: an open-page controller keeps rows open longer)."""
    if stream.active_fraction is not None:
        return stream.active_fraction
    org = device.organization
    busy_ns = stream.activates(org) * device.timings.tras + stream.bursts(org) * burst_ns(device)
    ranks = max(share * org.channels * org.ranks, 1e-12)
    return min(1.0, busy_ns * 1e-9 / (duration_s * ranks))


def stream_energy(
    device: DramDevice,
    stream: AccessStream,
    *,
    duration_s: float,
    vdd: float | None = None,
    share: float = 1.0,
    scaling: str | None = None,
) -> EnergyBreakdown:
    """Energy of ``stream`` over ``duration_s`` on ``share`` of the device, at ``vdd`` (default nominal)."""
    if not isinstance(duration_s, int | float) or not math.isfinite(duration_s) or duration_s <= 0:
        raise ConfigError("stream.duration_s", duration_s, "a number > 0 (s)")
    if not 0 < share <= 1:
        raise ConfigError("partition.share", share, "a number in (0, 1]")
    f_act = active_fraction(device, stream, duration_s, share)
    return EnergyBreakdown(
        background_j=background_power_w(device, vdd, active_fraction=f_act, share=share, scaling=scaling)
        * duration_s,
        activate_j=stream.activates(device.organization) * activate_energy_j(device, vdd, scaling=scaling),
        read_j=read_energy_j(device, stream.bytes_read, vdd, scaling=scaling),
        write_j=write_energy_j(device, stream.bytes_written, vdd, scaling=scaling),
        refresh_j=refresh_power_w(device, vdd, share=share, scaling=scaling) * duration_s,
    )


def partition_energy(
    device: DramDevice,
    partitions: Sequence[Partition],
    streams: Mapping[str, AccessStream],
    *,
    duration_s: float,
    scaling: str | None = None,
) -> dict[str, EnergyBreakdown]:
    """Energy per partition (by name), each at its own VDD; a partition without a stream still idles and
    refreshes."""
    unknown = sorted(set(streams) - {p.name for p in partitions})
    if unknown:
        raise ConfigError("streams", unknown, f"partition names: {', '.join(p.name for p in partitions)}")
    return {
        p.name: stream_energy(
            device,
            streams.get(p.name, EMPTY),
            duration_s=duration_s,
            vdd=p.point.vdd,
            share=p.share,
            scaling=scaling,
        )
        for p in partitions
    }


def energy_reduction(
    device: DramDevice,
    partitions: Sequence[Partition],
    streams: Mapping[str, AccessStream],
    *,
    duration_s: float,
    nominal_duration_s: float | None = None,
    scaling: str | None = None,
) -> float:
    """1 − E(partitioned) / E(everything at nominal), for the same streams.

    ``nominal_duration_s``: the run time at nominal tRCD, if it differs from ``duration_s``.
    """
    approx = total(
        partition_energy(device, partitions, streams, duration_s=duration_s, scaling=scaling).values()
    )
    nominal = total(
        stream_energy(
            device,
            streams.get(p.name, EMPTY),
            duration_s=nominal_duration_s or duration_s,
            share=p.share,
            scaling=scaling,
        )
        for p in partitions
    )
    return 1.0 - approx.total_j / nominal.total_j
