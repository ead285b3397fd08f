"""``coarse``: EDEN's coarse mapping (paper §6): one operating point for all tolerant data, nominal for the rest.

The point is the most aggressive grid point whose BER ≤ the threshold ``ber``:

- ``coarse``: the network's coarse tolerable BER (characterize's whole-network search), as in the paper: the
  module runs at the one BER the whole DNN was shown to tolerate;
- ``min_tolerance``: the smallest non-zero per-data-type tolerance (one point every tolerant datum stands).

Partition ``p0`` stays nominal (more partitions too if the intolerant data need them, by first-fit
decreasing); every other partition runs at that point. Only data that tolerate no error (tolerance 0) go to the
nominal partition: with ``coarse``, every other datum counts as tolerating the whole network's BER
(:func:`eden.mapping.points.at_coarse_ber`), whatever its own per-type estimate, as in the paper. (Before, a per-type
lower bound below the coarse BER sent that datum to nominal; after boosting, where per-type intervals are wide,
that put LeNet-5's largest weights at nominal and cut the coarse mapping's saving to ~1 %.) Placement is
Algorithm 1 (best fit among the partitions a datum tolerates, see :mod:`eden.mapping.assign`), so a full
approximate region overflows to nominal.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from typing import Any, ClassVar

from eden.fields import checked, choice
from eden.mapping.assign import algorithm1
from eden.mapping.base import MAPPINGS, Mapping
from eden.mapping.points import at_coarse_ber, coarse_points
from eden.mapping.space import Datum, Plan, Space

THRESHOLDS = ("coarse", "min_tolerance")


@MAPPINGS.register("coarse")
class CoarseMapping(Mapping):
    EXTRA_FIELDS: ClassVar[tuple[str, ...]] = ("ber",)

    def __init__(self, *, ber: str, **common: Any) -> None:
        super().__init__(**common)
        self.ber = ber

    @classmethod
    def parse_extra(cls, params: AbcMapping[str, Any]) -> dict[str, Any]:
        return {"ber": checked(params, "ber", "mapping", choice(*THRESHOLDS))}

    def threshold(self, data: list[Datum], coarse_ber: float) -> float:
        if self.ber == "coarse":
            return coarse_ber
        tolerant = [d.tolerance for d in data if d.tolerance > 0]
        return min(tolerant, default=0.0)

    def view(self, data: list[Datum], coarse_ber: float) -> list[Datum]:
        """With ``coarse``, each tolerant datum at the coarse BER at least (the table's tolerance column shows it)."""
        return at_coarse_ber(data, coarse_ber) if self.ber == "coarse" else data

    def plan(self, data: list[Datum], space: Space, *, coarse_ber: float) -> Plan:
        points = coarse_points(data, space, self.threshold(data, coarse_ber))
        return Plan(points=points, assignment=algorithm1(data, points, space))
