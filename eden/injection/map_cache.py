"""A bounded cache of weak-cell maps, shared by the injectors of one process.

Characterization builds a fresh injector for every accuracy estimate, and boosting swaps assignments every
epoch; the weak cells of a (data type region, error model at its BER, layout) never change, so their maps are
built once and reused. The cache is bounded by the bytes the maps hold (least recently used maps go first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator

from eden.injection.engine import WeakCellMap

#: Default budget of the shared cache: weak-cell lists and dense masks of a few large networks' data types.
DEFAULT_BUDGET_BYTES = 1 << 30


def map_bytes(wcm: WeakCellMap) -> int:
    """Memory held by a map: weak-cell lists (sparse) or masks and their read pattern (dense)."""
    return wcm.nbytes


class MapCache:
    """Key → WeakCellMap, least recently used first out once ``budget_bytes`` is exceeded."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._maps: OrderedDict[Hashable, tuple[WeakCellMap, int]] = OrderedDict()
        self._bytes = 0
        self.builds = 0

    def get(self, key: Hashable, build: Callable[[], WeakCellMap]) -> WeakCellMap:
        hit = self._maps.get(key)
        if hit is not None:
            self._maps.move_to_end(key)
            wcm = hit[0]
        else:
            wcm = build()
            self.builds += 1
        old = self._maps.get(key)
        size = map_bytes(wcm)  # a hit is measured again: a dense map's read pattern is made at its first read
        self._maps[key] = (wcm, size)
        self._bytes += size - (old[1] if old is not None else 0)
        self._trim()
        return wcm

    def _trim(self) -> None:
        while self._bytes > self.budget_bytes and len(self._maps) > 1:
            _, (_, gone) = self._maps.popitem(last=False)
            self._bytes -= gone

    @property
    def bytes(self) -> int:
        """Memory the cached maps hold, measured again now (reads since the last ``get`` may have added a dense
        map's read pattern) and trimmed to ``budget_bytes`` (least recently used out; one map may exceed it)."""
        for key, (wcm, _) in list(self._maps.items()):
            self._maps[key] = (wcm, map_bytes(wcm))
        self._bytes = sum(size for _, size in self._maps.values())
        self._trim()
        return self._bytes

    def items(self) -> Iterator[tuple[Hashable, WeakCellMap]]:
        return ((k, v[0]) for k, v in self._maps.items())

    def clear(self) -> None:
        self._maps.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._maps)


_SHARED = MapCache()


def shared_map_cache() -> MapCache:
    """The process-wide cache injectors use unless given their own."""
    return _SHARED
