"""Operating points of the partitions, shared by the mapping strategies (``fine``, ``coarse``, ``optimal``).

- **Levels** (``fine``, EDEN Algorithm 1's open point fixed): ``p0`` is nominal; the other ``N − 1`` partitions
  get *levels*: thresholds drawn from the data's distinct non-zero tolerances ``T_1 < … < T_K``, each run at
  ``operating_point(T)``. A datum sits at the highest level ≤ its tolerance. The lowest level is the lowest
  tolerance that leaves nominal (no tolerant datum is parked at nominal to free a level); the others are the
  thresholds that then maximize the byte-weighted saving if capacity were unlimited: an exact 1-D dynamic program,
  O(K²·N), i.e. the optimal clustering of the tolerances (EDEN §6's ResNet101 example: 4 partitions).
- **Spare partitions** (fewer distinct levels than partitions) copy the level with the most bytes per copy
  while that exceeds one partition's capacity; the rest stay nominal. If the data left at nominal overflow
  ``p0``, more partitions are reserved at nominal (first-fit decreasing) and the levels are chosen again.
- **Coarse points** (EDEN §6 coarse mapping): nominal partitions for the data that do not tolerate one point,
  that point for the others.
"""

from __future__ import annotations

from dataclasses import replace

from eden.dram.operating_point import OperatingPoint
from eden.mapping.assign import bins_needed
from eden.mapping.space import ZERO, Datum, Space, Weight, add, scaled, within


def best_levels(data: list[Datum], space: Space, count: int) -> list[float]:
    """The ≤ ``count`` tolerance thresholds maximizing Σ bytes × weight(operating_point(threshold below)), the
    lowest tolerance that leaves nominal always among them."""
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
    # The lowest level is the lowest tolerance that can leave nominal at all: no tolerant datum is left at nominal
    # to free a level for others, so every datum sits at least at the point its own tolerance gives alone (the
    # coarse floor, after characterize lifts every tolerance to the coarse bound). Measured before: the program
    # sent LeNet-5's classifier.1 IFM (400 bytes, but read and written every inference) to nominal; the validate
    # stage then backed the others off to the coarse point and fine ended below coarse (8.24 % vs 8.45 %).
    start = next((k for k in range(k_max) if w[k] > ZERO), None)
    if start is None:
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


def at_coarse_ber(data: list[Datum], coarse_ber: float) -> list[Datum]:
    """The data as EDEN's coarse mapping sees them (paper §6: the whole module at the one BER the whole network was
    shown to tolerate; only data that tolerate no error go to a nominal module): every datum with a non-zero
    tolerance tolerates at least ``coarse_ber``. A per-type estimate below it (a wide interval's lower bound, as
    after boosting, where the curves are flat) must not send that datum to nominal under the coarse mapping."""
    return [replace(d, tolerance=max(d.tolerance, coarse_ber)) if d.tolerance > 0 else d for d in data]


def coarse_points(data: list[Datum], space: Space, threshold: float) -> list[OperatingPoint]:
    """Nominal partitions for the data that do not tolerate the one point, that point for the others."""
    point = space.point_for(threshold)
    intolerant = [d.bytes for d in data if not within(point.ber, d.tolerance)]
    nominal = min(space.count, bins_needed(intolerant, min(space.capacities)))
    return [space.nominal] * nominal + [point] * (space.count - nominal)
