"""The dense read path: weak cells as a bit mask of the storage, failures as Bernoulli bits 64 at a time.

A read draws Bernoulli(F) bits by a bit-serial comparison of random words with F's binary expansion (F rounded
to 1/65536) and XORs ``weak & failing`` into the data: a few memory passes, whatever the BER.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch

from eden.injection.draws import bernoulli_words, bernoulli_words_by_value
from eden.injection.flips import Flips, as_words, xor_by_steps
from eden.injection.weak_cells import mix_seed


@dataclass
class DenseGroup:
    weak: torch.Tensor  # uint8 bit mask of the weak cells, one byte per storage byte
    f_one: float
    f_zero: float


@dataclass
class DenseWords:
    """One period of a multi-slot read's weak masks as int64 words, for the last slot stride (a data type is read
    with one stride). A batch's slots repeat the same mask, so word ``w`` of a read is word ``w mod period`` of
    the pattern: its memory is bounded by the slot (at most 8 slots when the stride is not a multiple of 8
    bytes, plus one step), never by the batch size."""

    stride: int | None = None
    period: int = 0  # words after which the slots' masks repeat
    words: list[torch.Tensor] = field(default_factory=list)

    owned: int = 0  # bytes of ``words`` not shared with the map's masks (views of them hold none)

    @property
    def bytes(self) -> int:
        """Memory the cached words hold of their own."""
        return self.owned


def build_dense(
    classes: Iterable[tuple[torch.Tensor, float, float]], n_bits: int, device: torch.device
) -> list[DenseGroup]:
    """One mask per distinct (F_V1, F_V0) of the classes ``(weak storage bits, f_one, f_zero)``, padded to
    whole int64 words (so a single read views it as words without a copy)."""
    n_bytes = -(-n_bits // 8)
    padded = -(-n_bytes // 8) * 8
    groups: dict[tuple[float, float], torch.Tensor] = {}
    for bits, f_one, f_zero in classes:
        if not bits.numel():
            continue
        weak = groups.setdefault((f_one, f_zero), torch.zeros(padded, dtype=torch.uint8))
        bits = bits.cpu()
        weak.index_add_(0, bits >> 3, (1 << (bits & 7)).to(torch.uint8))  # distinct bits: add == OR
    return [DenseGroup(w.to(device), f1, f0) for (f1, f0), w in groups.items()]


def _slot(weak: torch.Tensor, stride: int) -> torch.Tensor:
    """The weak mask of one slot of ``stride`` bytes (the map's region, zero beyond it)."""
    if weak.numel() >= stride:
        return weak[:stride]
    return torch.nn.functional.pad(weak, (0, stride - weak.numel()))


def weak_words(groups: list[DenseGroup], cache: DenseWords, stride: int, reads: int, step: int) -> list[torch.Tensor]:
    """Per group, the weak-cell mask of ``reads`` slots of ``stride`` bytes as int64 words: the whole mask for
    one read (a view), else the repeating pattern of the slots, as long as a read's steps can reach: one period
    plus a step, or the read itself when shorter (``cache.period``; see ``DenseWords``)."""
    n_words = -(-stride * reads // 8)
    if reads == 1:
        if cache.stride != stride or cache.period:
            cache.words, cache.owned, cache.period = [], 0, 0
            for g in groups:
                if g.weak.numel() % 8 == 0 and g.weak.numel() >= stride:  # the map's own mask (0 past its region)
                    cache.words.append(g.weak.view(torch.int64))
                else:
                    w = torch.nn.functional.pad(_slot(g.weak, stride), (0, -stride % 8))
                    cache.words.append(w.view(torch.int64))
                    cache.owned += w.numel()
            cache.stride = stride
        return cache.words
    period = 8 // math.gcd(stride, 8) * stride // 8  # words after which the slots' masks repeat
    need = min(period + step, n_words)  # a step starts inside the first period, or the read is shorter
    if cache.stride != stride or not cache.period or cache.words[0].numel() < need:
        cache.words, cache.owned, cache.period = [], 0, period
        for g in groups:
            w = _slot(g.weak, stride).repeat(-(-need * 8 // stride))
            w = w[: need * 8].clone() if w.numel() > need * 8 else w
            cache.words.append(w.view(torch.int64))
            cache.owned += w.numel()
        cache.stride = stride
    return cache.words


def dense_reads(
    groups: list[DenseGroup],
    cache: DenseWords,
    data: torch.Tensor,
    read_seed: int,
    reads: int,
    *,
    monotone: bool,
    step: int,
) -> Flips:
    """Weak cells ANDed with fresh Bernoulli bits, 64 cells per int64 word, by steps of ``step`` words.

    Monotone models draw each step's random fractions from a stream of (read, step) shared by the groups
    (disjoint cells, so each cell still uses its own fraction once): a cell failing at a lower BER (weak,
    V < F) fails at a higher one (weak sets nest, F does not decrease).
    """
    if not groups:
        return Flips()
    device = data.device
    gen = torch.Generator(device=device).manual_seed(mix_seed(read_seed, 0xD))
    n = data.numel()
    weak = weak_words(groups, cache, n // reads, reads, step)
    words = -(-n // 8)
    period = cache.period
    stored = as_words(data)
    by_value = any(g.f_one != g.f_zero for g in groups)
    if stored is None and by_value:
        stored = torch.nn.functional.pad(data, (0, words * 8 - n)).view(torch.int64)
    flips = torch.empty(words, dtype=torch.int64, device=device)
    for start in range(0, words, step):
        end = min(words, start + step)
        acc: torch.Tensor | None = None
        at = start % period if period else start
        for g, w in zip(groups, weak, strict=True):
            if monotone:  # one random fraction per cell and step, whatever F and the groups: V < F nests
                gen.manual_seed(mix_seed(read_seed, 0xD, start))
            if g.f_one == g.f_zero:
                fail = bernoulli_words(end - start, g.f_one, gen, device)
            else:
                assert stored is not None
                fail = bernoulli_words_by_value(stored[start:end], g.f_one, g.f_zero, gen)
            fail.bitwise_and_(w[at : at + end - start])
            acc = fail if acc is None else acc.bitwise_or_(fail)
        assert acc is not None
        flips[start:end] = acc
        if stored is not None and stored.data_ptr() == data.data_ptr():
            stored[start:end].bitwise_xor_(acc)
    mask = flips.view(torch.uint8)[:n]
    if stored is None or stored.data_ptr() != data.data_ptr():
        xor_by_steps(data, mask, step)
    return Flips(mask=mask)
