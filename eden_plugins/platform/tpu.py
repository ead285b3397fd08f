"""``platform=tpu``: a TPU-like systolic array (EDEN §7, SCALE-Sim + DRAMPower; Jouppi et al., ISCA 2017)."""

from __future__ import annotations

from eden.platforms.base import PLATFORMS
from eden.platforms.systolic import SystolicAccelerator


@PLATFORMS.register("tpu")
class Tpu(SystolicAccelerator):
    """A 256×256 weight-stationary MAC array with 24 MB of on-chip buffers: few folds, little refetch."""
