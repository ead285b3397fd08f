"""Injection into a network: every data type is stored in DRAM words, read through its weak cells, corrected.

``NetworkInjector`` hooks every injectable layer (``eden.datatypes``). On each forward of a layer:

- **weights** (read on every forward, EDEN §5.1): the clean weights' storage words get the failures of one read
  of their region (fixed weak cells, fresh draws), are decoded and corrected (``eden.injection.correction``).
  The layer computes with those values; its parameter is never modified, so the clean weights are exactly
  what they were after the context. With autograd on (training), the stored values enter the forward through
  a straight-through function: the backward pass sees reliable memory and the gradient reaches the clean
  weights unchanged (EDEN §5.1). With autograd off (evaluation), the encoded clean words and their decoded,
  corrected values are cached until the parameter changes (its version counter), and a read only samples,
  XORs, decodes the flipped words and restores them: its cost grows with the flips.
- **IFMs** (written and read once per inference): a forward pre-hook stores the layer input, each sample its
  own stored tensor in the same DRAM region (every sample is one read: same weak cells, fresh draws, one
  vectorized draw for the batch), decodes and corrects it.

Addresses: within a partition, data types are placed one after another in forward order, each starting at a
row boundary (``Layout.first_row``), so bitline and wordline correlations hit the bits they would in DRAM. A
data type at BER 0 costs the format's quantization round trip only (nothing at all for fp32 weights/IFMs
whose round trip is the identity), and is not corrected: it lives in reliable memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from eden.datatypes import DataType, injectable_layers
from eden.dram.geometry import Geometry
from eden.errors import ConfigError
from eden.formats import Encoded, Format, get_format
from eden.injection.correction import check_correction, correct_, grid_bounds
from eden.injection.engine import Flips, WeakCellMap
from eden.injection.error_model import ErrorModel
from eden.injection.map_cache import MapCache, shared_map_cache
from eden.injection.storage import StoredBatch, decode_batch, decode_raw, encode_batch, raw_words, words_of_bytes
from eden.layout import Layout

PATHS = ("auto", "sparse", "dense")
#: Eval-mode weight reads drawn ahead in one call: at most this many reads, about this many flips per draw
#: (amortizes the per-call overhead of small layers; bounds memory for large ones).
DRAW_AHEAD_READS = 64
DRAW_AHEAD_FLIPS = 1 << 20


@dataclass(frozen=True, kw_only=True)
class DataTypeFaults:
    """Where one data type lives and how that memory fails: error model at its BER, geometry, layout options."""

    error_model: ErrorModel
    geometry: Geometry | None
    partition: int = 0
    bank_interleave: bool = False
    bit_rotate: bool = False
    path: str = "auto"

    def __post_init__(self) -> None:
        if not isinstance(self.error_model, ErrorModel):
            raise ConfigError("error_model", self.error_model, "an ErrorModel instance")
        if self.geometry is None and self.ber > 0:
            raise ConfigError("geometry", None, "a DRAM geometry (layout) when the BER is above 0")
        if not isinstance(self.partition, int) or isinstance(self.partition, bool) or self.partition < 0:
            raise ConfigError("layout.partition", self.partition, "an integer >= 0")
        if self.path not in PATHS:
            raise ConfigError("injection.path", self.path, PATHS)

    @property
    def ber(self) -> float:
        """Mean BER of the model (0 means reliable memory: format round trip only)."""
        return float(self.error_model.mean_ber)

    @property
    def key(self) -> tuple[Any, ...]:
        """Value identity of the faults (weak-cell maps are cached by it, not by object identity)."""
        m = self.error_model
        params = tuple(sorted(m.native_params().items()))
        return (
            type(m).registry_name,
            params,
            m.ber,
            m.monotone,
            m.seed,
            self.geometry,
            self.partition,
            self.bank_interleave,
            self.bit_rotate,
            self.path,
        )

    def layout(self, first_row: int) -> Layout:
        assert self.geometry is not None
        return Layout(
            geometry=self.geometry,
            partition=self.partition,
            first_row=first_row,
            bank_interleave=self.bank_interleave,
            bit_rotate=self.bit_rotate,
        )


class _StraightThrough(torch.autograd.Function):
    """Forward: the values read from memory. Backward: identity to the clean tensor (EDEN §5.1)."""

    @staticmethod
    def forward(ctx: Any, clean: torch.Tensor, stored: torch.Tensor) -> torch.Tensor:
        return stored

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


def _own(values: torch.Tensor, storage: torch.Tensor) -> torch.Tensor:
    """``values`` unless it aliases ``storage`` (a float format decodes to a view of its bytes): then a copy."""
    return values.clone() if values.untyped_storage().data_ptr() == storage.untyped_storage().data_ptr() else values


def storage_bits(fmt: Format, numel: int) -> int:
    """Storage bits of ``numel`` values of ``fmt`` (int4 padded to whole bytes)."""
    return -(-numel * fmt.bits // 8) * 8


def place(data_types: Sequence[DataType], assignment: Mapping[str, DataTypeFaults], fmt: Format) -> dict[str, Layout]:
    """Layouts of the assigned data types with errors: consecutive start rows per partition, forward order.

    A data type that would run past its partition's last row starts again at row 0 (it shares weak cells with
    earlier data types, as a region reused over time would); one larger than the whole partition is an error.
    """
    next_row: dict[int, int] = {}
    layouts: dict[str, Layout] = {}
    for d in data_types:
        faults = assignment.get(d.key)
        if faults is None or faults.ber == 0:
            continue
        assert faults.geometry is not None
        g = faults.geometry
        total = g.banks * g.rows_per_bank
        rows = -(-storage_bits(fmt, d.numel) // g.row_bits)
        if rows > total:
            raise ConfigError(f"{d.key}.partition", faults.partition, f"a partition of at least {rows} rows")
        start = next_row.get(faults.partition, 0)
        if start + rows > total:
            start = 0
        layouts[d.key] = faults.layout(start)
        next_row[faults.partition] = start + rows
    return layouts


@dataclass
class _WeightCache:
    """Eval-mode cache of one weight tensor: valid while the parameter's storage and version are unchanged."""

    token: tuple[Any, ...]
    enc: Encoded
    values: torch.Tensor  # decoded (and corrected when faulty) clean values, flat
    buf: torch.Tensor | None = None  # what the layer reads: ``values`` with the last read's flipped words
    dirty: torch.Tensor | None = None
    bounds: tuple[torch.Tensor, torch.Tensor] | None = None  # correction bounds on this tensor's grid
    queue: _ReadQueue | None = None  # reads drawn ahead (sparse path)


