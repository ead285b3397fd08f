"""``platform=cpu``: the paper's multi-core CPU (EDEN §7, ZSim + Ramulator + DRAMPower)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eden.platforms.base import PLATFORMS, field_int, field_number
from eden.platforms.processor import CachedProcessor


@PLATFORMS.register("cpu")
class Cpu(CachedProcessor):
    """Out-of-order cores sharing a last-level cache (L3) in front of a DDR4 interface.

    The L3 is the on-chip capacity of the tiling model; vector FMA units give the peak MAC rate; the
    cores issue DRAM accesses (``mlp_per_context`` each in flight).
    """

    FIELDS = ("cores", "clock_ghz", "macs_per_cycle_per_core", "l1_kb", "l2_kb_per_core", "l3_kb_per_core")

    @classmethod
    def capacity_peak_contexts(cls, params: Mapping[str, Any]) -> tuple[float, float, int]:
        cores = field_int(params, "cores")
        clock = field_number(params, "clock_ghz", low=1e-3) * 1e9
        for cache in ("l1_kb", "l2_kb_per_core", "l3_kb_per_core"):
            field_int(params, cache)
        peak = cores * clock * field_number(params, "macs_per_cycle_per_core", low=1)
        return cores * params["l3_kb_per_core"] * 1024, peak, cores
