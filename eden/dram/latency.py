"""DRAM access latency and the time of an access stream, as tRCD is reduced.

- row hit:  ``CL + tBURST`` (the row is open: column access only)
- row miss: ``tRP + tRCD + CL + tBURST`` (a conflict: precharge the open row, activate the new one, read)

A stream is served by ``mlp`` requests in flight (memory-level parallelism). Each request spends its array time
``D = h·CL + (1 − h)·(tRP + tRCD + CL)`` (h = row-hit rate; banks work in parallel, so this is a pure delay)
and then ``tBURST`` on one of the ``channels`` data buses, which requests share. That is a closed queueing
network, solved exactly by mean-value analysis (Reiser & Lavenberg, JACM 1980); the ``channels`` buses are one
queue of service ``tBURST/channels`` plus a delay ``tBURST·(channels − 1)/channels`` (Seidmann's multi-server
approximation), so one request alone sees exactly the mean access latency. Consequences:

- ``mlp = 1`` (fully latency-bound): time = accesses × mean latency; a lower tRCD gains in proportion to the
  row-miss share ``1 − h``.
- larger ``mlp``: latencies overlap, the buses saturate (throughput → channels / tBURST) and the tRCD gain
  shrinks to nothing once the stream is bandwidth-bound (streaming, prefetched accelerator traffic: paper §7.3).

tRCD may go to 0 here (the paper's "ideal tRCD = 0" bound); whether a tRCD is safe is the BER model's business.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eden.dram.energy import burst_ns
from eden.dram.stream import AccessStream
from eden.errors import ConfigError

if TYPE_CHECKING:
    from eden.dram.device import DramDevice

#: MVA stops adding requests once throughput is this close to the bus limit (the rest changes nothing).
_SATURATED = 1e-12


def _trcd(device: DramDevice, trcd: float | None) -> float:
    if trcd is None:
        return device.nominal.trcd
    if not isinstance(trcd, int | float) or isinstance(trcd, bool) or not math.isfinite(trcd) or trcd < 0:
        raise ConfigError("dram.trcd", trcd, "a number >= 0 (ns)")
    return float(trcd)


def row_hit_latency_ns(device: DramDevice) -> float:
    """Read latency when the row is already open: CL + tBURST."""
    return device.timings.cl + burst_ns(device)


def row_miss_latency_ns(device: DramDevice, trcd: float | None = None) -> float:
    """Read latency of a row conflict: tRP + tRCD + CL + tBURST (tRCD defaults to nominal)."""
    return device.timings.trp + _trcd(device, trcd) + device.timings.cl + burst_ns(device)


def access_latency_ns(device: DramDevice, *, row_hit: bool, trcd: float | None = None) -> float:
    return row_hit_latency_ns(device) if row_hit else row_miss_latency_ns(device, trcd)


def mean_access_latency_ns(device: DramDevice, row_hit_rate: float, trcd: float | None = None) -> float:
    """Average latency of one column access at row-hit rate ``row_hit_rate``."""
    if not isinstance(row_hit_rate, int | float) or not 0 <= row_hit_rate <= 1:
        raise ConfigError("stream.row_hit_rate", row_hit_rate, "a number in [0, 1]")
    return row_hit_rate * row_hit_latency_ns(device) + (1 - row_hit_rate) * row_miss_latency_ns(device, trcd)


def mva_throughput(delay_ns: float, service_ns: float, mlp: float) -> float:
    """Requests per ns of ``mlp`` requests cycling through a delay ``delay_ns`` and one FIFO server.

    Exact mean-value analysis for integer populations; a fractional ``mlp`` interpolates linearly between
    its neighbours (throughput is concave in the population, so this never overstates it).
    """
    if not (math.isfinite(mlp) and mlp >= 1):
        raise ConfigError("stream.mlp", mlp, "a number >= 1 (requests in flight)")
    limit = 1.0 / service_ns if service_ns > 0 else math.inf
    low = math.floor(mlp)
    frac = mlp - low
    queue, throughputs = 0.0, []
    for n in range(1, low + (2 if frac > 0 else 1)):
        residence = service_ns * (1.0 + queue)  # arrival theorem: it finds the queue of n − 1 requests
        x = n / (delay_ns + residence)
        queue = x * residence
        throughputs.append(x)
        if x >= limit * (1 - _SATURATED):  # saturated bus: further requests only queue
            return x
    x_low = throughputs[low - 1]
    return x_low if frac == 0 else x_low + frac * (throughputs[low] - x_low)


def memory_time_s(device: DramDevice, stream: AccessStream, trcd: float | None = None) -> float:
    """Time to serve ``stream`` with ``stream.mlp`` requests in flight (see the module docstring)."""
    accesses = stream.bursts(device.organization)
    if accesses == 0:
        return 0.0
    channels = device.organization.channels
    t_burst = burst_ns(device)
    array_ns = mean_access_latency_ns(device, stream.row_hit_rate, trcd) - t_burst
    delay_ns = array_ns + t_burst * (channels - 1) / channels
    return accesses / mva_throughput(delay_ns, t_burst / channels, stream.mlp) * 1e-9


def speedup(device: DramDevice, stream: AccessStream, trcd: float) -> float:
    """Memory time at nominal tRCD over memory time at ``trcd`` (1.0 for an empty stream)."""
    reduced = memory_time_s(device, stream, trcd)
    return memory_time_s(device, stream) / reduced if reduced > 0 else 1.0


# ------------------------------------------------------------------------------ banked closed network
def bank_occupancy_ns(device: DramDevice, row_hit_rate: float, trcd: float, *, closed_page: bool) -> float:
    """Time one access holds its bank: a column burst on a hit; a miss holds it for the longer of the
    PRE→ACT→RD sequence and tRC, because successive ACTs to one bank are tRC apart and tRAS (hence tRC)
    is not lowered with tRCD (EDEN lowers tRCD alone, paper §5)."""
    t, tb = device.timings, burst_ns(device)
    miss = max(t.trc, (0.0 if closed_page else t.trp) + trcd + tb)
    hit = 0.0 if closed_page else row_hit_rate
    return hit * tb + (1 - hit) * miss


def unloaded_latency_ns(device: DramDevice, row_hit_rate: float, trcd: float, *, closed_page: bool) -> float:
    """DRAM part of one access's latency with no queueing: a closed page never pays tRP in the path (its
    row was precharged after the last access) and never hits."""
    if closed_page:
        return _trcd(device, trcd) + row_hit_latency_ns(device)
    return mean_access_latency_ns(device, row_hit_rate, trcd)


def banked_throughput(
    *, latency_ns: float, bank_ns: float, banks: int, bus_ns: float, buses: int, population: float
) -> float:
    """Accesses per ns of ``population`` accesses in flight through ``banks`` and ``buses`` FIFO queues.

    Mean-value analysis (Reiser & Lavenberg, JACM 1980) of a closed network: each access pays the unloaded
    ``latency_ns`` plus, at the one bank and one bus it visits (uniformly), the service of the accesses it
    finds queued there (arrival theorem). ``bank_ns``/``bus_ns`` are the times an access holds a bank / a data
    bus. One access alone sees ``latency_ns``; many saturate the bottleneck at ``min(banks/bank_ns,
    buses/bus_ns)``. A fractional population interpolates between its integer neighbours.
    """
    if not (math.isfinite(population) and population >= 1):
        raise ConfigError("stream.mlp", population, "a number >= 1 (requests in flight)")
    limit = min(banks / bank_ns if bank_ns > 0 else math.inf, buses / bus_ns if bus_ns > 0 else math.inf)
    q_bank = q_bus = 0.0
    previous = x = 0.0
    top = math.ceil(population)
    for n in range(1, top + 1):
        w_bank, w_bus = bank_ns * q_bank, bus_ns * q_bus
        previous, x = x, n / (latency_ns + w_bank + w_bus)
        q_bank, q_bus = x * (bank_ns + w_bank) / banks, x * (bus_ns + w_bus) / buses
        if x >= limit * (1 - 1e-9):  # saturated: more requests only queue (exact limit: monotone in latency)
            return limit
    frac = population - math.floor(population)
    return x if frac == 0 else previous + frac * (x - previous)


@dataclass(frozen=True)
class MemoryTime:
    """Time to serve a stream, and how close its bottleneck (a bank or a bus) is to saturation (0–1)."""

    time_s: float
    utilization: float


def banked_memory_time(
    device: DramDevice,
    *,
    accesses: float,
    row_hit_rate: float,
    mlp: float,
    trcd: float | None = None,
    extra_latency_ns: float = 0.0,
    closed_page: bool = False,
) -> MemoryTime:
    """Time to serve ``accesses`` with ``mlp`` in flight over the device's banks and channels (see
    :func:`banked_throughput`); ``extra_latency_ns`` is the on-chip part of each access's round trip."""
    if accesses <= 0:
        return MemoryTime(0.0, 0.0)
    if not isinstance(row_hit_rate, int | float) or not 0 <= row_hit_rate <= 1:
        raise ConfigError("stream.row_hit_rate", row_hit_rate, "a number in [0, 1]")
    t = _trcd(device, trcd)
    org = device.organization
    banks, bank_ns, bus_ns = (
        total_banks(device),
        bank_occupancy_ns(device, row_hit_rate, t, closed_page=closed_page),
        burst_ns(device),
    )
    x = banked_throughput(
        latency_ns=extra_latency_ns + unloaded_latency_ns(device, row_hit_rate, t, closed_page=closed_page),
        bank_ns=bank_ns,
        banks=banks,
        bus_ns=bus_ns,
        buses=org.channels,
        population=min(mlp, max(accesses, 1.0)),
    )
    limit = min(banks / bank_ns, org.channels / bus_ns)
    return MemoryTime(accesses / x * 1e-9, x / limit)


def banks_per_channel(device: DramDevice) -> int:
    """Banks one channel's accesses spread over: per chip banks × ranks (a rank's chips act as one)."""
    return device.organization.ranks * device.geometry.banks


def total_banks(device: DramDevice) -> int:
    """Banks that serve accesses independently: per chip banks × ranks × channels (a rank's chips act as one)."""
    org = device.organization
    return org.channels * org.ranks * device.geometry.banks
