"""Fixed weak-cell sets, drawn once per data type in time proportional to the number of weak cells.

A class (see ``CellClass``) is cut into blocks, one per physical row (partition, bank, row), each with its own
counter-based stream keyed by the device seed and that location. A block's cells get a keyed random order (a
Feistel permutation of its bitlines, evaluated only on the prefix it needs) and weakness levels (uniform order
statistics in Rényi's representation): the weak cells at probability ``p`` are those of level below ``p``, so
their number is exactly Binomial per block, weak sets are nested across BERs for one seed, and a cell's
weakness is a function of its physical location, not of the region that covers it nor of the values stored.
All draws happen on the CPU with counter-based hashing, so the weak set is identical on every device.
"""

from __future__ import annotations

import math

import torch

from eden.injection.error_model import CellClass
from eden.layout import Layout

_M64 = (1 << 64) - 1


def _signed(x: int) -> int:
    x &= _M64
    return x - (1 << 64) if x >= 1 << 63 else x


_GOLD = _signed(0x9E3779B97F4A7C15)
_MIX1 = _signed(0xBF58476D1CE4E5B9)
_MIX2 = _signed(0x94D049BB133111EB)


def mix_seed(*parts: int) -> int:
    """A 63-bit seed from integers (splitmix64 chained); stable across runs and platforms."""
    h = 0x243F6A8885A308D3
    for part in parts:
        h = (h ^ (part & _M64)) & _M64
        h = (h + 0x9E3779B97F4A7C15) & _M64
        h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _M64
        h ^= h >> 31
    return h & ((1 << 63) - 1)


def _srl(x: torch.Tensor, k: int) -> torch.Tensor:
    """Logical right shift of int64 (torch shifts arithmetically)."""
    return (x >> k) & ((1 << (64 - k)) - 1)


def hash64(x: torch.Tensor, key: int | torch.Tensor) -> torch.Tensor:
    """splitmix64 finalizer of ``x + key`` elementwise (int64, wrapping).

    ``key`` is an integer (mixed into one offset) or an int64 tensor of offsets broadcast against ``x`` (already
    mixed, e.g. outputs of ``hash64``): one stream per element of ``key``. In place on one scratch tensor (same
    values as the textbook form; ~2x faster on the read path's thinning).
    """
    offset = key if isinstance(key, torch.Tensor) else _signed(key * 0x9E3779B97F4A7C15 + 0x9E3779B97F4A7C15)
    z = x + offset
    t = torch.empty_like(z)
    for shift, mul in ((30, _MIX1), (27, _MIX2), (31, 0)):
        torch.bitwise_right_shift(z, shift, out=t)
        z.bitwise_xor_(t.bitwise_and_((1 << (64 - shift)) - 1))  # logical shift: clear the sign-filled bits
        if mul:
            z.mul_(mul)
    return z


def hash_uniform(x: torch.Tensor, key: int | torch.Tensor) -> torch.Tensor:
    """Uniform [0, 1) float64 per element of ``x`` (53-bit), keyed (``key`` as in ``hash64``)."""
    h = hash64(x, key)
    return h.bitwise_right_shift_(11).bitwise_and_((1 << 53) - 1).to(torch.float64).mul_(2.0**-53)


def feistel_permute(i: torch.Tensor, n: int, key: int | torch.Tensor, rounds: int = 4) -> torch.Tensor:
    """A keyed pseudo-random permutation of ``[0, n)`` evaluated at ``i`` (cycle-walking Feistel).

    ``key``: one integer, or an int64 tensor like ``i`` giving each element its own permutation.
    """
    if n <= 1:
        return torch.zeros_like(i)
    half = max(1, math.ceil(math.ceil(math.log2(n)) / 2))
    mask = (1 << half) - 1
    if isinstance(key, torch.Tensor):
        keys: list[int | torch.Tensor] = [hash64(key, r) for r in range(rounds)]
    else:
        keys = [mix_seed(key, r) for r in range(rounds)]
    out = i.clone()
    pending = torch.arange(out.numel(), device=out.device)  # elements still walking (all at first)
    x, sub = out, keys
    while True:
        left, right = _srl(x, half) & mask, x & mask
        for k in sub:
            left, right = right, left ^ (hash64(right, k) & mask)
        x = (left << half) | right
        out.index_copy_(0, pending, x)
        walk = x >= n  # outside [0, n): apply the permutation again, to those elements only
        if not bool(walk.any()):
            return out
        pending, x = pending[walk], x[walk]
        sub = [k[walk] if isinstance(k, torch.Tensor) else k for k in sub]


