"""Reads of a layer's weights from approximate DRAM (read on every forward, EDEN §5.1).

The clean weights' storage words get the failures of one read of their region (fixed weak cells, fresh draws),
are decoded and corrected (``eden.injection.correction``). The layer computes with those values; its parameter
is never modified, so the clean weights are exactly what they were after the injector. With autograd on
(training), the stored values enter the forward through a straight-through function: the backward pass sees
reliable memory and the gradient reaches the clean weights unchanged (EDEN §5.1). With autograd off
(evaluation), the encoded clean words and their decoded, corrected values are cached until the parameter
changes (its version counter), and a read only applies the words a read flipped, drawn ahead for many reads in
one vectorized call (the weights do not change between them): its cost grows with the flips.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from eden.datatypes import DataType
from eden.formats import Encoded, Format
from eden.injection.correction import Corrector, grid_bounds
from eden.injection.engine import WeakCellMap
from eden.injection.placement import DataTypeFaults
from eden.injection.storage import decode_flipped
from eden.injection.streams import ReadCounter

#: Eval-mode weight reads drawn ahead in one call: at most this many reads, about this many flips per draw
#: (amortizes the per-call overhead of small layers; bounds memory for large ones).
DRAW_AHEAD_READS = 64
DRAW_AHEAD_FLIPS = 1 << 20

#: (data type, its faults, storage bits, device) → the weak-cell map of its region.
MapFor = Callable[[DataType, DataTypeFaults, int, torch.device], WeakCellMap]


class StraightThrough(torch.autograd.Function):
    """Forward: the values read from memory. Backward: identity to the clean tensor (EDEN §5.1)."""

    @staticmethod
    def forward(ctx: Any, clean: torch.Tensor, stored: torch.Tensor) -> torch.Tensor:
        return stored

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


def own(values: torch.Tensor, storage: torch.Tensor) -> torch.Tensor:
    """``values`` unless it aliases ``storage`` (a float format decodes to a view of its bytes): then a copy."""
    return values.clone() if values.untyped_storage().data_ptr() == storage.untyped_storage().data_ptr() else values


@dataclass
class _WeightCache:
    """Eval-mode cache of one weight tensor: valid while the parameter's storage and version are unchanged."""

    token: tuple[Any, ...]
    enc: Encoded
    values: torch.Tensor  # decoded (and corrected when faulty) clean values, flat
    buf: torch.Tensor | None = None  # what the layer reads: ``values`` with the last read's flipped words
    dirty: tuple[torch.Tensor, torch.Tensor] | None = None  # the last read's flipped words and their clean values
    bounds: tuple[torch.Tensor, torch.Tensor] | None = None  # correction bounds on this tensor's grid
    queue: _ReadQueue | None = None  # reads drawn ahead (sparse path)
    ahead: int = 1  # reads the next draw ahead may take: x4 per draw up to the caps


