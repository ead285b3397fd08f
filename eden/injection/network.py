"""Injection into a network: every data type is stored in DRAM words, read through its weak cells, corrected.

``NetworkInjector`` hooks every injectable layer (``eden.datatypes``). On each forward of a layer:

- **weights** (read on every forward, EDEN §5.1): ``eden.injection.weight_reads`` gives the layer the values of
  one read of its weights' region (fresh in training through a straight-through function; cached and drawn
  ahead in evaluation); the parameter itself is never modified.
- **IFMs** (written and read once per inference): a forward pre-hook stores the layer input, each sample its
  own stored tensor in the same DRAM region (every sample is one read: same weak cells, fresh draws, one
  vectorized draw for the batch), decodes and corrects it.

Random numbers: read k of data type d draws from a stream of (the injector's seed, d, k)
(``eden.injection.streams``), so a data type with no weak cell or the number of weight reads drawn ahead changes no
other read, and monotone models nest read by read across BERs. Addresses come from ``eden.injection.placement``.
A data type at BER 0 costs the format's quantization round trip only (nothing at all for fp32 weights/IFMs whose
round trip is the identity), and is not corrected: it lives in reliable memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from eden.datatypes import DataType, injectable_layers
from eden.errors import ConfigError
from eden.formats import get_format
from eden.injection.correction import Corrector, correct_, grid_bounds
from eden.injection.engine import Flips, WeakCellMap
from eden.injection.map_cache import MapCache, shared_map_cache
from eden.injection.placement import PATHS, DataTypeFaults, place, storage_bits
from eden.injection.storage import StoredBatch, decode_batch, encode_batch, words_of_bytes
from eden.injection.streams import ReadCounter
from eden.injection.weight_reads import DRAW_AHEAD_FLIPS, DRAW_AHEAD_READS, StraightThrough, WeightReads
from eden.layout import Layout

__all__ = [
    "DRAW_AHEAD_FLIPS",
    "DRAW_AHEAD_READS",
    "PATHS",
    "DataTypeFaults",
    "NetworkInjector",
    "place",
    "storage_bits",
]


#: Share of a batch's samples holding out-of-range clean values from which one correction pass over the whole
#: batch replaces the pass over those samples alone (selecting and copying rows back costs about a pass too).
FULL_PASS_SHARE = 0.5

#: IFM correction: a read batch checks the words holding a weak cell in every sample (instead of finding the
#: flipped words) when there are at most this many of them, and at most ``WEAK_WORDS_PER_FLIP`` per expected flip.
WEAK_WORDS_LIMIT = 1 << 16
WEAK_WORDS_PER_FLIP = 8
#: Out-of-range samples up to which each is corrected in place, one row at a time (fewer ops than gathering them).
FEW_ROWS = 4


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
        self.corrector = Corrector(self.fmt, correction, ranges)
        self.correction, self.ranges = self.corrector.mode, self.corrector.ranges
        if not isinstance(generator, torch.Generator):
            raise ConfigError("generator", generator, "a seeded torch.Generator")
        self.generator = generator
        #: Per-(data type, read) random streams, seeded by one draw from ``generator`` (``eden.injection.streams``).
        self.reads = ReadCounter(int(torch.randint(1 << 62, (1,), generator=generator, device=generator.device)))
        self.data_types = list(data_types)
        layers = dict(injectable_layers(model))
        self._by_layer: dict[str, dict[str, DataType]] = {}
        for d in self.data_types:
            if d.layer not in layers:
                raise ConfigError("data_types.layer", d.layer, sorted(layers))
            self._by_layer.setdefault(d.layer, {})[d.kind] = d
        self._layers = {name: layers[name] for name in self._by_layer}
        self._maps = map_cache if map_cache is not None else shared_map_cache()
        self._weights = WeightReads(self.fmt, self.corrector, self._map, self.reads)
        self._slot_maps: dict[tuple[str, int, torch.device], WeakCellMap] = {}
        self._weak_pos: dict[tuple[str, int, int, int, torch.device], torch.Tensor | None] = {}
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
        self._weak_pos.clear()
        self._weights.invalidate()

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
        module._parameters["weight"] = self._weights.read(dt, param, faults)  # type: ignore[assignment]
        self._swapped[name] = param

    # --- IFMs ---------------------------------------------------------------------------------------
    def _read_ifm(self, dt: DataType, x: torch.Tensor) -> torch.Tensor:
        faults = self.faults(dt.key)
        if not x.is_floating_point() or (faults is None and self.fmt.name == "fp32" and x.dtype == torch.float32):
            return x
        rows = x.detach().reshape(1 if x.dim() <= 1 else x.shape[0], -1)
        batch = encode_batch(self.fmt, rows)
        if faults is None:
            values = decode_batch(self.fmt, batch, x.dtype)
        else:
            wcm = self._map(dt, faults, storage_bits(self.fmt, batch.numel), x.device)
            flips = wcm.corrupt_reads_(batch.data, batch.reads, self.reads.take(dt.key, batch.reads))
            values = decode_batch(self.fmt, batch, x.dtype)
            if self.correction != "off":
                self._correct_ifm(dt, wcm, rows, values, batch, flips, widen=torch.is_grad_enabled())
        values = values.view(x.shape)
        return StraightThrough.apply(x, values) if torch.is_grad_enabled() and x.requires_grad else values

    def _correct_ifm(
        self,
        dt: DataType,
        wcm: WeakCellMap,
        rows: torch.Tensor,
        values: torch.Tensor,
        batch: StoredBatch,
        flips: Flips,
        *,
        widen: bool = False,
    ) -> None:
        """Correct a read batch; only the words the read changed can be implausible where the clean values are
        plausible, so only those are checked (cost ∝ flips), plus a full pass over the samples whose clean values
        leave the range (a batch outside the data the range was recorded on: usually a few samples, not all).
        A small region checks the words holding a weak cell in every sample instead of the flipped ones (a
        superset: a clean plausible value is never changed, so the result is the same): their positions depend
        on the shapes only and are kept, which saves the ops that find the flipped words (``_weak_positions``).

        ``widen`` (retraining): the range also covers this batch's clean values, as the network's activations
        drift while it learns; the ranges are re-recorded after retraining (see ``WeightReads.fresh``).
        """
        assert self.ranges is not None
        lo, hi = self.ranges[dt.key]
        mode, nan = self.correction, self.fmt.is_float
        row_lo, row_hi = batch.row_min, batch.row_max
        bad: list[int] | None = None  # samples holding clean values outside [lo, hi], once known
        if widen or row_lo is None or row_hi is None:
            if row_lo is not None and row_hi is not None:
                clean_lo, clean_hi = torch.stack((row_lo.min(), row_hi.max())).tolist()  # one host sync
            else:
                clean_lo, clean_hi = (float(v) for v in torch.aminmax(rows)) if rows.numel() else (lo, hi)
            if widen and clean_lo == clean_lo and clean_hi == clean_hi:
                lo, hi = min(lo, clean_lo), max(hi, clean_hi)
            if lo <= clean_lo <= clean_hi <= hi:  # (NaN fails the test)
                bad = []
            elif row_lo is None or row_hi is None:
                row_lo, row_hi = rows.amin(dim=1), rows.amax(dim=1)
        bounds = grid_bounds(self.fmt, lo, hi, batch.scale, values.dtype, values.device)
        if flips.mask is not None:
            correct_(values, mode, *bounds, may_be_nan=nan)
            return
        if bad is None:  # one host sync; NaN extremes count as outside
            assert row_lo is not None and row_hi is not None
            bad = ((row_lo >= lo) & (row_hi <= hi)).logical_not_().view(-1).nonzero().view(-1).tolist()
        if bad:
            if len(bad) >= FULL_PASS_SHARE * batch.reads:
                correct_(values, mode, *bounds, may_be_nan=nan)
                return
            if len(bad) <= FEW_ROWS:  # in place on each row (a view): no gather and copy back
                for r in bad:
                    correct_(values[r], mode, *(b[r] if b.dim() == 2 else b for b in bounds), may_be_nan=nan)
            else:
                index = torch.tensor(bad, device=values.device)
                lo_b, hi_b = (b.index_select(0, index) if b.dim() == 2 else b for b in bounds)
                values.index_copy_(0, index, correct_(values.index_select(0, index), mode, lo_b, hi_b, may_be_nan=nan))
            # the other samples' flipped words follow (the correction is idempotent on these samples' words)
        weak = self._weak_positions(dt, wcm, batch)
        if weak is not None:  # (reads, words): the row bounds broadcast, no per-word gather of them
            flat = values.view(-1)
            checked = correct_(flat.index_select(0, weak.view(-1)).view(weak.shape), mode, *bounds, may_be_nan=nan)
            flat.index_copy_(0, weak.view(-1), checked.view(-1))
            return
        changed = flips.changed_bytes()
        if changed is None or not changed.numel():
            return
        slot_words = batch.slot_bytes * 8 // self.fmt.bits
        word = words_of_bytes(self.fmt, changed, batch.reads * slot_words)
        row = torch.div(word, slot_words, rounding_mode="floor")
        flat = values.view(-1)
        if slot_words == batch.numel:  # no padding: a stored word's index is its value's index
            pos = word
        else:  # int4 padding nibble
            col = word - row * slot_words
            real = col < batch.numel
            row, col = row[real], col[real]
            pos = row * batch.numel + col
        # per-sample bounds (integer formats: per-sample scales) at the words' samples; one pair broadcasts
        lo_t, hi_t = (b.view(-1).index_select(0, row) if b.dim() == 2 else b for b in bounds)
        flat.index_copy_(0, pos, correct_(flat.index_select(0, pos), mode, lo_t, hi_t, may_be_nan=nan))

    def _weak_positions(self, dt: DataType, wcm: WeakCellMap, batch: StoredBatch) -> torch.Tensor | None:
        """(reads, k) positions in the batch's values of the k words holding a weak cell, in every sample; None
        where checking them would cost more than finding the flipped words (many weak cells per flip, or a large
        region: ``WEAK_WORDS_LIMIT``, ``WEAK_WORDS_PER_FLIP``) or on the dense path. Kept per shape."""
        key = (dt.key, wcm.n_bits, batch.reads, batch.numel, wcm.device)
        if key in self._weak_pos:
            return self._weak_pos[key]
        words = wcm.weak_words()
        pos = None
        if words is not None:
            words = words[words < batch.numel]  # int4: not the padding nibble
            flips = max(1.0, wcm.expected_ber * wcm.n_bits)
            if words.numel() * batch.reads <= WEAK_WORDS_LIMIT and words.numel() <= WEAK_WORDS_PER_FLIP * flips:
                first = torch.arange(batch.reads, device=words.device).mul_(batch.numel).unsqueeze(1)
                pos = first + words.unsqueeze(0)
        if len(self._weak_pos) >= 256:  # many batch shapes: start over rather than grow
            self._weak_pos.clear()
        self._weak_pos[key] = pos
        return pos

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

    def expected_bers(self, device: torch.device | str = "cpu") -> dict[str, float]:
        """Per data type with errors, the expected BER of a read of its own weak-cell map (builds the maps).

        One device's map lands near, not on, its model's mean BER (the number of weak cells is random: e.g. 400
        weak cells give about ±5 %); the mean over devices (seeds) is the configured BER.
        """
        device = torch.device(device)
        by_key = {d.key: d for d in self.data_types}
        return {
            key: self._map(by_key[key], faults, storage_bits(self.fmt, by_key[key].numel), device).expected_ber
            for key, faults in self._faulty.items()
        }

    def weak_cell_maps(self) -> Iterator[tuple[str, WeakCellMap]]:
        """The weak-cell maps built so far for the current assignment (diagnostics)."""
        for key, layout in self.layouts.items():
            faults = self.assignment[key]
            for cache_key, wcm in self._maps.items():
                if isinstance(cache_key, tuple) and cache_key[:2] == (faults.key, layout):
                    yield key, wcm
