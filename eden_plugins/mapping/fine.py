"""``fine``: EDEN Algorithm 1 (paper §6) with its open points fixed, and a rule for the partitions' points.

1. **Points of the partitions** (:func:`eden.mapping.points.fine_points`): ``p0`` nominal, the other
   partitions at the tolerance *levels* that maximize the byte-weighted saving if capacity were unlimited (an
   exact dynamic program; EDEN's ResNet101 example: 4 partitions at BER ~1.5%, 5%, 6%, 7.5%), the lowest
   tolerance always a level. So no tolerant datum is parked at nominal, and with characterize's tolerances (never
   below the coarse bound) every datum sits at least at the coarse point: ``fine`` saves at least as much as
   ``coarse`` datum by datum whenever capacity does not bind, which validate's back-off towards the coarse floor
   relies on.
2. **Spare partitions** copy the most crowded level; more nominal partitions are reserved when the data left at
   nominal overflow ``p0`` (see :mod:`eden.mapping.points`).
3. **Assignment**: Algorithm 1 (tolerance descending, ties by size descending; "best so far" reset per datum;
   see :mod:`eden.mapping.assign`). When capacity binds, this greedy step can lose to ``coarse`` on contrived
   instances; ``optimal`` handles capacity exactly.
"""

from __future__ import annotations

from eden.mapping.assign import algorithm1
from eden.mapping.base import MAPPINGS, Mapping
from eden.mapping.points import fine_points
from eden.mapping.space import Datum, Plan, Space


@MAPPINGS.register("fine")
class FineMapping(Mapping):
    def plan(self, data: list[Datum], space: Space, *, coarse_ber: float) -> Plan:
        points = fine_points(data, space)
        return Plan(points=points, assignment=algorithm1(data, points, space))
