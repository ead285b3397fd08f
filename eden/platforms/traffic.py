"""Per-layer DRAM traffic: what each layer reads and writes per inference, and the analytical model.

The analytical tiling/reuse model (used by ``cpu`` and ``gpu``, and by the accelerators for layers too
large to simulate) treats every layer as ``groups`` independent GEMMs (weights K×N, IFM, OFM):

* If weights, IFM and OFM of a group fit on chip together, each byte crosses the DRAM bus once:
  reads = W + I, writes = O (compulsory traffic).
* Otherwise the on-chip memory is split in half: one half holds a resident block of one operand, the
  other streams the other operand and the outputs. Two loop orders are possible and the cheaper one is
  taken (what a tuned BLAS/cuDNN kernel does):

  - weights resident in ``ceil(W / (C/2))`` blocks of output channels, the IFM streamed once per block:
    reads = W + I·ceil(W / (C/2));
  - IFM resident in ``ceil(I / (C/2))`` blocks of output rows, the weights streamed once per block:
    reads = I + W·ceil(I / (C/2)).

  Outputs are complete when written (the reduction dimension is never split), so writes = O.
* Pooling reads its IFM once and writes its OFM once.

Consequences the tests check: reads ≥ W + I (never below the unique weight bytes), and a larger
on-chip memory never increases traffic (each ``ceil`` term is non-increasing in C). What it leaves
out, on purpose: producer→consumer reuse of an OFM still on chip when the next layer starts (every
layer reads its IFM from DRAM), im2col halos, and cache conflict misses.

Row-buffer hit rate: each operand is a sequential stream; the memory controller interleaves
consecutive ``interleave_bytes`` of the address space over channels and banks, so a stream opens a row
once per interleave chunk and hits it for the remaining accesses:
``hit = 1 − access_bytes / interleave_bytes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from eden.platforms.topology import Layer

Source = Literal["analytical", "scalesim"]


@dataclass(frozen=True, kw_only=True)
class LayerTraffic:
    """DRAM traffic of one layer per inference (bytes), plus what the timing model needs."""

    layer: str
    weight_bytes: float
    ifm_bytes: float
    ofm_bytes: float
    row_hit_rate: float
    compute_cycles: float | None = None  # the simulator's cycle count, where one was run
    ifm_streams: float | None = None  # sequential IFM streams per context where the traffic model knows them
    # (e.g. one for an im2col matrix); None: one per input-channel plane (eden.platforms.memory_time)
    source: Source = "analytical"

    @property
    def read_bytes(self) -> float:
        return self.weight_bytes + self.ifm_bytes

    @property
    def total_bytes(self) -> float:
        return self.read_bytes + self.ofm_bytes


def row_hit_rate(*, access_bytes: int, interleave_bytes: int) -> float:
    """Hit rate of sequential streams: one activation per interleave chunk (module docstring)."""
    return max(0.0, 1.0 - access_bytes / interleave_bytes)


def tiled_traffic(layer: Layer, *, capacity_bytes: float, bytes_per_value: float) -> tuple[float, float, float]:
    """(weight read bytes, IFM read bytes, OFM write bytes) of ``layer`` under the tiling model above."""
    b = bytes_per_value
    weights, ifm, ofm = layer.weight_numel * b, layer.ifm_numel * b, layer.ofm_numel * b
    if not layer.has_weights:
        return 0.0, ifm, ofm
    g = layer.groups
    w_g, i_g, o_g = weights / g, ifm / g, ofm / g
    if w_g + i_g + o_g <= capacity_bytes:
        return weights, ifm, ofm
    half = capacity_bytes / 2
    weights_resident = (w_g, i_g * math.ceil(w_g / half))
    ifm_resident = (w_g * math.ceil(i_g / half), i_g)
    w_read, i_read = min(weights_resident, ifm_resident, key=sum)
    return w_read * g, i_read * g, ofm


def analytical_traffic(
    layer: Layer, *, capacity_bytes: float, bytes_per_value: float, access_bytes: int, interleave_bytes: int
) -> LayerTraffic:
    """One layer's :class:`LayerTraffic` from the analytical tiling model."""
    w, i, o = tiled_traffic(layer, capacity_bytes=capacity_bytes, bytes_per_value=bytes_per_value)
    hit = row_hit_rate(access_bytes=access_bytes, interleave_bytes=interleave_bytes)
    return LayerTraffic(layer=layer.name, weight_bytes=w, ifm_bytes=i, ofm_bytes=o, row_hit_rate=hit)
