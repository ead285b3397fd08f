"""The injection engine: fixed weak cells per data type, fresh failures per read, XOR in place, exact restore.

``WeakCellMap`` is prepared once per (data type, error model at its BER, layout); ``corrupt_`` then flips
the failing bits of the storage bytes in place and returns ``Flips``, whose ``restore_`` puts the clean
bits back exactly. Two read paths, chosen per data type:

- *sparse*: per cell class, failures among the weak-cell list are found with geometric gaps, so the cost
  grows with the number of flips, not with the tensor size. Data-dependent failure probabilities are
  applied by thinning candidates drawn at the larger probability.
- *dense*: the weak cells are a bit mask of the storage; a read draws Bernoulli(F) bits 64 at a time
  (bit-serial comparison of random words with F's binary expansion, F rounded to 1/65536) and XORs
  ``weak & failing`` into the data. Its cost is a few memory passes, independent of the BER.

The switch sits at ``DENSE_MIN_BER`` (measured with ``python -m eden.bench injection``, docs/injection.md).
With ``monotone`` models the sparse path walks the weak cells in weakness order with a fixed draw schedule,
so one read's errors at a lower BER are a subset of the same read's errors at a higher BER; the dense path
is then not used (it would couple differently).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from eden.injection.error_model import CellClass, ErrorModel
from eden.injection.weak_cells import class_weak_bits, hash_uniform, mix_seed
from eden.layout import Layout

#: Sparse candidates per storage bit from which the dense read path is used (non-monotone models), for a
#: failure probability with one binary digit (F = 1/2). A dense read with d random digits per cell costs about
#: (1 + d)/2 times that (one pass of random words per digit beside the fixed byte passes), so models whose F has
#: many digits switch later. Measured on the 2-core CPU with ``python -m eden.bench injection --crossover``
#: (BENCHMARKS.md): sparse ~35 ns per candidate, dense ~0.15 ns per bit plus ~0.1 ns per bit and digit.
DENSE_MIN_BER = 5e-3


@contextmanager
def _serial() -> Iterator[None]:
    """One intra-op thread for the read: its tensors are small (∝ flips) or a few streaming passes, and on a
    shared CPU every OpenMP fork/join waits for a preempted worker (measured 10-50x slower reads under load)."""
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)

_THIN_TAG = 0x7  # stream tag of the data-dependent thinning draws
_POPCOUNT = torch.tensor([bin(i).count("1") for i in range(256)], dtype=torch.int64)


@dataclass
class _SparseClass:
    index: int
    bits: torch.Tensor  # weak storage bits (int64, on the data's device)
    f_one: float
    f_zero: float


@dataclass
class _DenseGroup:
    weak: torch.Tensor  # uint8 bit mask of the weak cells, one byte per storage byte
    f_one: float
    f_zero: float


class Flips:
    """What one read changed; ``restore_`` undoes it bit-exactly."""

    def __init__(
        self,
        *,
        byte: torch.Tensor | None = None,
        orig: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> None:
        self.byte, self.orig, self.mask = byte, orig, mask

    def restore_(self, data: torch.Tensor) -> None:
        with _serial():
            if self.mask is not None:
                data.bitwise_xor_(self.mask)
            elif self.byte is not None and self.byte.numel():
                assert self.orig is not None
                data.index_copy_(0, self.byte, self.orig)

    def count(self, data_after: torch.Tensor) -> int:
        """Number of flipped bits (diagnostics and tests; not on the fast path)."""
        if self.mask is not None:
            return int(_POPCOUNT.to(self.mask.device)[self.mask.long()].sum())
        if self.byte is None or not self.byte.numel():
            return 0
        assert self.orig is not None
        uniq, first = _first_occurrence(self.byte)
        diff = data_after.index_select(0, uniq) ^ self.orig[first]
        return int(_POPCOUNT.to(diff.device)[diff.long()].sum())


def _first_occurrence(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    uniq, inv = torch.unique(x, return_inverse=True)
    first = torch.full((uniq.numel(),), x.numel(), dtype=torch.int64, device=x.device)
    first.scatter_reduce_(0, inv, torch.arange(x.numel(), device=x.device), "amin")
    return uniq, first


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
    ) -> None:
        layout.check_fits(n_bits)
        self.model, self.layout, self.n_bits, self.word_bits = model, layout, n_bits, word_bits
        self.device = torch.device(device)
        self.monotone = model.monotone
        classes: list[CellClass] = model.cell_classes(layout, n_bits, word_bits) if model.mean_ber > 0 else []
        tag = mix_seed(*(ord(c) for c in type(model).registry_name))
        self.sparse: list[_SparseClass] = []
        expected = 0.0
        for i, c in enumerate(classes):
            bits = class_weak_bits(c, layout, n_bits, word_bits, model.seed, tag)
            if not self.monotone:
                bits = bits.sort().values  # address order: sequential memory access on every read
            if bits.numel() and max(c.f_one, c.f_zero) > 0:
                self.sparse.append(_SparseClass(i, bits.to(self.device), c.f_one, c.f_zero))
                expected += bits.numel() * (c.f_one + c.f_zero) / 2
        self.expected_ber = expected / max(1, n_bits)
        if path not in ("auto", "sparse", "dense"):
            raise ValueError(f"path={path!r}; allowed: auto, sparse, dense")
        # cost model (see DENSE_MIN_BER): sparse ∝ candidates drawn at max(F); dense ∝ bits × (1 + random digits)
        candidates = sum(c.bits.numel() * max(c.f_one, c.f_zero) for c in self.sparse) / max(1, n_bits)
        digits = sum(
            max(_digits(f1), _digits(f0)) for f1, f0 in {(c.f_one, c.f_zero) for c in self.sparse}
        )
        use_dense = path == "dense" or (
            path == "auto" and not self.monotone and candidates >= DENSE_MIN_BER * (1 + digits) / 2
        )
        self.dense: list[_DenseGroup] | None = self._build_dense() if use_dense else None
        if self.dense is not None:
            self.sparse = []

    @property
    def path(self) -> str:
        return "dense" if self.dense is not None else "sparse"

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

    # --- one read -----------------------------------------------------------------------------------
    def corrupt_(self, data: torch.Tensor, generator: torch.Generator) -> Flips:
        """Flip the bits that fail on this read of ``data`` (flat uint8 storage bytes) in place."""
        if data.dtype != torch.uint8 or data.dim() != 1 or data.numel() * 8 < self.n_bits:
            raise ValueError("corrupt_ expects the flat uint8 storage bytes of the prepared data type")
        if self.dense is None and not self.sparse:
            return Flips()
        read_seed = int(torch.randint(1 << 62, (1,), generator=generator, device=generator.device))
        with _serial():
            if self.dense is not None:
                return self._dense_read(data, read_seed)
            parts = [self._sparse_class_read(c, data, read_seed) for c in self.sparse]
            bits = parts[0] if len(parts) == 1 else torch.cat(parts)
            if not bits.numel():
                return Flips()
            byte = bits >> 3
            mask = torch.bitwise_left_shift(torch.ones_like(bits), bits & 7).to(torch.uint8)
            orig = data.index_select(0, byte)
            # Flips of distinct bits of one byte add without carries: +m sets a clear bit, −m clears a set one.
            delta = torch.where((orig & mask) != 0, (~mask) + 1, mask)
            data.index_add_(0, byte, delta)
            return Flips(byte=byte, orig=orig)

    def _sparse_class_read(self, c: _SparseClass, data: torch.Tensor, read_seed: int) -> torch.Tensor:
        fmax = max(c.f_one, c.f_zero)
        n = c.bits.numel()
        gen = torch.Generator(device=self.device).manual_seed(mix_seed(read_seed, c.index))
        picked = _bernoulli_indices(n, fmax, gen, self.device, fixed_schedule=self.monotone)
        bits = c.bits.index_select(0, picked)
        if c.f_one != c.f_zero and bits.numel():
            stored = (data.index_select(0, bits >> 3) >> (bits & 7).to(torch.uint8)) & 1
            keep_p = torch.where(stored.bool(), c.f_one / fmax, c.f_zero / fmax)
            # counter-based: a candidate's thinning draw depends on its index, not on how many were picked,
            # so monotone reads stay nested across BERs for data-dependent models too
            u = hash_uniform(picked, mix_seed(read_seed, c.index, _THIN_TAG))
            bits = bits[u < keep_p]
        return bits

    # --- several reads of one region at once (IFMs: each sample of a batch is one read) -----------------
    def corrupt_reads_(self, data: torch.Tensor, reads: int, generator: torch.Generator) -> Flips:
        """Flip the failing bits of ``reads`` independent reads of the same region, in place.

        ``data`` is flat uint8 holding ``reads`` equal slots back to back (slot ``r`` = bytes
        ``[r·s, (r+1)·s)``, ``s = data.numel() // reads`` ≥ the region's bytes). Every slot sees the same weak
        cells and fresh failures, in one vectorized draw: candidate ``j`` of the Bernoulli stream over
        ``n_weak × reads`` is weak cell ``j // reads`` in slot ``j % reads`` (cell-major, so a weak-set prefix
        keeps its candidates: monotone models stay nested across BERs). With ``reads == 1`` this is
        ``corrupt_`` draw for draw.
        """
        if reads < 1 or data.dtype != torch.uint8 or data.dim() != 1 or data.numel() % reads:
            raise ValueError("corrupt_reads_ expects flat uint8 bytes of `reads` equal slots")
        stride = data.numel() // reads
        if stride * 8 < self.n_bits:
            raise ValueError(f"a slot of {stride} bytes cannot hold the region's {self.n_bits} bits")
        if self.dense is None and not self.sparse:
            return Flips()
        read_seed = int(torch.randint(1 << 62, (1,), generator=generator, device=generator.device))
        if self.dense is not None:
            return self._dense_reads(data, read_seed, reads)
        parts = [self._sparse_class_reads(c, data, read_seed, reads, stride * 8) for c in self.sparse]
        bits = parts[0] if len(parts) == 1 else torch.cat(parts)
        if not bits.numel():
            return Flips()
        byte = bits >> 3
        mask = torch.bitwise_left_shift(torch.ones_like(bits), bits & 7).to(torch.uint8)
        orig = data.index_select(0, byte)
        delta = torch.where((orig & mask) != 0, (~mask) + 1, mask)  # carry-free add of distinct bits
        data.index_add_(0, byte, delta)
        return Flips(byte=byte, orig=orig)

    def _sparse_class_reads(
        self, c: _SparseClass, data: torch.Tensor, read_seed: int, reads: int, stride_bits: int
    ) -> torch.Tensor:
        return self._sparse_class_picks(c, data, read_seed, reads, stride_bits)[0]

    def _sparse_class_picks(
        self, c: _SparseClass, data: torch.Tensor, read_seed: int, reads: int, stride_bits: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(failing bits of all slots, their read index or None when ``reads == 1``) of one cell class."""
        fmax = max(c.f_one, c.f_zero)
        gen = torch.Generator(device=self.device).manual_seed(mix_seed(read_seed, c.index))
        picked = _bernoulli_indices(c.bits.numel() * reads, fmax, gen, self.device, fixed_schedule=self.monotone)
        read: torch.Tensor | None = None
        if reads == 1:
            bits = c.bits.index_select(0, picked)
        else:
            read = picked % reads
            bits = c.bits.index_select(0, picked // reads)
            if stride_bits:
                bits = bits.add_(read * stride_bits)
        if c.f_one != c.f_zero and bits.numel():
            stored = (data.index_select(0, bits >> 3) >> (bits & 7).to(torch.uint8)) & 1
            keep_p = torch.where(stored.bool(), c.f_one / fmax, c.f_zero / fmax)
            keep = hash_uniform(picked, mix_seed(read_seed, c.index, _THIN_TAG)) < keep_p
            bits = bits[keep]
            read = read[keep] if read is not None else None
        return bits, read

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
        bits_parts, read_parts = [], []
        for c in self.sparse:
            bits, read = self._sparse_class_picks(c, data, read_seed, reads, 0)
            bits_parts.append(bits)
            read_parts.append(read if read is not None else torch.zeros_like(bits))
        if len(bits_parts) == 1:
            return read_parts[0], bits_parts[0]
        return torch.cat(read_parts), torch.cat(bits_parts)

    def _dense_reads(self, data: torch.Tensor, read_seed: int, reads: int) -> Flips:
        assert self.dense is not None
        gen = torch.Generator(device=self.device).manual_seed(mix_seed(read_seed, 0xD))
        stride = data.numel() // reads
        slots = data.view(reads, stride)
        flips: torch.Tensor | None = None
        for g in self.dense:
            weak = g.weak[:stride] if g.weak.numel() >= stride else torch.nn.functional.pad(
                g.weak, (0, stride - g.weak.numel())
            )
            if g.f_one == g.f_zero:
                fail = weak & bernoulli_bits(data.numel(), g.f_one, gen, self.device).view(reads, stride)
            else:
                ones = bernoulli_bits(data.numel(), g.f_one, gen, self.device).view(reads, stride)
                zeros = bernoulli_bits(data.numel(), g.f_zero, gen, self.device).view(reads, stride)
                fail = weak & ((slots & ones) | (~slots & zeros))
            flips = fail if flips is None else flips.bitwise_or_(fail)
        assert flips is not None
        flat = flips.reshape(-1)
        data.bitwise_xor_(flat)
        return Flips(mask=flat)

    def _dense_read(self, data: torch.Tensor, read_seed: int) -> Flips:
        assert self.dense is not None
        gen = torch.Generator(device=self.device).manual_seed(mix_seed(read_seed, 0xD))
        n = data.numel()
        flips: torch.Tensor | None = None
        for g in self.dense:
            weak = g.weak if g.weak.numel() == n else torch.nn.functional.pad(g.weak, (0, n - g.weak.numel()))
            if g.f_one == g.f_zero:
                fail = weak & bernoulli_bits(n, g.f_one, gen, self.device)
            else:
                fail = weak & bernoulli_bits_by_value(data, g.f_one, g.f_zero, gen)
            flips = fail if flips is None else flips.bitwise_or_(fail)
        assert flips is not None
        data.bitwise_xor_(flips)
        return Flips(mask=flips)


_SCHEDULE_START = 1024
_SCHEDULE_MAX = 1 << 20


def _bernoulli_indices(
    n: int, p: float, gen: torch.Generator, device: torch.device, *, fixed_schedule: bool
) -> torch.Tensor:
    """Sorted indices in [0, n) each kept with probability p, via geometric gaps (cost ∝ n·p).

    ``fixed_schedule`` draws the gaps in blocks whose sizes do not depend on ``n`` or ``p``'s count, so two
    calls with the same generator state and ``p`` but different ``n`` agree on their common prefix.
    """
    if n == 0 or p <= 0:
        return torch.empty(0, dtype=torch.int64, device=device)
    if p >= 1:
        return torch.arange(n, device=device)
    inv_log = 1.0 / math.log1p(-p)
    dtype = torch.float32 if p > 1e-5 else torch.float64  # gaps beyond 2^24 need float64
    out: list[torch.Tensor] = []
    last = -1
    mean = n * p
    size = _SCHEDULE_START if fixed_schedule else int(mean + 6 * math.sqrt(mean) + 64)
    while True:
        u = torch.rand(size, generator=gen, device=device, dtype=dtype)
        gaps = torch.log1p(u.neg_()).mul_(inv_log).floor_().to(torch.int64).add_(1)
        pos = torch.cumsum(gaps, 0).add_(last)
        if int(pos[-1]) >= n:
            out.append(pos[: int(torch.searchsorted(pos, n))])
            break
        out.append(pos)
        last = int(pos[-1])
        size = min(2 * size, _SCHEDULE_MAX) if fixed_schedule else max(1024, int(0.25 * size))
    return out[0] if len(out) == 1 else torch.cat(out)


def _digits(p: float) -> int:
    """Random binary digits ``bernoulli_bits`` draws for p (p rounded to 2^-16; 0 for p ∈ {0, 1})."""
    m = round(p * 65536)
    return 0 if m <= 0 or m >= 65536 else 16 - ((m & -m).bit_length() - 1)


def bernoulli_bits_by_value(
    data: torch.Tensor, f_one: float, f_zero: float, gen: torch.Generator
) -> torch.Tensor:
    """Bytes whose bit b is Bernoulli(f_one) where ``data``'s bit b is 1, else Bernoulli(f_zero).

    One random fraction V per cell compared with the cell's own threshold (f_one or f_zero by its stored bit),
    digit by digit, 64 cells per int64: each cell uses one comparison, so the two probabilities share the
    random words (max of their digit counts, not the sum). F's rounded to multiples of 2^-16.
    """
    n = data.numel()
    m1, m0 = (min(65536, max(0, round(f * 65536))) for f in (f_one, f_zero))
    words = -(-n // 8)
    padded = data if n == words * 8 else torch.nn.functional.pad(data, (0, words * 8 - n))
    ones = padded.view(torch.int64)
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
    return less.view(torch.uint8)[:n]


def bernoulli_bits(n: int, p: float, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """``n`` random bytes whose bits are iid Bernoulli(p), p rounded to a multiple of 2^-16.

    Compares a random binary fraction V = 0.r₁r₂… (one random word per digit) with p's binary expansion
    MSB first, 64 cells per int64: V < p has probability p. Stops after p's last 1-digit.
    """
    m = round(p * 65536)
    if m <= 0:
        return torch.zeros(n, dtype=torch.uint8, device=device)
    if m >= 65536:
        return torch.full((n,), 255, dtype=torch.uint8, device=device)
    words = -(-n // 8)
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
    return less.view(torch.uint8)[:n]
