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
    flight (``mlp``), so few layers are latency-bound: a lower tRCD helps the GPU less than the CPU.
    """

    FIELDS = (
        "sms",
        "clock_ghz",
        "macs_per_cycle_per_sm",
        "compute_efficiency",
        "l2_kb",
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
    def from_config(cls, params: Mapping[str, Any], **runtime: Any) -> Gpu:
        cls.check_fields(params, cls.FIELDS)
        clock = field_number(params, "clock_ghz", low=1e-3) * 1e9
        channels = field_int(params, "channels")
        bandwidth = channels * field_number(params, "data_rate_mts", low=1) * 1e6 * field_int(params, "bus_bits") / 8
        return cls(
            name=str(params["name"]),
            dram=params["dram"],
            on_chip_bytes=field_int(params, "l2_kb") * 1024,
            peak_macs_per_s=field_int(params, "sms") * clock * field_number(params, "macs_per_cycle_per_sm", low=1),
            compute_efficiency=field_number(params, "compute_efficiency", low=1e-3, high=1),
            bandwidth_bytes_per_s=bandwidth,
            bandwidth_efficiency=field_number(params, "bandwidth_efficiency", low=1e-3, high=1),
            mlp=field_number(params, "mlp", low=1),
            on_chip_latency_ns=field_number(params, "on_chip_latency_ns", low=0),
            access_bytes=field_int(params, "access_bytes"),
            interleave_bytes=field_int(params, "interleave_bytes"),
        )
