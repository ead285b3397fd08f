"""How long a cache-based processor (CPU, GPU) waits for DRAM in one layer, and why tRCD changes it.

Per layer, from its shape and its DRAM traffic (:mod:`eden.platforms.traffic`):

* **Contexts.** The cores / SMs that work on the layer: ``min(contexts, work units)``, a work unit being one
  ``work_tile × work_tile`` block of the layer's output GEMM (M = output pixels, N = filters) per group. A small
  layer (batch-1 fully connected, late 7×7 stages) occupies few SMs, so it also keeps few accesses in flight.
* **Concurrent streams.** Each context reads its weights (one sequential stream), writes its outputs (one) and
  reads its input feature map as one stream per input-channel plane of a group (NCHW: the reduction of a
  convolution walks every channel of the group at once), merged where planes are smaller than the stretch
  ``interleave_bytes`` a sequential stream keeps in one row: ``min(C_in/groups, ifm bytes per group /
  interleave_bytes)``, at least 1.
* **Row-buffer hits** (open-page controller): a stream hits its open row for all but the first access of each
  ``interleave_bytes`` stretch, unless another stream opened a different row of the same bank in between. With
  ``S`` streams spread uniformly over ``B`` banks and interleaved access by access,
  ``h = (1 − access_bytes / interleave_bytes) · (1 − 1/B)^(S − 1)``. More streams than banks → mostly misses.
  ``B`` is the banks of *one channel*: lines interleave over the channels (lowest address bits), so every
  stream visits every channel and meets all other streams there. Checked against the event-driven controller of
  :mod:`eden.dram.controller_sim` (``tests/dram/test_controller_sim.py``); counting all channels' banks
  overstated h (0.37 against a simulated 0.13 for 32 streams on the CPU's memory).
  A closed-page controller never hits (and never pays tRP in the path).
* **Memory-level parallelism**: ``min(active contexts × mlp_per_context, accesses)``.
* **Memory time**: the banked closed network of :func:`eden.dram.latency.banked_memory_time_s`: unloaded latency
  ``on_chip_latency_ns + DRAM latency(h, tRCD)``, queueing at banks (a miss holds its bank ``max(tRC, …)``) and at
  the channels' data buses. tRCD enters the latency of each miss, so it helps where the layer is latency-bound and
  fades where a bank or bus saturates.

The layer takes ``max(compute, memory, bandwidth roof)``; its memory-boundness is ``memory / max(compute,
memory)``, so 1 means DRAM alone sets its time. Layers of the same shape always get the same result: nothing
here is per network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from eden.platforms.topology import Layer
from eden.platforms.traffic import LayerTraffic

PagePolicy = Literal["open", "closed"]
PAGE_POLICIES: tuple[PagePolicy, ...] = ("open", "closed")


@dataclass(frozen=True, kw_only=True)
class IssueModel:
    """The issue side of a cache-based processor: who sends DRAM accesses, how many at once, how far away."""

    contexts: int  # cores (CPU) or streaming multiprocessors (GPU)
    mlp_per_context: float  # DRAM accesses one context keeps in flight
    on_chip_latency_ns: float  # core → last-level-cache miss → memory controller and back, excluding DRAM
    work_tile: int  # edge of the output-GEMM block one context computes (work-unit size)
    page_policy: PagePolicy
    access_bytes: int
    interleave_bytes: int  # bytes a sequential stream reads from one row before moving to another bank


@dataclass(frozen=True, kw_only=True)
class LayerIssue:
    """What one layer presents to the memory system."""

    contexts: int
    streams: float
    row_hit_rate: float
    mlp: float
    accesses: float


def active_contexts(layer: Layer, issue: IssueModel) -> int:
    """Contexts the layer can occupy: one per ``work_tile²`` block of its output GEMM, at most all of them."""
    groups, m, n, _ = layer.gemm()
    units = groups * math.ceil(m / issue.work_tile) * math.ceil(n / issue.work_tile)
    return max(1, min(issue.contexts, units))


def concurrent_streams(layer: Layer, traffic: LayerTraffic, *, contexts: int, interleave_bytes: int) -> float:
    """Sequential access streams in flight at once (module docstring): per context, weights + IFM planes + OFM."""
    ifm_per_group = traffic.ifm_bytes / layer.groups if traffic.ifm_bytes > 0 else 0.0
    planes = layer.in_channels // layer.groups
    ifm_streams = max(1.0, min(planes, ifm_per_group / interleave_bytes)) if ifm_per_group > 0 else 0.0
    if traffic.ifm_streams is not None and ifm_per_group > 0:
        ifm_streams = traffic.ifm_streams
    per_context = (traffic.weight_bytes > 0) + ifm_streams + (traffic.ofm_bytes > 0)
    return max(1.0, contexts * per_context)


def row_hit_rate(*, streams: float, banks: int, access_bytes: int, interleave_bytes: int, policy: PagePolicy) -> float:
    """Open-page hit rate of ``streams`` interleaved sequential streams over ``banks`` banks (module docstring)."""
    if policy == "closed":
        return 0.0
    sequential = max(0.0, 1.0 - access_bytes / interleave_bytes)
    undisturbed = (1.0 - 1.0 / banks) ** max(0.0, streams - 1.0) if banks > 1 else (1.0 if streams <= 1 else 0.0)
    return sequential * undisturbed


def layer_issue(layer: Layer, traffic: LayerTraffic, issue: IssueModel, *, banks: int) -> LayerIssue:
    """Contexts, streams, row-hit rate and MLP of one layer on this processor and memory (``banks`` in all)."""
    contexts = active_contexts(layer, issue)
    streams = concurrent_streams(layer, traffic, contexts=contexts, interleave_bytes=issue.interleave_bytes)
    accesses = traffic.total_bytes / issue.access_bytes
    hit = row_hit_rate(
        streams=streams,
        banks=banks,
        access_bytes=issue.access_bytes,
        interleave_bytes=issue.interleave_bytes,
        policy=issue.page_policy,
    )
    mlp = max(1.0, min(contexts * issue.mlp_per_context, accesses))
    return LayerIssue(contexts=contexts, streams=streams, row_hit_rate=hit, mlp=mlp, accesses=accesses)
