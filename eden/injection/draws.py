"""Random draws of a read: Bernoulli indices by geometric gaps, threshold draws, Bernoulli bit words.

All of them take the random numbers from a ``torch.Generator`` on the data's device, and work on vectors
(no per-element Python): see ``eden.injection.engine`` for which read path uses which.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator

import torch

from eden.injection.weak_cells import hash64


def threshold_draw(
    f_one: float, f_zero: float, k: int, gen: torch.Generator
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Per candidate 0xFF where a random b-bit fraction V lies below F (for a cell holding 1, and holding 0).

    One V per candidate serves both thresholds (a cell holds one value). F is rounded to 2^-b with b = 16,
    unless that moves some nonzero F by more than 0.1 %, then b = 32 (twice the random bits).
    """
    bits, dtype, any_random, t_one, t_zero = _thresholds(f_one, f_zero)
    r: torch.Tensor | None = None
    if any_random:
        words = -(-k * bits // 64)
        r = torch.empty(words, dtype=torch.int64, device=gen.device).random_(-(2**63), None, generator=gen)
        r = r.view(dtype)[:k]

    def below(t: int | None) -> torch.Tensor | None:
        if t is None:
            return None  # always fails
        if t == _NEVER:
            return torch.zeros(k, dtype=torch.uint8, device=gen.device)
        assert r is not None
        return (r < t).view(torch.uint8).neg_()

    a1 = below(t_one)
    return (a1, a1) if f_one == f_zero else (a1, below(t_zero))


_NEVER = -(1 << 40)  # a threshold no random fraction lies below (F rounds to 0)


@functools.lru_cache(maxsize=1024)
def _thresholds(f_one: float, f_zero: float) -> tuple[int, torch.dtype, bool, int | None, int | None]:
    """``threshold_draw``'s constants of (F_V1, F_V0), once per pair (Python arithmetic per read added up):
    fraction bits b, their integer dtype, whether any F needs random bits, and per F the level a signed b-bit
    random V must lie below (P = m / 2^b for F rounded to m / 2^b), None where it always fails, ``_NEVER``."""
    bits = fraction_bits(f_one, f_zero)

    def level(f: float) -> int | None:
        m = round(f * 2**bits)
        if m >= 2**bits:
            return None
        return _NEVER if m <= 0 else m - 2 ** (bits - 1)  # P(V < m - 2^(b-1)) = m / 2^b

    any_random = any(0 < f < 1 for f in (f_one, f_zero))
    return bits, torch.int16 if bits == 16 else torch.int32, any_random, level(f_one), level(f_zero)


@functools.lru_cache(maxsize=1024)
def fraction_bits(*fs: float) -> int:
    """Bits of the random fractions a cells draw compares with ``fs``: 16, or 32 when rounding some nonzero F
    to 2^-16 would move it by more than 0.1 % (F < ~0.008 off the 2^-16 grid)."""
    ok = all(abs(round(f * 65536) - f * 65536) <= 1e-3 * f * 65536 for f in fs if 0 < f < 1)
    return 16 if ok else 32


def bernoulli_indices(
    n: int, p: float, gen: torch.Generator, device: torch.device, *, fixed_schedule: bool, step: int
) -> Iterator[torch.Tensor]:
    """Sorted indices in [0, n), each kept with probability p, via geometric gaps (cost ∝ n·p), in blocks.

    Blocks hold at most ``step`` indices. ``fixed_schedule`` draws the gaps in blocks whose sizes do not depend
    on ``n`` or ``p``, so two calls with the same generator state and ``p`` but different ``n`` agree on their
    common prefix (monotone models).
    """
    if n == 0 or p <= 0:
        return
    if p >= 1:
        for start in range(0, n, step):
            yield torch.arange(start, min(n, start + step), device=device)
        return
    inv_log = 1.0 / math.log1p(-p)
    dtype = torch.float32 if p > 1e-5 else torch.float64  # gaps beyond 2^24 need float64
    last = -1
    mean = n * p
    size = _SCHEDULE_START if fixed_schedule else int(min(step, mean + 6 * math.sqrt(mean) + 64))
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
            size = min(2 * size, step)
        else:
            rest = (n - 1 - last) * p
            size = int(min(step, max(1024, rest + 6 * math.sqrt(rest) + 64)))


_SCHEDULE_START = 1024


def digits(p: float) -> int:
    """Random binary digits ``bernoulli_bits`` draws for p (p rounded to 2^-16; 0 for p ∈ {0, 1})."""
    m = round(p * 65536)
    return 0 if m <= 0 or m >= 65536 else 16 - ((m & -m).bit_length() - 1)


def bernoulli_words_by_value(stored: torch.Tensor, f_one: float, f_zero: float, gen: torch.Generator) -> torch.Tensor:
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


def bernoulli_indices_per_read(
    keys: torch.Tensor, n: int, p: float, *, step: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(read, index) pairs: for each read r (key ``keys[r]``), indices in [0, n) kept with probability p.

    Geometric gaps as in ``bernoulli_indices``, but gap t of read r comes from a counter-based uniform of
    (``keys[r]``, t) and gaps add up in integers. So a read's indices depend on its key only: not on which other
    reads are drawn in the same call, nor on how the draws are split into passes; and for the same p two calls
    with different n agree on their common prefix (monotone models: a lower BER's weak cells are a prefix).
    All reads are drawn together (no per-read Python work); each block holds at most about ``step`` pairs,
    sorted by read, then index.
    """
    reads, device = keys.numel(), keys.device
    if n == 0 or p <= 0 or reads == 0:
        return
    if p >= 1:
        per = max(1, step // n)
        for r0 in range(0, reads, per):
            r = torch.arange(r0, min(reads, r0 + per), device=device)
            for start in range(0, n, step):
                idx = torch.arange(start, min(n, start + step), device=device)
                yield r.repeat_interleave(idx.numel()), idx.repeat(r.numel())
        return
    inv_log = 1.0 / math.log1p(-p)
    single = p > 1e-5  # float32 arithmetic: ~2x cheaper; gaps beyond 2^24 need float64
    mean = n * p
    cols = int(max(1, min(step, mean + 6 * math.sqrt(mean) + 16)))  # pass width: changes no draw
    per_pass = max(1, step // cols)
    for r0 in range(0, reads, per_pass):
        active = torch.arange(r0, min(reads, r0 + per_pass), device=device)
        last = torch.full((active.numel(), 1), -1, dtype=torch.int64, device=device)
        t0 = 0
        while active.numel():
            t = torch.arange(t0, t0 + cols, dtype=torch.int64, device=device).unsqueeze(0)
            h = hash64(t, keys.index_select(0, active).unsqueeze(1))
            if single:  # 24-bit uniforms (gaps below 2^24 are exact in float32), as ``bernoulli_indices``
                u = h.bitwise_right_shift_(40).bitwise_and_((1 << 24) - 1).to(torch.float32).mul_(2.0**-24)
            else:
                u = h.bitwise_right_shift_(11).bitwise_and_((1 << 53) - 1).to(torch.float64).mul_(2.0**-53)
            gaps = torch.log1p(u.neg_()).mul_(inv_log).floor_().to(torch.int64).add_(1)
            pos = gaps.cumsum_(1).add_(last)
            keep = pos < n
            a, c = keep.nonzero(as_tuple=True)
            if a.numel():
                yield active.index_select(0, a), pos[a, c]
            more = keep[:, -1]
            last, active = pos[more, -1:], active[more]
            t0 += cols
