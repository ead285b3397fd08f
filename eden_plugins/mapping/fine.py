"""``fine``: EDEN Algorithm 1 (paper §6) with its open points fixed, and a rule for the partitions' points.

1. **Points of the partitions.** ``p0`` is nominal. The other ``N − 1`` partitions get *levels*: thresholds
   drawn from the data's distinct non-zero tolerances ``T_1 < … < T_K``, each run at ``operating_point(T)``. A
   datum then sits at the highest level ≤ its tolerance. The levels are the ``≤ N − 1`` thresholds that maximize
   the byte-weighted saving if capacity were unlimited: an exact 1-D dynamic program, O(K²·N), i.e. the optimal
   clustering of the tolerances (EDEN's ResNet101 example: 4 partitions at BER ~1.5%, 5%, 6%, 7.5%).
   Since any single point's coarse mapping is one such choice (or dominated by one), ``fine`` saves at least as
   much as ``coarse`` whenever capacity does not bind.
2. **Spare partitions** (fewer distinct levels than partitions) copy the level with the most bytes per copy
   while that exceeds one partition's capacity; the rest stay nominal (unused). If the data left at nominal
   (tolerance 0 or below the first level) overflow ``p0``, more partitions are reserved at nominal (first-fit
   decreasing) and the levels are chosen again for the partitions left.
3. **Assignment**: Algorithm 1 (tolerance descending, ties by size descending; "best so far" reset per datum;
   see :mod:`eden.mapping.assign`). When capacity binds, this greedy step can lose to ``coarse`` on contrived
   instances; ``optimal`` handles capacity exactly.
"""

from __future__ import annotations

from eden.dram.operating_point import OperatingPoint
from eden.mapping.assign import algorithm1, bins_needed
from eden.mapping.base import MAPPINGS, Mapping
from eden.mapping.space import ZERO, Datum, Plan, Space, Weight, add, scaled


def best_levels(data: list[Datum], space: Space, count: int) -> list[float]:
    """The ≤ ``count`` tolerance thresholds maximizing Σ bytes × weight(operating_point(threshold below))."""
    levels = sorted({d.tolerance for d in data if d.tolerance > 0})
    if count <= 0 or not levels:
        return []
    k_max = len(levels)
    above = [0] * (k_max + 1)  # above[k]: bytes of data with tolerance ≥ levels[k]
    for k in range(k_max - 1, -1, -1):
        above[k] = above[k + 1] + sum(d.bytes for d in data if d.tolerance == levels[k])
    w = [space.best(t) for t in levels]
    # g[r][k]: best value of the data with tolerance ≥ levels[k] when level k is chosen and r more may follow
    g: list[list[Weight]] = [[scaled(w[k], above[k]) for k in range(k_max)]]
    choice: list[list[int | None]] = [[None] * k_max]
    for r in range(1, count):
        row, pick = [], []
        for k in range(k_max):
            best, arg = g[0][k], None
            for nxt in range(k + 1, k_max):
                value = add(scaled(w[k], above[k] - above[nxt]), g[r - 1][nxt])
                if value > best:
                    best, arg = value, nxt
            row.append(best)
            pick.append(arg)
        g.append(row)
        choice.append(pick)
    r = count - 1
    start = max(range(k_max), key=lambda k: (g[r][k], -k))
    if g[r][start] <= ZERO:
        return []
    chosen: list[float] = []
    k_opt: int | None = start
    while k_opt is not None:
        chosen.append(levels[k_opt])
        k_opt, r = choice[r][k_opt], r - 1
    return chosen


def home(d: Datum, levels: list[float]) -> float | None:
    """The highest level ≤ the datum's tolerance (None: it stays at nominal)."""
    return max((t for t in levels if t <= d.tolerance), default=None)


def levels_value(data: list[Datum], space: Space, levels: list[float]) -> Weight:
    """Σ bytes × weight of each datum's level (the objective the levels maximize, capacity aside)."""
    value = ZERO
    for d in data:
        h = home(d, levels)
        if h is not None:
            value = add(value, scaled(space.best(h), d.bytes))
    return value


def spread(levels: list[float], data: list[Datum], space: Space, slots: int) -> list[float]:
    """``slots`` thresholds: the levels, spare partitions copying the most crowded level, the rest 0 (nominal)."""
    demand = dict.fromkeys(levels, 0)
    for d in data:
        h = home(d, levels)
        if h is not None:
            demand[h] += d.bytes
    copies = dict.fromkeys(levels, 1)
    out = list(levels)
    capacity = min(space.capacities)
    for _ in range(max(0, slots - len(levels))):
        t = max(levels, key=lambda x: (demand[x] / copies[x], x), default=None)
        if t is None or demand[t] / copies[t] <= capacity:
            break
        copies[t] += 1
        out.append(t)
    return out + [0.0] * (slots - len(out))


def fine_points(data: list[Datum], space: Space) -> list[OperatingPoint]:
    """Nominal partitions (one, or as many as the data left at nominal need), then the levels and spares."""
    reserved = 1
    while True:
        levels = best_levels(data, space, space.count - reserved)
        stay = [d.bytes for d in data if home(d, levels) is None]
        need = min(space.count, bins_needed(stay, min(space.capacities)))
        if need <= reserved:
            break
        reserved = need
    thresholds = spread(levels, data, space, space.count - reserved)
    return [space.nominal] * reserved + [space.point_for(t) for t in thresholds]


@MAPPINGS.register("fine")
class FineMapping(Mapping):
    def plan(self, data: list[Datum], space: Space, *, coarse_ber: float) -> Plan:
        points = fine_points(data, space)
        return Plan(points=points, assignment=algorithm1(data, points, space))
