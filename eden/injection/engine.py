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

- *dense*: the weak cells are a bit mask of the storage; a read draws Bernoulli(F) bits 64 at a time
  (bit-serial comparison of random words with F's binary expansion, F rounded to 1/65536) and XORs
  ``weak & failing`` into the data. Its cost is a few memory passes, independent of the BER.

Flips are applied with a carry-free add (+m sets a clear bit, −m clears a set one; distinct bits of one byte
add without carries) and restored by writing back the bytes saved before each step, last step first.

Threads: on a CPU a read runs on one intra-op thread (``serial_reads``). Its ops are small (∝ flips, or
steps of ``STEP`` elements), and torch parallelizes some of them from ~4K elements (log1p, floor: their grain
size is far below the 32K of most ops). On a shared, loaded CPU every such OpenMP fork/join waited for a
preempted worker, 20-50 ms each: sparse reads were 10-100x slower with 2 threads; on an idle CPU one thread
costs them nothing, since steps are too small for a second thread to pay off. Torch has no per-op or per-call
thread setting, so the guard sets the process-wide count, scoped as tightly as it can be: only for CPU data, not
at all when torch already uses one thread, re-entrant and thread-safe (the first reader in saves the count,
the last one out restores it, in ``finally``), and switchable off with ``set_serial_reads(False)``. Meanwhile
other Python threads' new parallel regions may run on one thread too (the count is global in torch).
Steps also bound a read's temporaries and keep them in L2.

With ``monotone`` models the gaps draw walks the weak cells in weakness order with a fixed draw schedule and
counter-based thinning, so one read's errors at a lower BER are a subset of the same read's errors at a higher
BER; the cells and dense draws are then not used (they would couple differently).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

from eden.injection.error_model import CellClass, ErrorModel
from eden.injection.weak_cells import class_weak_bits, hash_uniform, mix_seed
from eden.layout import Layout

#: Elements per vectorized step of a read (torch's intra-op grain size for most ops; ~0.5 MB of temporaries).
STEP = 1 << 15

_serial_lock = threading.Lock()
_serial_depth = 0
_serial_saved = 0
_serial_enabled = True


def set_serial_reads(enabled: bool) -> None:
    """Whether CPU reads run on one intra-op thread (default True; see the module doc for why)."""
    global _serial_enabled
    _serial_enabled = bool(enabled)


@contextmanager
def serial_reads(device: torch.device) -> Iterator[None]:
    """One intra-op thread for a CPU read, restored afterwards; re-entrant and safe across Python threads."""
    global _serial_depth, _serial_saved
    if device.type != "cpu" or not _serial_enabled:
        yield
        return
    with _serial_lock:
        if _serial_depth == 0:
            _serial_saved = torch.get_num_threads()
            if _serial_saved > 1:
                torch.set_num_threads(1)
        _serial_depth += 1
    try:
        yield
    finally:
        with _serial_lock:
            _serial_depth -= 1
            if _serial_depth == 0 and _serial_saved > 1:
                torch.set_num_threads(_serial_saved)

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
_THIN_TAG = 0x7  # stream tag of the monotone data-dependent thinning draws
_POPCOUNT = torch.tensor([bin(i).count("1") for i in range(256)], dtype=torch.int64)


@dataclass
class _SparseClass:
    index: int
    bits: torch.Tensor  # weak storage bits (int64, on the data's device)
    f_one: float
    f_zero: float
    draw: str = "gaps"
    byte: torch.Tensor = field(init=False)  # bits >> 3
    bitmask: torch.Tensor = field(init=False)  # uint8 1 << (bits & 7)

    def __post_init__(self) -> None:
        self.byte = self.bits >> 3
        self.bitmask = torch.bitwise_left_shift(torch.ones_like(self.bits), self.bits & 7).to(torch.uint8)

    @property
    def f_max(self) -> float:
        return max(self.f_one, self.f_zero)


@dataclass
class _DenseGroup:
    weak: torch.Tensor  # uint8 bit mask of the weak cells, one byte per storage byte
    f_one: float
    f_zero: float


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


class Flips:
    """What one read changed; ``restore_`` undoes it bit-exactly.

    Sparse reads keep, per step, the bytes they touched with their values before the step and the bits
    flipped there (``parts``; a cells draw lists every weak cell, with a zero mask where it held); dense
    reads keep the XOR mask.
    """

    def __init__(
        self,
        *,
        parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] | None = None,
        mask: torch.Tensor | None = None,
    ) -> None:
        self.parts = parts or []
        self.mask = mask

    def restore_(self, data: torch.Tensor) -> None:
        with serial_reads(data.device):
            if self.mask is not None:
                _xor_by_steps(data, self.mask)
            for byte, orig, _ in reversed(self.parts):  # last step first: the earliest step saved the clean byte
                data.scatter_(0, byte, orig)

    def changed_bytes(self) -> torch.Tensor | None:
        """Storage bytes with at least one flipped bit, possibly repeated (sparse reads; None if dense)."""
        if self.mask is not None:
            return None
        kept = [byte[mask != 0] for byte, _, mask in self.parts]
        if not kept:
            return torch.empty(0, dtype=torch.int64)
        return kept[0] if len(kept) == 1 else torch.cat(kept)

    def count(self, data_after: torch.Tensor) -> int:
        """Number of flipped bits (diagnostics and tests; not on the fast path)."""
        clean = data_after.clone()
        self.restore_(clean)
        diff = clean ^ data_after
        return int(_POPCOUNT.to(diff.device)[diff.long()].sum())


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
        tag = mix_seed(*(ord(c) for c in type(model).registry_name))
        self.sparse: list[_SparseClass] = []
        expected = sparse_cost = 0.0
        for i, c in enumerate(classes):
            bits = class_weak_bits(c, layout, n_bits, word_bits, model.seed, tag)
            if not self.monotone:
                bits = bits.sort().values  # address order: sequential memory access on every read
            if bits.numel() and max(c.f_one, c.f_zero) > 0:
                gaps = bits.numel() * max(c.f_one, c.f_zero) * (COST_GAP + COST_THIN * (c.f_one != c.f_zero))
                cells = bits.numel() * COST_CELL
                chosen = draw if draw != "auto" else "cells" if not self.monotone and cells < gaps else "gaps"
                sparse_cost += cells if chosen == "cells" else gaps
                self.sparse.append(_SparseClass(i, bits.to(self.device), c.f_one, c.f_zero, chosen))
                expected += bits.numel() * (c.f_one + c.f_zero) / 2
        self.expected_ber = expected / max(1, n_bits)
        n_bytes = -(-n_bits // 8)
        dense_cost = sum(
            n_bytes * (COST_DENSE_BYTE + COST_DENSE_DIGIT * max(_digits(f1), _digits(f0)))
            for f1, f0 in {(c.f_one, c.f_zero) for c in self.sparse}
        )
        use_dense = path == "dense" or (path == "auto" and not self.monotone and dense_cost < sparse_cost)
        self.dense: list[_DenseGroup] | None = self._build_dense() if use_dense else None
        self._dense_words: dict[tuple[int, int], list[torch.Tensor]] = {}
        if self.dense is not None:
            self.sparse = []

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
    def n_weak(self) -> int:
        if self.dense is not None:
            return sum(int(_POPCOUNT.to(g.weak.device)[g.weak.long()].sum()) for g in self.dense)
        return sum(c.bits.numel() for c in self.sparse)

    def _build_dense(self) -> list[_DenseGroup]:
        n_bytes = -(-self.n_bits // 8)
        groups: dict[tuple[float, float], torch.Tensor] = {}
        for c in self.sparse:
            weak = groups.setdefault((c.f_one, c.f_zero), torch.zeros(n_bytes, dtype=torch.uint8))
            bits = c.bits.cpu()
            weak.index_add_(0, bits >> 3, (1 << (bits & 7)).to(torch.uint8))  # distinct bits: add == OR
        return [_DenseGroup(w.to(self.device), f1, f0) for (f1, f0), w in groups.items()]

    # --- reads ------------------------------------------------------------------------------------------
    def corrupt_(self, data: torch.Tensor, generator: torch.Generator) -> Flips:
        """Flip the bits that fail on this read of ``data`` (flat uint8 storage bytes) in place."""
        if data.dtype != torch.uint8 or data.dim() != 1 or data.numel() * 8 < self.n_bits:
            raise ValueError("corrupt_ expects the flat uint8 storage bytes of the prepared data type")
        return self._reads(data, 1, generator)

    def corrupt_reads_(self, data: torch.Tensor, reads: int, generator: torch.Generator) -> Flips:
        """Flip the failing bits of ``reads`` independent reads of the same region, in place.

        ``data`` is flat uint8 holding ``reads`` equal slots back to back (slot ``r`` = bytes
        ``[r·s, (r+1)·s)``, ``s = data.numel() // reads`` ≥ the region's bytes). Every slot sees the same weak
        cells and fresh failures, in one vectorized draw: candidate ``j`` of the draw over ``n_weak × reads``
        is weak cell ``j // reads`` in slot ``j % reads`` (cell-major, so a weak-set prefix keeps its
        candidates: monotone models stay nested across BERs). With ``reads == 1`` this is ``corrupt_`` draw
        for draw.
        """
        if reads < 1 or data.dtype != torch.uint8 or data.dim() != 1 or data.numel() % reads:
            raise ValueError("corrupt_reads_ expects flat uint8 bytes of `reads` equal slots")
        if (data.numel() // reads) * 8 < self.n_bits:
            raise ValueError(f"a slot of {data.numel() // reads} bytes cannot hold the region's {self.n_bits} bits")
        return self._reads(data, reads, generator)

    def _reads(self, data: torch.Tensor, reads: int, generator: torch.Generator) -> Flips:
        if self.dense is None and not self.sparse:
            return Flips()
        read_seed = int(torch.randint(1 << 62, (1,), generator=generator, device=generator.device))
        with serial_reads(data.device):
            return self._reads_serial(data, reads, read_seed)

    def _reads_serial(self, data: torch.Tensor, reads: int, read_seed: int) -> Flips:
        if self.dense is not None:
            return self._dense_reads(data, read_seed, reads)
        parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        for c in self.sparse:
            for step in self._class_steps(c, read_seed, reads, data.numel() // reads):
                orig = data.index_select(0, step.byte)
                mask = step.mask(orig)
                # carry-free add of distinct bits: +m sets a clear bit, −m (mod 256) clears a set one
                data.scatter_add_(0, step.byte, mask - (orig & mask).mul_(2))
                parts.append((step.byte, orig, mask))
        return Flips(parts=parts)

    def sample_reads(
        self, data: torch.Tensor, reads: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(read index, storage bit) of every failure of ``reads`` future reads of unchanging ``data``.

        Lets a caller whose stored words do not change between reads (weights in evaluation) draw many reads
        in one vectorized call and apply them one at a time. Sparse path only: ``None`` on the dense path.
        """
        if self.dense is not None:
            return None
        empty = torch.empty(0, dtype=torch.int64, device=self.device)
        if not self.sparse:
            return empty, empty
        read_seed = int(torch.randint(1 << 62, (1,), generator=generator, device=generator.device))
        with serial_reads(data.device):
            return self._sample_reads_serial(data, reads, read_seed)

    def _sample_reads_serial(self, data: torch.Tensor, reads: int, read_seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        empty = torch.empty(0, dtype=torch.int64, device=self.device)
        bits_parts, read_parts = [], []
        for c in self.sparse:
            for step in self._class_steps(c, read_seed, reads, 0):
                keep = step.mask(data.index_select(0, step.byte)).nonzero().squeeze(1)
                bits_parts.append(c.bits.index_select(0, step.cell.index_select(0, keep)))
                read_parts.append(step.read.index_select(0, keep) if step.read is not None else torch.zeros_like(keep))
        if not bits_parts:
            return empty, empty
        if len(bits_parts) == 1:
            return read_parts[0], bits_parts[0]
        return torch.cat(read_parts), torch.cat(bits_parts)

    # --- one class of weak cells ------------------------------------------------------------------------
    def _class_steps(self, c: _SparseClass, read_seed: int, reads: int, stride: int) -> Iterator[_Step]:
        """The candidates of one class over ``reads`` reads (cell-major; slot stride ``stride`` bytes), by steps.

        The random draws of a step are taken when it is produced, so the stream order is fixed per step.
        """
        gen = torch.Generator(device=self.device).manual_seed(mix_seed(read_seed, c.index))
        n = c.bits.numel()
        if c.draw == "cells":
            per_step = max(1, STEP // reads)
            for start in range(0, n, per_step):
                end = min(n, start + per_step)
                if reads == 1:  # contiguous cells: views, no gathers
                    cell = torch.arange(start, end, device=self.device)
                    step = _Step(c.byte[start:end], cell, None, c.bitmask[start:end], None, None)
                else:
                    step = self._step(c, torch.arange(start * reads, end * reads, device=self.device), reads, stride)
                step.a1, step.a0 = _threshold_draw(c.f_one, c.f_zero, step.byte.numel(), gen)
                yield step
            return
        thin_key = mix_seed(read_seed, c.index, _THIN_TAG)
        keep_ones = c.f_one >= c.f_zero
        q = min(c.f_one, c.f_zero) / c.f_max
        for picked in _bernoulli_indices(n * reads, c.f_max, gen, self.device, fixed_schedule=self.monotone):
            step = self._step(c, picked, reads, stride)
            if c.f_one != c.f_zero:  # thin candidates drawn at max(F): keep a cell holding the other value w.p. q
                if self.monotone:  # counter-based: a candidate's draw depends on its index, so reads stay nested
                    thin = (hash_uniform(picked, thin_key) < q).view(torch.uint8).neg_()
                else:
                    thin = (torch.rand(picked.numel(), generator=gen, device=self.device) < q).view(torch.uint8)
                    thin = thin.neg_()
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

    # --- dense path ---------------------------------------------------------------------------------------
    def _dense_weak_words(self, stride: int, reads: int) -> list[torch.Tensor]:
        """Per dense group, the weak-cell mask of ``reads`` slots of ``stride`` bytes as int64 words (cached)."""
        assert self.dense is not None
        key = (stride, reads)
        cached = self._dense_words.get(key)
        if cached is None:
            n = stride * reads
            words = -(-n // 8)
            cached = []
            for g in self.dense:
                slot = g.weak[:stride] if g.weak.numel() >= stride else torch.nn.functional.pad(
                    g.weak, (0, stride - g.weak.numel())
                )
                full = slot.repeat(reads) if reads > 1 else slot
                cached.append(torch.nn.functional.pad(full, (0, words * 8 - n)).view(torch.int64))
            self._dense_words = {key: cached}  # one shape at a time: a data type is read with one shape
        return cached

    def _dense_reads(self, data: torch.Tensor, read_seed: int, reads: int) -> Flips:
        """Weak cells ANDed with fresh Bernoulli bits, 64 cells per int64 word, by steps of ``STEP`` words."""
        assert self.dense is not None
        gen = torch.Generator(device=self.device).manual_seed(mix_seed(read_seed, 0xD))
        n = data.numel()
        weak_words = self._dense_weak_words(n // reads, reads)
        words = weak_words[0].numel()
        stored = _as_words(data)
        by_value = any(g.f_one != g.f_zero for g in self.dense)
        if stored is None and by_value:
            stored = torch.nn.functional.pad(data, (0, words * 8 - n)).view(torch.int64)
        flips = torch.empty(words, dtype=torch.int64, device=self.device)
        for start in range(0, words, STEP):
            end = min(words, start + STEP)
            acc: torch.Tensor | None = None
            for g, weak in zip(self.dense, weak_words, strict=True):
                if g.f_one == g.f_zero:
                    fail = bernoulli_words(end - start, g.f_one, gen, self.device)
                else:
                    assert stored is not None
                    fail = bernoulli_words_by_value(stored[start:end], g.f_one, g.f_zero, gen)
                fail.bitwise_and_(weak[start:end])
                acc = fail if acc is None else acc.bitwise_or_(fail)
            assert acc is not None
            flips[start:end] = acc
            if stored is not None and stored.data_ptr() == data.data_ptr():
                stored[start:end].bitwise_xor_(acc)
        mask = flips.view(torch.uint8)[:n]
        if stored is None or stored.data_ptr() != data.data_ptr():
            _xor_by_steps(data, mask)
        return Flips(mask=mask)


def _xor_by_steps(data: torch.Tensor, mask: torch.Tensor) -> None:
    """``data ^= mask`` (flat uint8), as int64 words when both allow it, in steps that run inline."""
    a, b = _as_words(data), _as_words(mask)
    if a is None or b is None:
        a, b = data, mask  # unaligned: byte steps (8x more of them)
    for start in range(0, a.numel(), STEP):
        a[start : start + STEP].bitwise_xor_(b[start : start + STEP])


def _as_words(data: torch.Tensor) -> torch.Tensor | None:
    """``data`` (flat uint8) viewed as int64 words, or None when its size or alignment does not allow it."""
    if data.numel() % 8 or data.storage_offset() % 8 or data.data_ptr() % 8:
        return None
    return data.view(torch.int64)


def _threshold_draw(
    f_one: float, f_zero: float, k: int, gen: torch.Generator
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Per candidate 0xFF where a random b-bit fraction V lies below F (for a cell holding 1, and holding 0).

    One V per candidate serves both thresholds (a cell holds one value). F is rounded to 2^-b with b = 16,
    unless that moves some nonzero F by more than 0.1 %, then b = 32 (twice the random bits).
    """
    fs = [f for f in (f_one, f_zero) if 0 < f < 1]
    bits = fraction_bits(f_one, f_zero)
    dtype = torch.int16 if bits == 16 else torch.int32
    r: torch.Tensor | None = None
    if fs:
        words = -(-k * bits // 64)
        r = torch.empty(words, dtype=torch.int64, device=gen.device).random_(-(2**63), None, generator=gen)
        r = r.view(dtype)[:k]

    def below(f: float) -> torch.Tensor | None:
        m = round(f * 2**bits)
        if m >= 2**bits:
            return None  # always fails
        if m <= 0:
            return torch.zeros(k, dtype=torch.uint8, device=gen.device)
        assert r is not None
        return (r < m - 2 ** (bits - 1)).view(torch.uint8).neg_()  # P(V < m - 2^(b-1)) = m / 2^b

    a1 = below(f_one)
    return (a1, a1) if f_one == f_zero else (a1, below(f_zero))


def fraction_bits(*fs: float) -> int:
    """Bits of the random fractions a cells draw compares with ``fs``: 16, or 32 when rounding some nonzero F
    to 2^-16 would move it by more than 0.1 % (F < ~0.008 off the 2^-16 grid)."""
    ok = all(abs(round(f * 65536) - f * 65536) <= 1e-3 * f * 65536 for f in fs if 0 < f < 1)
    return 16 if ok else 32


def _bernoulli_indices(
    n: int, p: float, gen: torch.Generator, device: torch.device, *, fixed_schedule: bool
) -> Iterator[torch.Tensor]:
    """Sorted indices in [0, n), each kept with probability p, via geometric gaps (cost ∝ n·p), in blocks.

    Blocks hold at most ``STEP`` indices. ``fixed_schedule`` draws the gaps in blocks whose sizes do not depend
    on ``n`` or ``p``, so two calls with the same generator state and ``p`` but different ``n`` agree on their
    common prefix (monotone models).
    """
    if n == 0 or p <= 0:
        return
    if p >= 1:
        for start in range(0, n, STEP):
            yield torch.arange(start, min(n, start + STEP), device=device)
        return
    inv_log = 1.0 / math.log1p(-p)
    dtype = torch.float32 if p > 1e-5 else torch.float64  # gaps beyond 2^24 need float64
    last = -1
    mean = n * p
    size = _SCHEDULE_START if fixed_schedule else int(min(STEP, mean + 6 * math.sqrt(mean) + 64))
    while True:
        u = torch.rand(size, generator=gen, device=device, dtype=dtype)
        gaps = torch.log1p(u.neg_()).mul_(inv_log).floor_().to(torch.int64).add_(1)
        pos = torch.cumsum(gaps, 0).add_(last)
        end = int(pos[-1])
        if end >= n:
            cut = int(torch.searchsorted(pos, n))
            if cut:
                yield pos[:cut]
            return
        yield pos
        last = end
        if fixed_schedule:
            size = min(2 * size, STEP)
        else:
            rest = (n - 1 - last) * p
            size = int(min(STEP, max(1024, rest + 6 * math.sqrt(rest) + 64)))


_SCHEDULE_START = 1024


def _digits(p: float) -> int:
    """Random binary digits ``bernoulli_bits`` draws for p (p rounded to 2^-16; 0 for p ∈ {0, 1})."""
    m = round(p * 65536)
    return 0 if m <= 0 or m >= 65536 else 16 - ((m & -m).bit_length() - 1)


def bernoulli_words_by_value(
    stored: torch.Tensor, f_one: float, f_zero: float, gen: torch.Generator
) -> torch.Tensor:
    """int64 words whose bit b is Bernoulli(f_one) where ``stored``'s bit b is 1, else Bernoulli(f_zero).

    One random fraction V per cell compared with the cell's own threshold (f_one or f_zero by its stored bit),
    digit by digit, 64 cells per int64: each cell uses one comparison, so the two probabilities share the
    random words (max of their digit counts, not the sum). F's rounded to multiples of 2^-16.
    """
    m1, m0 = (min(65536, max(0, round(f * 65536))) for f in (f_one, f_zero))
    ones = stored
    zeros = ~ones
    full = torch.full_like(ones, -1)
    less = torch.zeros_like(ones)
    equal = full.clone()
    for k in range(16, -1, -1):  # digit 16 is the integer part (set only for F = 1)
        b1, b0 = (m1 >> k) & 1, (m0 >> k) & 1
        threshold = full if b1 and b0 else ones if b1 else zeros if b0 else None
        rest = (m1 & ((1 << k) - 1)) or (m0 & ((1 << k) - 1))
        if k == 16:
            if threshold is not None:  # F = 1: V < 1 always
                less |= threshold
                equal &= ~threshold
            if not rest:
                break
            continue
        r = torch.empty_like(ones).random_(-(2**63), None, generator=gen)
        if threshold is None:
            equal &= ~r
        else:
            less |= equal & ~r & threshold
            equal &= ~(r ^ threshold)
        if not rest:
            break
    return less


def bernoulli_words(words: int, p: float, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """``words`` random int64 whose bits are iid Bernoulli(p), p rounded to a multiple of 2^-16.

    Compares a random binary fraction V = 0.r₁r₂… (one random word per digit) with p's binary expansion
    MSB first, 64 cells per int64: V < p has probability p. Stops after p's last 1-digit.
    """
    m = round(p * 65536)
    if m <= 0:
        return torch.zeros(words, dtype=torch.int64, device=device)
    if m >= 65536:
        return torch.full((words,), -1, dtype=torch.int64, device=device)
    lowest = (m & -m).bit_length() - 1  # last 1-digit of p
    less: torch.Tensor | None = None
    equal: torch.Tensor | None = None
    for k in range(15, lowest - 1, -1):
        r = torch.empty(words, dtype=torch.int64, device=device).random_(-(2**63), None, generator=gen)
        if (m >> k) & 1:
            hit = ~r if equal is None else equal & ~r
            less = hit if less is None else less.bitwise_or_(hit)
            equal = r if equal is None else equal.bitwise_and_(r)
        else:
            equal = ~r if equal is None else equal.bitwise_and_(~r)
    assert less is not None
    return less
