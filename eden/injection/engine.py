"""The injection engine: fixed weak cells per data type, fresh failures per read, XOR in place, exact restore.

``WeakCellMap`` is prepared once per (data type, error model at its BER, layout); ``corrupt_`` then flips
the failing bits of the storage bytes in place and returns ``Flips``, whose ``restore_`` puts the clean
bits back exactly. Two read paths, chosen per data type by a measured cost model:

- *sparse*: per cell class, the weak cells are a list of storage bits, and one of two draws picks the
  failures of a read among them:

  - *gaps*: failure candidates at the class's larger failure probability ``max(F)`` found with geometric
    gaps, so the cost grows with the number of flips, not with the number of weak cells; data-dependent
    probabilities thin the candidates by the stored bit. Used for small ``F`` and for monotone models.
  - *cells*: one random b-bit fraction per weak cell compared with the cell's own threshold (``F_V1`` or
    ``F_V0`` by its stored bit; ``F`` rounded to 2^-b, b = 16 unless that is off by more than 0.1 %, then
    32). Cheaper per weak cell than a gap per candidate (no logarithms, no compaction; the failing cells are
    applied as a bit mask that is zero elsewhere), so it wins for large ``F`` (EM3's 0.8/0.2).

- *dense* (``eden.injection.dense``): the weak cells are a bit mask of the storage; a read draws Bernoulli(F)
  bits 64 at a time (bit-serial comparison of random words with F's binary expansion, F rounded to 1/65536)
  and XORs ``weak & failing`` into the data. Its cost is a few memory passes, independent of the BER.

Flips are applied with a carry-free add (+m sets a clear bit, −m clears a set one; distinct bits of one byte
add without carries) and restored by writing back the bytes saved before each step, last step first.

Threads: on a CPU a read runs on one intra-op thread (``eden.injection.threads.serial_reads``, which says why).
Steps of ``STEP`` elements bound a read's temporaries and keep them in L2.

Random numbers come from per-read streams (``eden.injection.streams``): a read's failures depend on its data
type's seed and its read index, not on other data types or on how many reads are drawn in one call. With
``monotone`` models the gaps draw walks the weak cells in weakness order (a lower BER's weak cells are a
prefix), each read from its own counter-based stream with counter-based thinning, and the dense draw (only when
asked for: ``path="dense"``) compares one random fraction per cell with F; so read k's errors at a lower BER are
a subset of read k's errors at a higher BER. The cells draw is then refused (it would couple differently).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

from eden.injection.dense import DenseGroup, DenseWords, build_dense, dense_reads
from eden.injection.draws import (
    bernoulli_indices,
    bernoulli_indices_per_read,
    digits,
    threshold_draw,
)
from eden.injection.draws import fraction_bits as fraction_bits
from eden.injection.error_model import CellClass, ErrorModel, check_disjoint
from eden.injection.flips import POPCOUNT as _POPCOUNT
from eden.injection.flips import STEP, Flips
from eden.injection.streams import ReadStreams, as_streams
from eden.injection.threads import serial_reads
from eden.injection.threads import set_serial_reads as set_serial_reads
from eden.injection.weak_cells import class_weak_bits, hash64, mix_seed
from eden.layout import Layout

__all__ = ["STEP", "Flips", "WeakCellMap", "fraction_bits", "set_serial_reads"]

#: Cost model of one read on the 2-core CPU, ns per unit, measured with ``python -m eden.bench injection
#: --crossover`` (BENCHMARKS.md) on a 25M-word tensor: gaps ~13-30 ns per candidate (+ a thinning draw per
#: candidate when F depends on the stored bit), cells ~6-12 ns per weak cell, dense ~0.1 ns per storage byte
#: plus ~0.7 ns per byte and random binary digit of F. So cells beat gaps once max(F) > ~0.4, and dense beats
#: both once a read's work per bit exceeds about one random digit per byte.
COST_GAP = 14.0
COST_THIN = 4.0
COST_CELL = 6.0
COST_DENSE_BYTE = 0.1
COST_DENSE_DIGIT = 0.7

#: Sparse (gaps) candidates per storage bit at which a dense read with one random digit (F = 1/2) costs the
#: same, by the cost model above (~7e-3; the uniform crossover measured in BENCHMARKS.md).
DENSE_MIN_BER = (COST_DENSE_BYTE + COST_DENSE_DIGIT) / (8 * COST_GAP)

DRAWS = ("auto", "gaps", "cells")

#: Expected weak cells above which a map that reads densely is built without listing every weak cell first (a list
#: holds ~25 bytes per weak cell while it is built: at BER 0.5, where every cell is weak, the weights of ResNet-18
#: in int8 took 3.7 GB, ResNet-50's in fp32 ~20 GB); the dense mask holds one bit per cell.
LIST_LIMIT = 1 << 22
_THIN_TAG = 0x7  # stream tag of the monotone data-dependent thinning draws
_GAP_TAG = 0x9  # stream tag of the monotone candidate draws


#: A step's candidates: storage byte, weak cell, read (None for one read), bit mask in the byte.
_Candidates = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]

#: Candidates (weak cells × reads) up to which a cells draw keeps its candidate tensors for the next call with the
#: same shapes (~25 bytes each: ~1.6 MB per class and shape at most), and the shapes kept per class.
PLAN_LIMIT = 1 << 16
PLAN_SHAPES = 4


@dataclass
class _SparseClass:
    index: int
    bits: torch.Tensor  # weak storage bits (int64, on the data's device)
    f_one: float
    f_zero: float
    draw: str = "gaps"
    byte: torch.Tensor = field(init=False)  # bits >> 3
    bitmask: torch.Tensor = field(init=False)  # uint8 1 << (bits & 7)

    #: (reads, slot stride) → the cells draw's candidates by steps (``WeakCellMap._cell_plan``); read-only tensors
    plans: dict[tuple[int, int], list[_Candidates]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.byte = self.bits >> 3
        self.bitmask = torch.bitwise_left_shift(torch.ones_like(self.bits), self.bits & 7).to(torch.uint8)

    @property
    def f_max(self) -> float:
        return max(self.f_one, self.f_zero)


@dataclass
class _Step:
    """Candidates of one step of one class: a candidate fails where ``bitmask & select(stored byte, a1, a0)``.

    ``a1``/``a0``: per candidate 0xFF (fails) or 0 when its cell holds 1 / 0; None means always 0xFF.
    """

    byte: torch.Tensor  # int64 storage byte per candidate
    cell: torch.Tensor  # int64 index into the class's weak cells
    read: torch.Tensor | None  # int64 read (slot) per candidate, None for a single read
    bitmask: torch.Tensor  # uint8 bit of the candidate's cell in its byte
    a1: torch.Tensor | None
    a0: torch.Tensor | None

    def mask(self, orig: torch.Tensor) -> torch.Tensor:
        """uint8 failing bits per candidate given the stored bytes ``orig`` (0 where the cell holds)."""
        a1, a0, bm = self.a1, self.a0, self.bitmask
        if a1 is None and a0 is None:
            return bm
        if a1 is None:
            assert a0 is not None
            return bm & (orig | a0)
        if a0 is None:
            return bm & (~orig | a1)
        if a1 is a0:
            return bm & a1
        return bm & (a0 ^ (orig & (a1 ^ a0)))  # bitwise select: a1 where the stored bit is 1, else a0


class WeakCellMap:
    """The fixed weak cells of one data type under one error model, and the per-read sampler."""

    def __init__(
        self,
        model: ErrorModel,
        layout: Layout,
        n_bits: int,
        word_bits: int,
        *,
        device: torch.device | str = "cpu",
        path: str = "auto",
        draw: str = "auto",
    ) -> None:
        layout.check_fits(n_bits)
        if path not in ("auto", "sparse", "dense"):
            raise ValueError(f"path={path!r}; allowed: auto, sparse, dense")
        if draw not in DRAWS:
            raise ValueError(f"draw={draw!r}; allowed: {', '.join(DRAWS)}")
        if draw == "cells" and model.monotone:
            raise ValueError("draw='cells' is not nested across BERs; monotone models use draw='gaps'")
        self.model, self.layout, self.n_bits, self.word_bits = model, layout, n_bits, word_bits
        self.device = torch.device(device)
        self.monotone = model.monotone
        classes: list[CellClass] = model.cell_classes(layout, n_bits, word_bits) if model.mean_ber > 0 else []
        check_disjoint(type(model).registry_name, classes)
        tag = mix_seed(*(ord(c) for c in type(model).registry_name))
        self.sparse: list[_SparseClass] = []
        self._weak_words: torch.Tensor | None = None
        self._dense_words = DenseWords()
        self.dense: list[DenseGroup] | None = None
        n_bytes = -(-n_bits // 8)
        failing = [(i, c) for i, c in enumerate(classes) if max(c.f_one, c.f_zero) > 0]
        dense_first = path == "dense" or (path == "auto" and not self.monotone)
        if (
            sum(c.n_cells * c.p for _, c in failing) > LIST_LIMIT
            and dense_first
            and (path == "dense" or _dense_expected_cheaper(failing, draw, n_bytes))
        ):
            self._build_dense_by_blocks(failing, tag)
            return
        expected = sparse_cost = 0.0
        for i, c in enumerate(classes):
            bits, level = class_weak_bits(c, layout, n_bits, word_bits, model.seed, tag)
            bits = bits.sort().values if not self.monotone else _weakness_order(bits, level)
            if bits.numel() and max(c.f_one, c.f_zero) > 0:
                cost, chosen = _sparse_cost(bits.numel(), c, draw, self.monotone)
                sparse_cost += cost
                self.sparse.append(_SparseClass(i, bits.to(self.device), c.f_one, c.f_zero, chosen))
                expected += bits.numel() * (c.f_one + c.f_zero) / 2
        self.expected_ber = expected / max(1, n_bits)
        dense_cost = _dense_cost(n_bytes, {(c.f_one, c.f_zero) for c in self.sparse})
        use_dense = path == "dense" or (path == "auto" and not self.monotone and dense_cost < sparse_cost)
        if use_dense:
            groups = [(c.bits, c.f_one, c.f_zero) for c in self.sparse]
            self.dense = build_dense(groups, self.n_bits, self.device)
            self.sparse = []

    def _build_dense_by_blocks(self, classes: list[tuple[int, CellClass]], tag: int) -> None:
        """The dense masks built from the weak cells of a few physical rows at a time (``LIST_LIMIT``): the same
        cells as one list (a row's weak cells depend on its key only), without holding a list of all of them."""
        expected = 0.0

        def parts() -> Iterator[tuple[torch.Tensor, float, float]]:
            nonlocal expected
            for _, c in classes:
                rows = max(1, int(LIST_LIMIT // max(1.0, c.bitlines.numel() * c.p)))
                for first in range(0, c.chunks.numel(), rows):
                    sub = dataclasses.replace(c, chunks=c.chunks[first : first + rows])
                    if c.p >= 1.0:  # every cell weak: no order statistics to draw
                        nb = c.bitlines.numel()
                        bits = self.layout.bit_index(
                            sub.chunks.repeat_interleave(nb), c.bitlines.repeat(sub.chunks.numel()), self.word_bits
                        )
                        bits = bits[bits < self.n_bits]
                    else:
                        bits, _ = class_weak_bits(sub, self.layout, self.n_bits, self.word_bits, self.model.seed, tag)
                    expected += bits.numel() * (c.f_one + c.f_zero) / 2
                    yield bits, c.f_one, c.f_zero

        self.dense = build_dense(parts(), self.n_bits, self.device)
        self.expected_ber = expected / max(1, self.n_bits)

    @property
    def path(self) -> str:
        return "dense" if self.dense is not None else "sparse"

    @property
    def draws(self) -> str:
        """How a read draws its failures: ``dense``, or the sparse draws of its classes (``gaps``, ``cells``)."""
        if self.dense is not None:
            return "dense"
        return "+".join(sorted({c.draw for c in self.sparse})) or "none"

    @property
    def nbytes(self) -> int:
        """Memory this map holds: per weak cell its bit, byte and bit mask, the candidates kept for the cells draw
        (``PLAN_LIMIT``) and the weak words (sparse), or the weak masks and the multi-slot pattern of the last read
        (dense; bounded by a slot, see ``eden.injection.dense``)."""
        if self.dense is not None:
            return sum(g.weak.numel() for g in self.dense) + self._dense_words.bytes
        held = [t for c in self.sparse for t in (c.bits, c.byte, c.bitmask)]
        held += [t for c in self.sparse for plan in c.plans.values() for step in plan for t in step if t is not None]
        if self._weak_words is not None:
            held.append(self._weak_words)
        return sum(t.numel() * t.element_size() for t in held)

    @property
    def n_weak(self) -> int:
        if self.dense is not None:
            return sum(int(_POPCOUNT.to(g.weak.device)[g.weak.long()].sum()) for g in self.dense)
        return sum(c.bits.numel() for c in self.sparse)

    def weak_words(self) -> torch.Tensor | None:
        """Sorted indices of the words (of ``word_bits``) holding a weak cell: the only words a read can change.
        None on the dense path (no list of weak cells). Computed once per map."""
        if self.dense is not None:
            return None
        if self._weak_words is None:
            bits = [c.bits for c in self.sparse]
            words = torch.cat(bits) if bits else torch.empty(0, dtype=torch.int64, device=self.device)
            self._weak_words = torch.unique(torch.div(words, self.word_bits, rounding_mode="floor"))
        return self._weak_words

    # --- reads ------------------------------------------------------------------------------------------
    def corrupt_(self, data: torch.Tensor, generator: torch.Generator | ReadStreams) -> Flips:
        """Flip the bits that fail on this read of ``data`` (flat uint8 storage bytes) in place.

        ``generator``: the read's streams (``eden.injection.streams``), or a generator to seed fresh ones from.
        """
        if data.dtype != torch.uint8 or data.dim() != 1 or data.numel() * 8 < self.n_bits:
            raise ValueError("corrupt_ expects the flat uint8 storage bytes of the prepared data type")
        return self._reads(data, 1, generator)

    def corrupt_reads_(self, data: torch.Tensor, reads: int, generator: torch.Generator | ReadStreams) -> Flips:
        """Flip the failing bits of ``reads`` independent reads of the same region, in place.

        ``data`` is flat uint8 holding ``reads`` equal slots back to back (slot ``r`` = bytes
        ``[r·s, (r+1)·s)``, ``s = data.numel() // reads`` ≥ the region's bytes). Every slot sees the same weak
        cells and fresh failures, in one vectorized draw. Slot r is read ``first + r`` of the streams; with a
        monotone model its failures come from its own stream (nested across BERs whatever the other slots);
        otherwise candidate ``j`` of one draw over ``n_weak × reads`` is weak cell ``j // reads`` in slot
        ``j % reads``. With ``reads == 1`` this is ``corrupt_`` draw for draw.
        """
        if reads < 1 or data.dtype != torch.uint8 or data.dim() != 1 or data.numel() % reads:
            raise ValueError("corrupt_reads_ expects flat uint8 bytes of `reads` equal slots")
        if (data.numel() // reads) * 8 < self.n_bits:
            raise ValueError(f"a slot of {data.numel() // reads} bytes cannot hold the region's {self.n_bits} bits")
        return self._reads(data, reads, generator)

    def _reads(self, data: torch.Tensor, reads: int, generator: torch.Generator | ReadStreams) -> Flips:
        if not self.dense and not self.sparse:  # no weak cell on either path: nothing can fail
            return Flips()
        streams = as_streams(generator)
        with serial_reads(data.device):
            return self._reads_serial(data, reads, streams)

    def _reads_serial(self, data: torch.Tensor, reads: int, streams: ReadStreams) -> Flips:
        if self.dense is not None:
            return dense_reads(
                self.dense, self._dense_words, data, streams.call_seed, reads, monotone=self.monotone, step=STEP
            )
        parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        for c in self.sparse:
            for step in self._class_steps(c, streams, reads, data.numel() // reads):
                orig = data.index_select(0, step.byte)
                mask = step.mask(orig)
                # carry-free add of distinct bits: +m sets a clear bit, −m (mod 256) clears a set one; (o ^ m) − o
                # is that sum, m − 2·(o & m), in one op fewer
                data.scatter_add_(0, step.byte, (orig ^ mask).sub_(orig))
                parts.append((step.byte, orig, mask))
        return Flips(parts=parts)

    def sample_reads(
        self, data: torch.Tensor, reads: int, generator: torch.Generator | ReadStreams
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(read index, storage bit) of every failure of ``reads`` future reads of unchanging ``data``.

        Lets a caller whose stored words do not change between reads (weights in evaluation) draw many reads
        in one vectorized call and apply them one at a time; read r is read ``first + r`` of the streams, as in
        ``corrupt_reads_``. Sparse path only: ``None`` on the dense path.
        """
        if self.dense is not None:
            return None
        empty = torch.empty(0, dtype=torch.int64, device=self.device)
        if not self.sparse:
            return empty, empty
        streams = as_streams(generator)
        with serial_reads(data.device):
            return self._sample_reads_serial(data, reads, streams)

    def _sample_reads_serial(
        self, data: torch.Tensor, reads: int, streams: ReadStreams
    ) -> tuple[torch.Tensor, torch.Tensor]:
        empty = torch.empty(0, dtype=torch.int64, device=self.device)
        bits_parts, read_parts = [], []
        for c in self.sparse:
            for step in self._class_steps(c, streams, reads, 0):
                if step.a1 is step.a0 and step.a1 is not None:  # fails alike whatever the cell holds (bit masks ≠ 0)
                    keep = step.a1.nonzero().squeeze(1)
                else:
                    keep = step.mask(data.index_select(0, step.byte)).nonzero().squeeze(1)
                bits_parts.append(c.bits.index_select(0, step.cell.index_select(0, keep)))
                read_parts.append(step.read.index_select(0, keep) if step.read is not None else torch.zeros_like(keep))
        if not bits_parts:
            return empty, empty
        if len(bits_parts) == 1:
            return read_parts[0], bits_parts[0]
        return torch.cat(read_parts), torch.cat(bits_parts)

    # --- one class of weak cells ------------------------------------------------------------------------
    def _class_steps(self, c: _SparseClass, streams: ReadStreams, reads: int, stride: int) -> Iterator[_Step]:
        """The candidates of one class over ``reads`` reads (slot stride ``stride`` bytes), by steps.

        The random draws of a step are taken when it is produced, so the stream order is fixed per step.
        """
        if self.monotone:
            yield from self._monotone_steps(c, streams, reads, stride)
            return
        gen = torch.Generator(device=self.device).manual_seed(mix_seed(streams.call_seed, c.index))
        n = c.bits.numel()
        if c.draw == "cells":
            for byte, cell, read, bitmask in self._cell_plan(c, reads, stride):
                step = _Step(byte, cell, read, bitmask, None, None)
                step.a1, step.a0 = threshold_draw(c.f_one, c.f_zero, byte.numel(), gen)
                yield step
            return
        keep_ones = c.f_one >= c.f_zero
        q = min(c.f_one, c.f_zero) / c.f_max
        for picked in bernoulli_indices(n * reads, c.f_max, gen, self.device, fixed_schedule=False, step=STEP):
            step = self._step(c, picked, reads, stride)
            if c.f_one != c.f_zero:  # thin candidates drawn at max(F): keep a cell holding the other value w.p. q
                thin = (torch.rand(picked.numel(), generator=gen, device=self.device) < q).view(torch.uint8)
                step.a1, step.a0 = (None, thin.neg_()) if keep_ones else (thin.neg_(), None)
            yield step

    def _cell_plan(self, c: _SparseClass, reads: int, stride: int) -> list[_Candidates]:
        """The candidates of a cells draw over ``reads`` reads by steps: every weak cell in every read, so they
        depend on the shapes only. Kept for the next call when small (``PLAN_LIMIT``): a network evaluation reads
        each IFM and weight tensor with the same shapes batch after batch, and building them was most of the
        per-call ops of a small read."""
        plan = c.plans.get((reads, stride))
        if plan is not None:
            return plan
        n = c.bits.numel()
        per_step = max(1, STEP // reads)
        plan = []
        for start in range(0, n, per_step):
            end = min(n, start + per_step)
            if reads == 1:  # contiguous cells: views, no gathers
                cell = torch.arange(start, end, device=self.device)
                plan.append((c.byte[start:end], cell, None, c.bitmask[start:end]))
            else:
                st = self._step(c, torch.arange(start * reads, end * reads, device=self.device), reads, stride)
                plan.append((st.byte, st.cell, st.read, st.bitmask))
        if n * reads <= PLAN_LIMIT:
            if len(c.plans) >= PLAN_SHAPES:  # a few shapes per data type (batch sizes, draw-ahead sizes)
                c.plans.pop(next(iter(c.plans)))
            c.plans[(reads, stride)] = plan
        return plan

    def _monotone_steps(self, c: _SparseClass, streams: ReadStreams, reads: int, stride: int) -> Iterator[_Step]:
        """Candidates of a monotone class: each read from its own counter-based stream, over the weak cells in
        weakness order, so read k's failures at a lower BER are a subset of read k's at a higher BER."""
        keys = streams.keys(reads, self.device)
        gap_keys = hash64(keys, mix_seed(c.index, _GAP_TAG))
        thin_keys = hash64(keys, mix_seed(c.index, _THIN_TAG)) if c.f_one != c.f_zero else None
        keep_ones = c.f_one >= c.f_zero
        q53 = round(min(c.f_one, c.f_zero) / c.f_max * 2.0**53)  # keep w.p. q: a 53-bit uniform below q
        for read, cell in bernoulli_indices_per_read(gap_keys, c.bits.numel(), c.f_max, step=STEP):
            byte = c.byte.index_select(0, cell)
            if reads > 1 and stride:
                byte = byte.add_(read * stride)
            step = _Step(byte, cell, read if reads > 1 else None, c.bitmask.index_select(0, cell), None, None)
            if thin_keys is not None:  # thinning by a counter-based draw of (read, cell): nested as well
                h = hash64(cell, thin_keys if reads == 1 else thin_keys.index_select(0, read))
                thin = (h.bitwise_right_shift_(11).bitwise_and_((1 << 53) - 1) < q53).view(torch.uint8).neg_()
                step.a1, step.a0 = (None, thin) if keep_ones else (thin, None)
            yield step

    def _step(self, c: _SparseClass, j: torch.Tensor, reads: int, stride: int) -> _Step:
        """Candidates ``j`` (cell-major over cells × reads) of class ``c``, every cell failing for now."""
        if reads == 1:
            cell, read = j, None
        else:
            cell = torch.div(j, reads, rounding_mode="floor")
            read = j - cell * reads
        byte = c.byte.index_select(0, cell)
        if read is not None and stride:
            byte = byte.add_(read * stride)
        return _Step(byte, cell, read, c.bitmask.index_select(0, cell), None, None)


def _sparse_cost(n: float, c: CellClass, draw: str, monotone: bool) -> tuple[float, str]:
    """Cost-model time of a sparse read of ``n`` weak cells of class ``c``, and the draw it uses."""
    gaps = n * max(c.f_one, c.f_zero) * (COST_GAP + COST_THIN * (c.f_one != c.f_zero))
    cells = n * COST_CELL
    chosen = draw if draw != "auto" else "cells" if not monotone and cells < gaps else "gaps"
    return (cells if chosen == "cells" else gaps), chosen


def _dense_cost(n_bytes: int, f_pairs: set[tuple[float, float]]) -> float:
    """Cost-model time of a dense read: one mask pass per distinct (F_V1, F_V0)."""
    return sum(n_bytes * (COST_DENSE_BYTE + COST_DENSE_DIGIT * max(digits(f1), digits(f0))) for f1, f0 in f_pairs)


def _dense_expected_cheaper(classes: list[tuple[int, CellClass]], draw: str, n_bytes: int) -> bool:
    """The cost model's choice from the expected numbers of weak cells (maps too large to list first)."""
    sparse = sum(_sparse_cost(c.n_cells * c.p, c, draw, False)[0] for _, c in classes)
    return _dense_cost(n_bytes, {(c.f_one, c.f_zero) for _, c in classes}) < sparse


def _weakness_order(bits: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
    """``bits`` by weakness level, ties by address: a lower BER's weak cells are a prefix, in the same order.

    Monotone reads walk the weak cells in this order (sparse reads of non-monotone models use address order:
    sequential memory access).
    """
    by_bit = bits.argsort(stable=True)
    return bits.index_select(0, by_bit.index_select(0, level.index_select(0, by_bit).argsort(stable=True)))
