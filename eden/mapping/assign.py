"""EDEN Algorithm 1 (paper §6): place each datum in the best partition it tolerates that still has room.

The paper leaves two points open; they are fixed here:

- **Sort order**: tolerance descending, ties by size descending, then by key. The most aggressive partitions
  are usable only by the most tolerant data, so those data choose first; among equals, large data first is the
  first-fit-decreasing rule of bin packing (fewer stranded bytes). The key makes the order total (determinism).
- **Per-datum reset**: "best so far" starts empty for every datum (the paper's pseudo-code carries it over, so a
  later datum could inherit a partition it does not tolerate or that is already full).

"Best" is the heaviest point (energy saved, then tRCD saved; see :mod:`eden.mapping.space`); on a tie, the
partition with the least room left (best fit), then the lowest index.
"""

from __future__ import annotations

from collections.abc import Sequence

from eden.dram.operating_point import OperatingPoint
from eden.errors import ConfigError
from eden.mapping.space import Datum, Space, within


def eden_order(data: Sequence[Datum]) -> list[Datum]:
    """Algorithm 1's order: tolerance descending, then size descending, then key."""
    return sorted(data, key=lambda d: (-d.tolerance, -d.bytes, d.key))


def algorithm1(data: Sequence[Datum], points: Sequence[OperatingPoint], space: Space) -> dict[str, int]:
    """Datum key → partition index, partitions at ``points`` with ``space.capacities``.

    A datum that fits no partition it tolerates (the nominal one included) is a ConfigError naming the
    capacity setting.
    """
    free = list(space.capacities)
    weights = [space.weight(p) for p in points]
    assignment: dict[str, int] = {}
    for d in eden_order(data):
        best: int | None = None  # reset per datum
        for j, point in enumerate(points):
            if not within(point.ber, d.tolerance) or free[j] < d.bytes:
                continue
            if best is None or (weights[j], -free[j]) > (weights[best], -free[best]):
                best = j
        if best is None:
            raise capacity_error(space, d)
        assignment[d.key] = best
        free[best] -= d.bytes
    return assignment


def capacity_error(space: Space, d: Datum) -> ConfigError:
    """The one-line error for data that do not fit: names the setting to change and the sizes involved."""
    return ConfigError(
        space.capacity_field,
        _current(space),
        f"a setting with room for data type {d.key!r} ({d.bytes} bytes, tolerable BER {d.tolerance:g}) in a "
        f"partition it tolerates; now {space.count} {space.granularity} partition(s) of "
        f"{', '.join(str(c) for c in space.capacities)} bytes",
    )


def _current(space: Space) -> object:
    if space.capacity_field.endswith("capacity_bytes"):
        return max(space.capacities)
    return space.count


def bins_needed(sizes: list[int], capacity: int) -> int:
    """Partitions of ``capacity`` bytes that first-fit decreasing needs for ``sizes`` (at least 1)."""
    free: list[int] = []
    for size in sorted(sizes, reverse=True):
        for i, room in enumerate(free):
            if room >= size:
                free[i] -= size
                break
        else:
            free.append(capacity - size)
    return max(1, len(free))
