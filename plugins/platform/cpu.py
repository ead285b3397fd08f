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
    miss-status registers of the cores bound the DRAM accesses in flight (``mlp``).
    """

    FIELDS = (
        "cores",
        "clock_ghz",
        "macs_per_cycle_per_core",
        "compute_efficiency",
        "l1_kb",
        "l2_kb_per_core",
        "l3_kb_per_core",
        "channels",
        "data_rate_mts",
        "bus_bits",
        "bandwidth_efficiency",
        "mlp",
        "on_chip_latency_ns",
        "access_bytes",
        "interleave_bytes",
    )

    @classmethod
    def from_config(cls, params: Mapping[str, Any], **runtime: Any) -> Cpu:
        cls.check_fields(params, cls.FIELDS)
        cores = field_int(params, "cores")
        clock = field_number(params, "clock_ghz", low=1e-3) * 1e9
        for cache in ("l1_kb", "l2_kb_per_core", "l3_kb_per_core"):
            field_int(params, cache)
        channels = field_int(params, "channels")
        bandwidth = channels * field_number(params, "data_rate_mts", low=1) * 1e6 * field_int(params, "bus_bits") / 8
        return cls(
            name=str(params["name"]),
            dram=params["dram"],
            on_chip_bytes=cores * params["l3_kb_per_core"] * 1024,
            peak_macs_per_s=cores * clock * field_number(params, "macs_per_cycle_per_core", low=1),
            compute_efficiency=field_number(params, "compute_efficiency", low=1e-3, high=1),
            bandwidth_bytes_per_s=bandwidth,
            bandwidth_efficiency=field_number(params, "bandwidth_efficiency", low=1e-3, high=1),
            mlp=field_number(params, "mlp", low=1),
            on_chip_latency_ns=field_number(params, "on_chip_latency_ns", low=0),
            access_bytes=field_int(params, "access_bytes"),
            interleave_bytes=field_int(params, "interleave_bytes"),
        )
