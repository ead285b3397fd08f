"""``optimal`` (beyond the paper): the mapping that saves the most DRAM energy under the partitions' capacities.

Problem: put every datum in one of the ``N`` partitions (``p0`` nominal) and give each partition a grid point,
so that every datum's BER ≤ its tolerance and no partition overflows, maximizing Σ bytes × weight (energy saved,
then tRCD saved; see :mod:`eden.mapping.space`).

Method: a partition's best point is ``operating_point(min tolerance of its data)``, so only the grouping is
searched. Depth-first branch and bound over the data in Algorithm 1's order (tolerance descending), so adding a
datum to a group sets that group's minimum tolerance to the datum's own:

- branch: the datum joins the nominal ``p0`` or a group with room, best gain first; of several empty groups
  (equal capacities, interchangeable) only the first is tried;
- bound: the value so far plus every remaining datum at its own best point (a group's value only falls as less
  tolerant data join it), pruned when it cannot beat the incumbent;
- incumbent: the best of the ``fine`` and ``coarse`` plans, so ``optimal`` never saves less than either;
- ceiling: the optimum without capacities, which ``fine``'s level program computes exactly (a datum's best
  group is the one whose minimum tolerance is the largest ≤ its own, and weights grow with tolerance); the
  search stops as soon as a plan reaches it (with ample capacity: at once).

The search is exact when it finishes within ``max_nodes`` (``exact: true`` in the table); otherwise it returns
the best plan found so far (``exact: false``): a documented anytime heuristic, still at least as good as ``fine``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping as AbcMapping
from typing import Any, ClassVar

from eden.errors import ConfigError
from eden.fields import checked, integer
from eden.mapping.assign import algorithm1, eden_order
from eden.mapping.base import MAPPINGS, Mapping
from eden.mapping.points import best_levels, coarse_points, fine_points, levels_value
from eden.mapping.space import ZERO, Datum, Plan, Space, Weight, add, scaled

log = logging.getLogger(__name__)


class _Budget(Exception):
    """The node budget is spent: keep the incumbent."""


class _Ceiling(Exception):
    """A plan reached the capacity-free optimum: nothing can beat it."""


def _sub(a: Weight, b: Weight) -> Weight:
    return (a[0] - b[0], a[1] - b[1])


def incumbent(data: list[Datum], space: Space, coarse_ber: float) -> Plan | None:
    """The better of the ``fine`` and ``coarse`` plans (None if neither fits)."""
    plans = []
    for points in (fine_points(data, space), coarse_points(data, space, coarse_ber)):
        try:
            plans.append(Plan(points=points, assignment=algorithm1(data, points, space)))
        except ConfigError:
            continue
    return max(plans, key=lambda p: p.value(data, space), default=None)


def search(
    data: list[Datum], space: Space, start: Plan | None, max_nodes: int, ceiling: Weight
) -> tuple[Plan | None, bool, int]:
    """Branch and bound (module docstring): (best plan, proven optimal, nodes visited)."""
    items = eden_order(data)
    n, groups = len(items), space.count
    tail = [ZERO] * (n + 1)  # tail[i]: every datum from i on at its own best point
    for i in range(n - 1, -1, -1):
        tail[i] = add(tail[i + 1], scaled(space.best(items[i].tolerance), items[i].bytes))
    free = list(space.capacities)
    mass = [0] * groups
    weight = [ZERO] * groups  # per byte, at the group's current minimum tolerance (p0: nominal, 0)
    where = [0] * n
    best_value = start.value(data, space) if start is not None else None
    best_where: list[int] | None = None
    nodes = 0

    def visit(i: int, value: Weight) -> None:
        nonlocal best_value, best_where, nodes
        nodes += 1
        if nodes > max_nodes:
            raise _Budget
        if i == n:
            if best_value is None or value > best_value:
                best_value, best_where = value, list(where)
                if best_value >= ceiling:
                    raise _Ceiling
            return
        if best_value is not None and add(value, tail[i]) <= best_value:
            return
        d = items[i]
        w_new = space.best(d.tolerance)
        options: list[tuple[Weight, int]] = []
        empty_tried = False
        for j in range(groups):
            if free[j] < d.bytes:
                continue
            if j and mass[j] == 0:
                if empty_tried:
                    continue
                empty_tried = True
            w = ZERO if j == 0 else w_new
            options.append((_sub(scaled(w, mass[j] + d.bytes), scaled(weight[j], mass[j])), j))
        for gain, j in sorted(options, key=lambda o: (o[0], -o[1]), reverse=True):
            saved = weight[j]
            free[j] -= d.bytes
            mass[j] += d.bytes
            weight[j] = ZERO if j == 0 else w_new
            where[i] = j
            visit(i + 1, add(value, gain))
            free[j] += d.bytes
            mass[j] -= d.bytes
            weight[j] = saved

    exact = True
    try:
        if best_value is None or best_value < ceiling:
            visit(0, ZERO)
    except _Ceiling:
        pass
    except _Budget:
        exact = False
    if best_where is None:
        return start, exact, nodes
    minimum = [1.0] * groups
    for d, j in zip(items, best_where, strict=True):
        minimum[j] = min(minimum[j], d.tolerance)
    points = [space.nominal] + [
        space.point_for(minimum[j]) if j in best_where else space.nominal for j in range(1, groups)
    ]
    assignment = {d.key: j for d, j in zip(items, best_where, strict=True)}
    return Plan(points=points, assignment=assignment), exact, nodes


@MAPPINGS.register("optimal")
class OptimalMapping(Mapping):
    EXTRA_FIELDS: ClassVar[tuple[str, ...]] = ("max_nodes",)

    def __init__(self, *, max_nodes: int, **common: Any) -> None:
        super().__init__(**common)
        self.max_nodes = max_nodes

    @classmethod
    def parse_extra(cls, params: AbcMapping[str, Any]) -> dict[str, Any]:
        return {"max_nodes": checked(params, "max_nodes", "mapping", integer(unit="search nodes before settling"))}

    def plan(self, data: list[Datum], space: Space, *, coarse_ber: float) -> Plan:
        start = incumbent(data, space, coarse_ber)
        ceiling = levels_value(data, space, best_levels(data, space, space.count - 1))
        plan, exact, nodes = search(data, space, start, self.max_nodes, ceiling)
        if plan is None:
            raise ConfigError(
                space.capacity_field,
                space.count if space.capacity_field.endswith("partitions") else max(space.capacities),
                f"a setting with room for every data type in a partition it tolerates ({space.count} partitions "
                f"of {max(space.capacities)} bytes cannot hold them)",
            )
        if not exact:
            log.warning("optimal mapping: node budget %d spent; keeping the best plan found", self.max_nodes)
        plan.exact, plan.notes = exact, {"nodes": float(nodes)}
        return plan