@dataclass
class _ReadQueue:
    """Reads ``first, first + 1, …`` of unchanging weights drawn ahead in one vectorized call: the r-th changes
    ``words[o_r:o_{r+1}]`` to ``values[o_r:o_{r+1}]``; ``clean`` holds those words' clean values (to undo it)."""

    words: torch.Tensor
    values: torch.Tensor
    clean: torch.Tensor
    offsets: list[int]
    first: int
    next: int = 0

    def pop(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """Read ``index`` of the data type if drawn here and next in line, else None (draw again)."""
        if self.next >= len(self.offsets) - 1 or index != self.first + self.next:
            return None
        a, b = self.offsets[self.next], self.offsets[self.next + 1]
        self.next += 1
        return self.words[a:b], self.values[a:b], self.clean[a:b]


class WeightReads:
    """The weight reads of one injector: fresh per forward in training, cached and drawn ahead in evaluation."""

    def __init__(self, fmt: Format, corrector: Corrector, map_for: MapFor, reads: ReadCounter) -> None:
        self.fmt, self.corrector, self.map_for, self.reads = fmt, corrector, map_for, reads
        self._cache: dict[str, _WeightCache] = {}

    def clear(self) -> None:
        self._cache.clear()

    def invalidate(self) -> None:
        """The corrected clean values depend on faulty / reliable: recompute them on the next read."""
        for cache in self._cache.values():
            cache.token = ()

    def read(self, dt: DataType, param: torch.Tensor, faults: DataTypeFaults | None) -> torch.Tensor:
        """The weights the layer computes with in this forward (autograd-connected to ``param`` in training)."""
        if torch.is_grad_enabled() and param.requires_grad:
            return StraightThrough.apply(param, self.fresh(dt, param.detach(), faults))
        return self.cached(dt, param, faults)

    def fresh(self, dt: DataType, w: torch.Tensor, faults: DataTypeFaults | None) -> torch.Tensor:
        enc = self.fmt.encode(w)
        if faults is not None:
            self.map_for(dt, faults, enc.n_bits, w.device).corrupt_(enc.data, self.reads.take(dt.key))
        values = self.fmt.decode(enc, w.dtype)
        if faults is not None and not self.corrector.off:
            # Retraining moves the weights: the plausible range is the recorded one widened to the clean tensor
            # written at this step (known at write time), so correction never zeroes a clean weight. Otherwise
            # training would see weights that inference (with ranges re-recorded after retraining) does not.
            lo, hi = self.corrector.range_of(dt.key)
            lo, hi = min(lo, float(w.min())), max(hi, float(w.max()))
            bounds = grid_bounds(self.fmt, lo, hi, enc.scale, w.dtype, w.device)
            self.corrector.apply(dt.key, values, enc.scale, w.dtype, bounds)
        return values

    def cached(self, dt: DataType, param: torch.Tensor, faults: DataTypeFaults | None) -> torch.Tensor:
        token = (param.data_ptr(), param._version, param.dtype, param.device, faults is not None)
        cache = self._cache.get(dt.key)
        if cache is None or cache.token != token:
            with torch.inference_mode(False):
                enc = self.fmt.encode(param.detach())
                values = own(self.fmt.decode(enc, param.dtype).reshape(-1), enc.data)
                cache = _WeightCache(token, enc, values)
                if faults is not None:
                    cache.bounds = self.corrector.bounds(dt.key, enc.scale, param.dtype, param.device)
                    self.corrector.apply(dt.key, values, enc.scale, param.dtype, cache.bounds)
                    cache.buf = values.clone()
            self._cache[dt.key] = cache
        if faults is None or cache.buf is None:
            return cache.values.view(param.shape)
        if cache.dirty is not None:  # undo the previous read's flipped words
            cache.buf.index_copy_(0, *cache.dirty)
            cache.dirty = None
        enc = cache.enc
        read = cache.queue.pop(self.reads.next_index(dt.key)) if cache.queue is not None else None
        if read is None:
            wcm = self.map_for(dt, faults, enc.n_bits, param.device)
            if wcm.path == "sparse":
                with torch.inference_mode(False):
                    cache.queue = self._draw_ahead(dt, cache, wcm, param.dtype)
                read = cache.queue.pop(self.reads.next_index(dt.key))
        if read is None:  # dense path: one read, decoded whole
            flips = wcm.corrupt_(enc.data, self.reads.take(dt.key))
            values = own(self.fmt.decode(enc, param.dtype), enc.data)
            flips.restore_(enc.data)
            return self.corrector.apply(dt.key, values, enc.scale, param.dtype, cache.bounds)
        self.reads.advance(dt.key)
        words, read_values, clean = read
        if words.numel():
            cache.buf.index_copy_(0, words, read_values)
            cache.dirty = words, clean
        return cache.buf.view(param.shape)

    def _draw_ahead(self, dt: DataType, cache: _WeightCache, wcm: WeakCellMap, dtype: torch.dtype) -> _ReadQueue:
        """Draw the failures of the next reads at once and decode the words they change (weights don't change).

        The number of reads drawn starts at one and grows 4x per draw, up to ``DRAW_AHEAD_READS`` and about
        ``DRAW_AHEAD_FLIPS`` flips: an injector used for one forward (an accuracy estimate on a small sample: a
        ResNet-18 characterization drew ~10 reads of every weight tensor to use one) draws what it uses, a long
        evaluation amortizes the calls. A read counts once it is used. With a monotone model read k's failures
        come from its own stream, whatever the draw; otherwise the reads of one draw share a stream seeded by its
        first read (``eden.injection.streams``), so this schedule is part of what a seed means: changing it
        changes the flips of a given seed.
        """
        enc = cache.enc
        per_read = max(1.0, wcm.expected_ber * enc.n_bits)
        reads = int(max(1, min(cache.ahead, DRAW_AHEAD_READS, DRAW_AHEAD_FLIPS // per_read)))
        cache.ahead = 4 * reads
        streams = self.reads.peek(dt.key)
        drawn = wcm.sample_reads(enc.data, reads, streams)
        assert drawn is not None
        read, bit = drawn
        bits = self.fmt.bits
        stored_words = enc.n_bits // bits  # int4: one padding nibble past ``numel`` when it is odd
        key = read * stored_words + torch.div(bit, bits, rounding_mode="floor")
        uniq, inverse = torch.unique(key, return_inverse=True)  # sorted: by read, then word
        mask = torch.zeros(uniq.numel(), dtype=torch.int64, device=uniq.device)
        mask.index_add_(0, inverse, torch.bitwise_left_shift(1, bit % bits))  # distinct bits: + is |
        u_read = torch.div(uniq, stored_words, rounding_mode="floor")
        words = uniq - u_read * stored_words
        if stored_words > enc.numel:
            real = words < enc.numel
            words, mask, u_read = words[real], mask[real], u_read[real]
        values = decode_flipped(self.fmt, enc.data, words, mask, enc.scale, dtype)
        self.corrector.apply(dt.key, values, enc.scale, dtype, cache.bounds)
        counts = torch.bincount(u_read, minlength=reads)
        offsets = [0, *torch.cumsum(counts, 0).tolist()]
        return _ReadQueue(words, values, cache.values.index_select(0, words), offsets, streams.first)
