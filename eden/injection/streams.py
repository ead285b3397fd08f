"""Random streams of reads: read ``k`` of a data type draws from a stream that depends on (seed, data type, k) only.

A simulated device must not care in which order or in which batches its reads are drawn. With one shared
generator, a data type with no weak cell that skips its draw, or a different number of reads drawn ahead, would
shift the random numbers of every later read. Instead each read has its own counter-based stream:

- ``ReadStreams(seed, first)`` names reads ``first, first + 1, …`` of one data type; ``keys`` gives each read
  its key (``hash64(read index, seed)``), from which a monotone read draws its failures (``eden.injection.draws``
  ``bernoulli_indices_per_read``): read k's failures are the same whether it is drawn alone or with 63 others.
- Non-monotone reads of one call share one stream seeded by ``call_seed`` = (seed, first read): fast vectorized
  draws, still a function of the data type and read index, not of what other data types did.
- ``ReadCounter`` (one per injector) hands out the streams: data type d's seed is (injector seed, d's name), and
  its read index counts the reads of d since the injector was made (training and evaluation reads alike).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from eden.injection.weak_cells import hash64, mix_seed


@dataclass(frozen=True)
class ReadStreams:
    """Reads ``first, first + 1, …`` of one data type, drawn from the streams of ``seed``."""

    seed: int
    first: int = 0

    @property
    def call_seed(self) -> int:
        """Seed of one stream shared by the reads of a call (non-monotone draws)."""
        return mix_seed(self.seed, self.first)

    def keys(self, reads: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """int64 key of each of ``reads`` reads from ``first`` (on ``device``): read k's stream is a function of k."""
        return hash64(torch.arange(self.first, self.first + reads, dtype=torch.int64, device=device), self.seed)


def as_streams(rng: torch.Generator | ReadStreams) -> ReadStreams:
    """``rng`` itself, or fresh streams seeded by one draw from a generator (callers without a read counter)."""
    if isinstance(rng, ReadStreams):
        return rng
    return ReadStreams(int(torch.randint(1 << 62, (1,), generator=rng, device=rng.device)))


@functools.lru_cache(maxsize=4096)
def data_type_id(key: str) -> int:
    """A stable integer of a data type's name (the same in every process: not Python's salted ``hash``)."""
    return mix_seed(*key.encode())


class ReadCounter:
    """The read streams of one injector: per data type, the index of its next read."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._next: dict[str, int] = {}
        self._seeds: dict[str, int] = {}  # per data type: its streams' seed (pure Python hashing: once per key)

    def next_index(self, key: str) -> int:
        return self._next.get(key, 0)

    def peek(self, key: str) -> ReadStreams:
        """Streams of data type ``key`` from its next read on (nothing taken)."""
        seed = self._seeds.get(key)
        if seed is None:
            seed = self._seeds[key] = mix_seed(self.seed, data_type_id(key))
        return ReadStreams(seed, self.next_index(key))

    def advance(self, key: str, reads: int = 1) -> None:
        self._next[key] = self.next_index(key) + reads

    def take(self, key: str, reads: int = 1) -> ReadStreams:
        """Streams of the next ``reads`` reads of data type ``key``, which count as done."""
        streams = self.peek(key)
        self.advance(key, reads)
        return streams
