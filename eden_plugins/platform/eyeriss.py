"""``platform=eyeriss``: the Eyeriss accelerator as the paper modelled it (EDEN §7, SCALE-Sim + DRAMPower)."""

from __future__ import annotations

from eden.platforms.base import PLATFORMS
from eden.platforms.systolic import SystolicAccelerator


@PLATFORMS.register("eyeriss")
class Eyeriss(SystolicAccelerator):
    """A small 12×14 PE array with a 324 KB global buffer: many folds, much partial-sum traffic.

    Eyeriss's row-stationary dataflow is not in SCALE-Sim; its YAML picks the closest one SCALE-Sim has
    (weight stationary, as SCALE-Sim's own ``eyeriss.cfg`` does).
    """
