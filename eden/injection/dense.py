"""The dense read path: weak cells as a bit mask of the storage, failures as Bernoulli bits 64 at a time.

A read draws Bernoulli(F) bits by a bit-serial comparison of random words with F's binary expansion (F rounded
to 1/65536) and XORs ``weak & failing`` into the data: a few memory passes, whatever the BER.
"""

from __future__ import annotations

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
    """The weak masks of the last read shape as int64 words (a data type is read with one shape)."""

    shape: tuple[int, int] | None = None
    words: list[torch.Tensor] = field(default_factory=list)


def build_dense(
    classes: list[tuple[torch.Tensor, float, float]], n_bits: int, device: torch.device
) -> list[DenseGroup]:
    """One mask per distinct (F_V1, F_V0) of the classes ``(weak storage bits, f_one, f_zero)``."""
    n_bytes = -(-n_bits // 8)
    groups: dict[tuple[float, float], torch.Tensor] = {}
    for bits, f_one, f_zero in classes:
        weak = groups.setdefault((f_one, f_zero), torch.zeros(n_bytes, dtype=torch.uint8))
        bits = bits.cpu()
        weak.index_add_(0, bits >> 3, (1 << (bits & 7)).to(torch.uint8))  # distinct bits: add == OR
    return [DenseGroup(w.to(device), f1, f0) for (f1, f0), w in groups.items()]


def weak_words(groups: list[DenseGroup], cache: DenseWords, stride: int, reads: int) -> list[torch.Tensor]:
    """Per group, the weak-cell mask of ``reads`` slots of ``stride`` bytes as int64 words (cached)."""
    if cache.shape != (stride, reads):
        n = stride * reads
        words = -(-n // 8)
        cache.words = []
        for g in groups:
            slot = g.weak[:stride] if g.weak.numel() >= stride else torch.nn.functional.pad(
                g.weak, (0, stride - g.weak.numel())
            )
            full = slot.repeat(reads) if reads > 1 else slot
            cache.words.append(torch.nn.functional.pad(full, (0, words * 8 - n)).view(torch.int64))
        cache.shape = (stride, reads)
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
    weak = weak_words(groups, cache, n // reads, reads)
    words = weak[0].numel()
    stored = as_words(data)
    by_value = any(g.f_one != g.f_zero for g in groups)
    if stored is None and by_value:
        stored = torch.nn.functional.pad(data, (0, words * 8 - n)).view(torch.int64)
    flips = torch.empty(words, dtype=torch.int64, device=device)
    for start in range(0, words, step):
        end = min(words, start + step)
        acc: torch.Tensor | None = None
        for g, w in zip(groups, weak, strict=True):
            if monotone:  # one random fraction per cell and step, whatever F and the groups: V < F nests
                gen.manual_seed(mix_seed(read_seed, 0xD, start))
            if g.f_one == g.f_zero:
                fail = bernoulli_words(end - start, g.f_one, gen, device)
            else:
                assert stored is not None
                fail = bernoulli_words_by_value(stored[start:end], g.f_one, g.f_zero, gen)
            fail.bitwise_and_(w[start:end])
            acc = fail if acc is None else acc.bitwise_or_(fail)
        assert acc is not None
        flips[start:end] = acc
        if stored is not None and stored.data_ptr() == data.data_ptr():
            stored[start:end].bitwise_xor_(acc)
    mask = flips.view(torch.uint8)[:n]
    if stored is None or stored.data_ptr() != data.data_ptr():
        xor_by_steps(data, mask, step)
    return Flips(mask=mask)
