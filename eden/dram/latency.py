"""DRAM access latency and the time of an access stream, as tRCD is reduced.

- row hit:  ``CL + tBURST`` (the row is open: column access only)
- row miss: ``tRP + tRCD + CL + tBURST`` (a conflict: precharge the open row, activate the new one, read)

A stream of N column accesses with row-hit rate h and memory-level parallelism m takes

``max(N · (h·hit + (1 − h)·miss) / m,  N · tBURST / channels)``

the larger of its latency-bound time and its data-bus time. Only the miss latency depends on tRCD, so a stream
gains from a lower tRCD in proportion to its misses and loses the gain once it is bandwidth-bound
(streaming, prefetched accelerator traffic: paper §7.3). tRCD may go to 0 here (the paper's "ideal tRCD = 0"
bound); whether a tRCD is safe is the BER model's business.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from eden.dram.energy import burst_ns
from eden.dram.stream import AccessStream
from eden.errors import ConfigError

if TYPE_CHECKING:
    from eden.dram.device import DramDevice


def _trcd(device: DramDevice, trcd: float | None) -> float:
    if trcd is None:
        return device.nominal.trcd
    if not isinstance(trcd, int | float) or not math.isfinite(trcd) or trcd < 0:
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
    if not 0 <= row_hit_rate <= 1:
        raise ConfigError("stream.row_hit_rate", row_hit_rate, "a number in [0, 1]")
    return row_hit_rate * row_hit_latency_ns(device) + (1 - row_hit_rate) * row_miss_latency_ns(device, trcd)


def memory_time_s(device: DramDevice, stream: AccessStream, trcd: float | None = None) -> float:
    """Time to serve ``stream``: latency-bound (accesses · mean latency / MLP) or bus-bound, the longer."""
    accesses = stream.bursts(device.organization)
    latency_bound = accesses * mean_access_latency_ns(device, stream.row_hit_rate, trcd) / stream.mlp
    bus_bound = accesses * burst_ns(device) / device.organization.channels
    return max(latency_bound, bus_bound) * 1e-9


def speedup(device: DramDevice, stream: AccessStream, trcd: float) -> float:
    """Memory time at nominal tRCD over memory time at ``trcd`` (1.0 for an empty stream)."""
    reduced = memory_time_s(device, stream, trcd)
    return memory_time_s(device, stream) / reduced if reduced > 0 else 1.0
