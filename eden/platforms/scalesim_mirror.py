"""SCALE-Sim's DRAM read count of a weight-stationary layer, computed from shapes instead of simulated.

SCALE-Sim 3 (``InterfaceBandwidth: CALC``) streams, for each fold of the filter matrix over the array (column
folds over the filters outside, row folds over the reduction ``K`` inside), the IFM operand column block of that
row fold for every output pixel. K is ordered (filter row, filter column, channel) with the channel fastest and
IFM addresses are NHWC. Its read buffer keeps the most recent half of the SRAM (``active_buf_frac = 0.5``) and
fetches an address from DRAM when it is not there. So:

* every weight is fetched once (each fold's block of the filter matrix is new);
* an IFM that fits the window is fetched once, the values the layer reads of it (all of them, but for a
  stride larger than the kernel, e.g. a 1×1 stride-2 shortcut, which reads a quarter);
* otherwise each row fold fetches the distinct IFM addresses its K block touches, minus those it shares with
  the block just before when that block fit the window, and this repeats for every column fold.

The distinct addresses of a K block are counted exactly: per channel, the union of the output-pixel grids
shifted by the block's (filter row, filter column) offsets. The convolution's zero padding is outside the IFM
(the stand-in counts stored values only, unlike SCALE-Sim, which is handed the padded IFM).
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache

import numpy as np

from eden.platforms.topology import Layer

#: Share of a SCALE-Sim read buffer that holds reusable data (``active_buf_frac`` in its single_layer_sim).
ACTIVE_FRACTION = 0.5


@lru_cache(maxsize=4096)
def _union_size(layer: Layer, offsets: frozenset[tuple[int, int]]) -> int:
    """Pixels of the stored IFM that output pixels read at any of ``offsets`` (one channel)."""
    pad_h, pad_w = layer.padded()
    # A stride larger than the kernel can leave the last rows/columns unread (padded < stored): no offset then.
    top, left = max(0, (pad_h - layer.in_h) // 2), max(0, (pad_w - layer.in_w) // 2)
    mask = np.zeros((max(pad_h, layer.in_h), max(pad_w, layer.in_w)), dtype=bool)
    for r, s in offsets:
        mask[r : r + (layer.out_h - 1) * layer.stride_h + 1 : layer.stride_h,
             s : s + (layer.out_w - 1) * layer.stride_w + 1 : layer.stride_w] = True  # fmt: skip
    return int(mask[top : top + layer.in_h, left : left + layer.in_w].sum())


def _block_channels(layer: Layer, start: int, stop: int) -> dict[int, frozenset[tuple[int, int]]]:
    """Channel → (filter row, filter column) offsets of the K indices ``start..stop-1`` of one group."""
    channels = layer.in_channels // layer.groups
    per: dict[int, set[tuple[int, int]]] = {}
    for k in range(start, stop):
        rs, c = divmod(k, channels)
        per.setdefault(c, set()).add(divmod(rs, layer.kernel_w))
    return {c: frozenset(o) for c, o in per.items()}


def _distinct(layer: Layer, block: dict[int, frozenset[tuple[int, int]]]) -> int:
    return sum(_union_size(layer, offsets) for offsets in block.values())


def _shared(layer: Layer, a: dict[int, frozenset[tuple[int, int]]], b: dict[int, frozenset[tuple[int, int]]]) -> int:
    """Addresses two blocks both touch: per shared channel, |A| + |B| − |A ∪ B|."""
    return sum(
        _union_size(layer, a[c]) + _union_size(layer, b[c]) - _union_size(layer, a[c] | b[c])
        for c in a.keys() & b.keys()
    )


def ws_reads(layer: Layer, *, rows: int, cols: int, ifmap_words: float) -> tuple[float, float]:
    """(filter reads, IFM reads) in values for one group of ``layer`` on a WS array (module docstring).

    Cached by shape: a network repeats shapes (DenseNet's dense layers) and every memory re-reads them."""
    return _ws_reads(replace(layer, name=""), rows, cols, ifmap_words)


@lru_cache(maxsize=4096)
def _ws_reads(layer: Layer, rows: int, cols: int, ifmap_words: float) -> tuple[float, float]:
    _, _, n, k = layer.gemm()
    ifm = layer.ifm_numel // layer.groups
    window = ACTIVE_FRACTION * ifmap_words
    if ifm <= window:  # fetched once: the stored values the layer reads (a strided 1×1 skips 3 in 4)
        return float(n * k), float(_distinct(layer, _block_channels(layer, 0, k)))
    col_folds = math.ceil(n / cols)
    per_pass, previous, previous_size = 0.0, None, math.inf
    for start in range(0, k, rows):
        block = _block_channels(layer, start, min(k, start + rows))
        size = _distinct(layer, block)
        reused = _shared(layer, previous, block) if previous is not None and previous_size <= window else 0
        per_pass += size - reused
        previous, previous_size = block, size
    return float(n * k), col_folds * per_pass