@dataclass
class _ReadQueue:
    """Reads of unchanging weights drawn ahead in one vectorized call: read r changes ``words[o_r:o_r+1]``."""

    words: torch.Tensor
    values: torch.Tensor
    offsets: list[int]
    next: int = 0

    def pop(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        if self.next >= len(self.offsets) - 1:
            return None
        a, b = self.offsets[self.next], self.offsets[self.next + 1]
        self.next += 1
        return self.words[a:b], self.values[a:b]


class NetworkInjector:
    """Corrupt each data type of ``model`` on its way in (see module doc). A context manager, or attach/detach."""

    def __init__(
        self,
        model: nn.Module,
        data_types: Sequence[DataType],
        assignment: Mapping[str, DataTypeFaults],
        *,
        fmt: str,
        ranges: Mapping[str, tuple[float, float]] | None = None,
        correction: str = "zero",
        generator: torch.Generator,
        map_cache: MapCache | None = None,
    ) -> None:
        self.model = model
        self.fmt = get_format(fmt, "format")
        self.correction = check_correction(correction)
        if not isinstance(generator, torch.Generator):
            raise ConfigError("generator", generator, "a seeded torch.Generator")
        self.generator = generator
        self.ranges = dict(ranges) if ranges is not None else None
        self.data_types = list(data_types)
        layers = dict(injectable_layers(model))
        self._by_layer: dict[str, dict[str, DataType]] = {}
        for d in self.data_types:
            if d.layer not in layers:
                raise ConfigError("data_types.layer", d.layer, sorted(layers))
            self._by_layer.setdefault(d.layer, {})[d.kind] = d
        self._layers = {name: layers[name] for name in self._by_layer}
        self._maps = map_cache if map_cache is not None else shared_map_cache()
        self._weights: dict[str, _WeightCache] = {}
        self._slot_maps: dict[tuple[str, int, torch.device], WeakCellMap] = {}
        self._handles: list[Any] = []
        self._swapped: dict[str, nn.Parameter] = {}
        self.assignment: dict[str, DataTypeFaults] = {}
        self._faulty: dict[str, DataTypeFaults] = {}
        self.layouts: dict[str, Layout] = {}
        self.set_assignment(assignment)

    # --- configuration ------------------------------------------------------------------------------
    def set_assignment(self, assignment: Mapping[str, DataTypeFaults]) -> None:
        """Swap the per-data-type faults (data types not named are on reliable memory); checked before use."""
        known = {d.key for d in self.data_types}
        for key, faults in assignment.items():
            if key not in known:
                raise ConfigError("assignment", key, sorted(known))
            if not isinstance(faults, DataTypeFaults):
                raise ConfigError(f"assignment.{key}", faults, "a DataTypeFaults")
        faulty = [k for k, f in assignment.items() if f.ber > 0]
        if self.correction != "off":
            missing = [k for k in faulty if self.ranges is None or k not in self.ranges]
            if missing:
                raise ConfigError("ranges", missing[0], "a recorded [lo, hi] for every data type with errors")
        layouts = place(self.data_types, assignment, self.fmt)
        self.assignment, self.layouts = dict(assignment), layouts
        self._faulty = {k: f for k, f in assignment.items() if f.ber > 0}
        self._slot_maps.clear()
        for cache in self._weights.values():  # the corrected clean values depend on faulty / reliable
            cache.token = ()

    def faults(self, key: str) -> DataTypeFaults | None:
        """The faults of data type ``key``, or None when it lives in reliable memory (BER 0 or unassigned)."""
        return self._faulty.get(key)

    # --- hooks --------------------------------------------------------------------------------------
    def attach(self) -> NetworkInjector:
        if self._handles:
            return self
        for name, module in self._layers.items():
            self._handles.append(module.register_forward_pre_hook(self._pre_hook(name)))
            self._handles.append(module.register_forward_hook(self._post_hook(name), always_call=True))
        return self

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
        for name in list(self._swapped):
            self._unswap(name)
        self._weights.clear()

    def __enter__(self) -> NetworkInjector:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    def _pre_hook(self, name: str) -> Any:
        kinds = self._by_layer[name]

        def hook(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
            self._unswap(name)  # a forward that raised left its read in place
            if "weights" in kinds:
                self._read_weights(name, module, kinds["weights"])
            if "ifm" in kinds and args and isinstance(args[0], torch.Tensor):
                x = self._read_ifm(kinds["ifm"], args[0])
                if x is not args[0]:
                    return (x, *args[1:])
            return None

        return hook

    def _post_hook(self, name: str) -> Any:
        def hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
            self._unswap(name)

        return hook

    def _unswap(self, name: str) -> None:
        param = self._swapped.pop(name, None)
        if param is not None:
            self._layers[name]._parameters["weight"] = param

    # --- weights ------------------------------------------------------------------------------------
    def _read_weights(self, name: str, module: nn.Module, dt: DataType) -> None:
        param = module._parameters.get("weight")
        if not isinstance(param, torch.Tensor) or isinstance(param, nn.parameter.UninitializedParameter):
            return
        faults = self.faults(dt.key)
        if faults is None and self.fmt.name == "fp32" and param.dtype == torch.float32:
            return  # reliable memory, identity format: the layer reads its own weights
        if torch.is_grad_enabled() and param.requires_grad:
            stored = _StraightThrough.apply(param, self._fresh_weight_read(dt, param.detach(), faults))
        else:
            stored = self._cached_weight_read(dt, param, faults)
        module._parameters["weight"] = stored
        self._swapped[name] = param

    def _fresh_weight_read(self, dt: DataType, w: torch.Tensor, faults: DataTypeFaults | None) -> torch.Tensor:
        enc = self.fmt.encode(w)
        if faults is not None:
            self._map(dt, faults, enc.n_bits, w.device).corrupt_(enc.data, self.generator)
        values = self.fmt.decode(enc, w.dtype)
        if faults is not None and self.correction != "off":
            # Retraining moves the weights: the plausible range is the recorded one widened to the clean tensor
            # written at this step (known at write time), so correction never zeroes a clean weight. Otherwise
            # training would see weights that inference (with ranges re-recorded after retraining) does not.
            assert self.ranges is not None
            lo, hi = self.ranges[dt.key]
            lo, hi = min(lo, float(w.min())), max(hi, float(w.max()))
            bounds = grid_bounds(self.fmt, lo, hi, enc.scale, w.dtype, w.device)
            self._correct(dt, values, enc.scale, w.dtype, bounds)
        return values

    def _cached_weight_read(self, dt: DataType, param: torch.Tensor, faults: DataTypeFaults | None) -> torch.Tensor:
        token = (param.data_ptr(), param._version, param.dtype, param.device, faults is not None)
        cache = self._weights.get(dt.key)
        if cache is None or cache.token != token:
            with torch.inference_mode(False):
                enc = self.fmt.encode(param.detach())
                values = _own(self.fmt.decode(enc, param.dtype).reshape(-1), enc.data)
                cache = _WeightCache(token, enc, values)
                if faults is not None:
                    cache.bounds = self._bounds(dt, enc.scale, param.dtype, param.device)
                    self._correct(dt, values, enc.scale, param.dtype, cache.bounds)
                    cache.buf = values.clone()
            self._weights[dt.key] = cache
        if faults is None or cache.buf is None:
            return cache.values.view(param.shape)
        if cache.dirty is not None:  # undo the previous read's flipped words
            cache.buf.index_copy_(0, cache.dirty, cache.values.index_select(0, cache.dirty))
            cache.dirty = None
        enc = cache.enc
        wcm = self._map(dt, faults, enc.n_bits, param.device)
        read = cache.queue.pop() if cache.queue is not None else None
        if read is None and wcm.path == "sparse":
            with torch.inference_mode(False):
                cache.queue = self._draw_ahead(dt, cache, wcm, param.dtype)
            read = cache.queue.pop()
        if read is None:  # dense path: one read, decoded whole
            flips = wcm.corrupt_(enc.data, self.generator)
            values = _own(self.fmt.decode(enc, param.dtype), enc.data)
            flips.restore_(enc.data)
            return self._correct(dt, values, enc.scale, param.dtype, cache.bounds)
        words, read_values = read
        if words.numel():
            cache.buf.index_copy_(0, words, read_values)
            cache.dirty = words
        return cache.buf.view(param.shape)

    def _draw_ahead(self, dt: DataType, cache: _WeightCache, wcm: WeakCellMap, dtype: torch.dtype) -> _ReadQueue:
        """Draw the failures of the next reads at once and decode the words they change (weights don't change).

        The number of reads drawn keeps the flips of one draw near ``DRAW_AHEAD_FLIPS``.
        """
        enc = cache.enc
        per_read = max(1.0, wcm.expected_ber * enc.n_bits)
        reads = int(max(1, min(DRAW_AHEAD_READS, DRAW_AHEAD_FLIPS // per_read)))
        drawn = wcm.sample_reads(enc.data, reads, self.generator)
        assert drawn is not None
        read, bit = drawn
        bits = self.fmt.bits
        stored_words = enc.n_bits // bits  # int4: one padding nibble past ``numel`` when it is odd
        key = read * stored_words + torch.div(bit, bits, rounding_mode="floor")
        uniq, inverse = torch.unique(key, return_inverse=True)  # sorted: by read, then word
        mask = torch.zeros(uniq.numel(), dtype=torch.int64, device=uniq.device)
        mask.index_add_(0, inverse, torch.bitwise_left_shift(torch.ones_like(bit), bit % bits))  # distinct: + is |
        u_read = torch.div(uniq, stored_words, rounding_mode="floor")
        words = uniq - u_read * stored_words
        if stored_words > enc.numel:
            real = words < enc.numel
            words, mask, u_read = words[real], mask[real], u_read[real]
        values = decode_raw(self.fmt, raw_words(self.fmt, enc.data, words) ^ mask, enc.scale, dtype)
        self._correct(dt, values, enc.scale, dtype, cache.bounds)
        counts = torch.bincount(u_read, minlength=reads)
        offsets = [0, *torch.cumsum(counts, 0).tolist()]
        return _ReadQueue(words, values, offsets)

    # --- IFMs ---------------------------------------------------------------------------------------
    def _read_ifm(self, dt: DataType, x: torch.Tensor) -> torch.Tensor:
        faults = self.faults(dt.key)
        if not x.is_floating_point() or (faults is None and self.fmt.name == "fp32" and x.dtype == torch.float32):
            return x
        rows = x.detach().reshape(1 if x.dim() <= 1 else x.shape[0], -1)
        batch = encode_batch(self.fmt, rows)
        flips = None
        if faults is not None:
            wcm = self._map(dt, faults, storage_bits(self.fmt, batch.numel), x.device)
            flips = wcm.corrupt_reads_(batch.data, batch.reads, self.generator)
        values = decode_batch(self.fmt, batch, x.dtype)
        if flips is not None and self.correction != "off":
            self._correct_ifm(dt, rows, values, batch, flips, widen=torch.is_grad_enabled())
        values = values.view(x.shape)
        return _StraightThrough.apply(x, values) if torch.is_grad_enabled() and x.requires_grad else values

    def _correct_ifm(
        self,
        dt: DataType,
        rows: torch.Tensor,
        values: torch.Tensor,
        batch: StoredBatch,
        flips: Flips,
        *,
        widen: bool = False,
    ) -> None:
        """Correct a read batch; when every clean value is plausible only the words the read changed can be
        implausible, so only those are checked (cost ∝ flips instead of a pass over the batch).

        ``widen`` (retraining): the range also covers this batch's clean values, as the network's activations
        drift while it learns; the ranges are re-recorded after retraining (see ``_fresh_weight_read``).
        """
        assert self.ranges is not None
        lo, hi = self.ranges[dt.key]
        clean_lo, clean_hi = (float(v) for v in torch.aminmax(rows)) if rows.numel() else (lo, hi)
        if widen and clean_lo == clean_lo and clean_hi == clean_hi:
            lo, hi = min(lo, clean_lo), max(hi, clean_hi)
        bounds = grid_bounds(self.fmt, lo, hi, batch.scale, values.dtype, values.device)
        if flips.mask is not None or not lo <= clean_lo <= clean_hi <= hi:  # (NaN fails the test too)
            correct_(values, self.correction, *bounds, may_be_nan=self.fmt.is_float)
            return
        changed = flips.changed_bytes()
        if changed is None or not changed.numel():
            return
        slot_words = batch.slot_bytes * 8 // self.fmt.bits
        word = words_of_bytes(self.fmt, changed, batch.reads * slot_words)
        row = torch.div(word, slot_words, rounding_mode="floor")
        col = word - row * slot_words
        if slot_words > batch.numel:  # int4 padding nibble
            real = col < batch.numel
            row, col = row[real], col[real]
        flat = values.view(-1)
        pos = row * batch.numel + col
        lo_t, hi_t = (b.expand(batch.reads, 1).reshape(-1).index_select(0, row) for b in bounds)
        flat.index_copy_(
            0, pos, correct_(flat.index_select(0, pos), self.correction, lo_t, hi_t, may_be_nan=self.fmt.is_float)
        )

    # --- shared -------------------------------------------------------------------------------------
    def _map(self, dt: DataType, faults: DataTypeFaults, n_bits: int, device: torch.device) -> WeakCellMap:
        slot = (dt.key, n_bits, device)
        wcm = self._slot_maps.get(slot)
        if wcm is None:
            wcm = self._slot_maps[slot] = self._shared_map(dt, faults, n_bits, device)
        return wcm

    def _shared_map(self, dt: DataType, faults: DataTypeFaults, n_bits: int, device: torch.device) -> WeakCellMap:
        layout = self.layouts[dt.key]
        word_bits = self.fmt.bits
        key = (faults.key, layout, n_bits, word_bits, str(device))
        return self._maps.get(
            key,
            lambda: WeakCellMap(faults.error_model, layout, n_bits, word_bits, device=device, path=faults.path),
        )

    def _bounds(
        self, dt: DataType, scale: torch.Tensor | float | None, dtype: torch.dtype, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        if self.correction == "off":
            return None
        assert self.ranges is not None
        lo, hi = self.ranges[dt.key]
        return grid_bounds(self.fmt, lo, hi, scale, dtype, device)

    def _correct(
        self,
        dt: DataType,
        values: torch.Tensor,
        scale: torch.Tensor | float | None,
        dtype: torch.dtype,
        bounds: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        if self.correction == "off":
            return values
        lo_t, hi_t = bounds if bounds is not None else self._bounds(dt, scale, dtype, values.device)  # type: ignore[misc]
        return correct_(values, self.correction, lo_t, hi_t, may_be_nan=self.fmt.is_float)

    def weak_cell_maps(self) -> Iterator[tuple[str, WeakCellMap]]:
        """The weak-cell maps built so far for the current assignment (diagnostics)."""
        for key, layout in self.layouts.items():
            faults = self.assignment[key]
            for cache_key, wcm in self._maps.items():
                if isinstance(cache_key, tuple) and cache_key[:2] == (faults.key, layout):
                    yield key, wcm
