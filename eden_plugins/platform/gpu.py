"""``platform=gpu``: the paper's Titan X (Pascal) GPU (EDEN §7, GPGPU-Sim + GPUWattch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eden.platforms.base import PLATFORMS, field_int, field_number
from eden.platforms.processor import CachedProcessor


@PLATFORMS.register("gpu")
class Gpu(CachedProcessor):
    """Streaming multiprocessors sharing an L2 in front of a GDDR5 interface.

    The L2 is the on-chip capacity of the tiling model. Thousands of warps keep many DRAM accesses in
    flight per SM (``mlp_per_context``); only layers too small to occupy every SM (few thread blocks of
    ``work_tile²`` outputs) keep few accesses in flight and wait on DRAM latency.
    """

    FIELDS = ("sms", "clock_ghz", "macs_per_cycle_per_sm", "l2_kb")

    @classmethod
    def capacity_peak_contexts(cls, params: Mapping[str, Any]) -> tuple[float, float, int]:
        clock = field_number(params, "clock_ghz", low=1e-3) * 1e9
        peak = field_int(params, "sms") * clock * field_number(params, "macs_per_cycle_per_sm", low=1)
        return field_int(params, "l2_kb") * 1024, peak, field_int(params, "sms")
