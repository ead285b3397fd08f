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