#: Order statistics drawn per pass over blocks: at most this many (bounds the temporaries of a map build).
_BUILD_CELLS = 1 << 21
#: Weakness levels are integers in units of 2^-47 (sums stay below 2^53: exact in float64 and int64).
_LEVEL_UNIT = float(1 << 47)


def block_order_statistics(keys: torch.Tensor, n: int, p: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The weak cells at probability ``p`` of blocks of ``n`` cells, one block per key: (block, rank, level).

    Block ``b``'s cell of rank ``j`` turns weak once p reaches ``1 - exp(-level)``, where ``level`` is the j-th
    of its uniform order statistics in Rényi's representation (``level_j = Σ_{i≤j} E_i / (n - i)``, E_i standard
    exponentials from the block's counter-based stream). So the number of weak cells of a block is exactly
    Binomial(n, p), never decreases with p, and depends only on the block's key: the cells weak at a lower p
    are those of lower level. Levels are sums of integers (units of 2^-47), so a cell's level is the same bit
    for bit whatever ``p`` and however the draws are split into passes. Cost ∝ weak cells + blocks.
    """
    empty = torch.empty(0, dtype=torch.int64)
    if p <= 0.0 or n == 0 or keys.numel() == 0:
        return empty, empty, empty
    threshold = 1 << 62 if p >= 1.0 else math.floor(-math.log1p(-p) * _LEVEL_UNIT)
    mean = n * min(p, 1.0)
    cols = int(min(n, math.ceil(mean + 6 * math.sqrt(mean) + 8)))
    per_pass = max(1, _BUILD_CELLS // cols)
    blocks, ranks, levels = [], [], []
    for first in range(0, keys.numel(), per_pass):
        active = torch.arange(first, min(keys.numel(), first + per_pass))
        total = torch.zeros(active.numel(), dtype=torch.int64)
        start = 0
        while active.numel():
            width = min(cols, n - start)
            j = torch.arange(start, start + width)
            u = hash_uniform(j.unsqueeze(0), keys.index_select(0, active).unsqueeze(1))
            spacing = torch.log1p(u.neg_()).neg_().div_((n - j).to(torch.float64)).mul_(_LEVEL_UNIT).round_()
            level = spacing.to(torch.int64).cumsum_(1).add_(total.unsqueeze(1))
            below = level < threshold
            a, c = below.nonzero(as_tuple=True)
            blocks.append(active.index_select(0, a))
            ranks.append(c + start)
            levels.append(level[a, c])
            start += width
            more = below[:, -1] if start < n else torch.zeros_like(below[:, -1])
            total, active = level[more, -1], active[more]
    return torch.cat(blocks), torch.cat(ranks), torch.cat(levels)


def class_weak_bits(
    cls: CellClass, layout: Layout, n_bits: int, word_bits: int, seed: int, model_tag: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Storage bits (int64, CPU) of the weak cells of ``cls`` and their weakness levels (int64; lower: weak sooner).

    Weakness belongs to the physical cell: a block is the class's cells of one physical row (partition, bank,
    row), keyed by (device seed, model, class, partition, bank, row) and never by the region that covers it, so
    two regions over the same cells (a 1-row and a 2-row region over row 0; a data type that wraps around its
    partition) see the same weak cells. Within a block the weak cells are the first ones of a keyed random
    permutation of its bitlines (``feistel_permute``), as many as ``block_order_statistics`` counts.
    """
    g = layout.geometry
    bank, row = layout.chunk_bank_row(cls.chunks)
    keys = hash64(bank * g.rows_per_bank + row, mix_seed(seed, layout.partition, model_tag, cls.tag))
    nb = cls.bitlines.numel()
    block, rank, level = block_order_statistics(keys, nb, cls.p)
    if block.numel() == 0:
        return torch.empty(0, dtype=torch.int64), torch.empty(0, dtype=torch.int64)
    local = feistel_permute(rank, nb, keys.index_select(0, block))
    bits = layout.bit_index(cls.chunks.index_select(0, block), cls.bitlines.index_select(0, local), word_bits)
    inside = bits < n_bits
    return bits[inside], level[inside]
