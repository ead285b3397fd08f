"""Systolic-array accelerators (Eyeriss, TPU): SCALE-Sim traffic and cycles, latency hidden by prefetch."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from eden.errors import ConfigError
from eden.platforms.base import field_int, field_number
from eden.platforms.interface import BusPlatform, DramInterface
from eden.platforms.scalesim_runner import ArrayConfig, ScaleSimRunner
from eden.platforms.topology import Layer
from eden.platforms.traffic import LayerTraffic


class SystolicAccelerator(BusPlatform):
    """A PE array with double-buffered SRAMs, simulated per layer by SCALE-Sim (cached).

    Its accesses are predictable and prefetched into the inactive buffer half, so DRAM latency never
    stalls it (``issue = None``): a lower tRCD gives no speedup (EDEN §7), only the energy changes.
    """

    #: The accelerator's own fields (the DRAM interface ones are in ``COMMON_FIELDS``).
    FIELDS: ClassVar[tuple[str, ...]] = (
        "rows",
        "cols",
        "ifmap_sram_kb",
        "filter_sram_kb",
        "ofmap_sram_kb",
        "dataflow",
        "clock_mhz",
        "scalesim_max_cycles",
        "cache_dir",
    )

    def __init__(
        self,
        *,
        name: str,
        dram: str,
        interface: DramInterface,
        array: ArrayConfig,
        clock_hz: float,
        scalesim_max_cycles: float,
        cache_dir: str | Path | None,
    ) -> None:
        timing = interface.timing(
            peak_macs_per_s=array.rows * array.cols * clock_hz,
            compute_efficiency=1.0,  # SCALE-Sim's cycle counts already include mapping inefficiency
            clock_hz=clock_hz,
            issue=None,
        )
        super().__init__(name=name, dram=dram, interface=interface, timing=timing)
        self.array = array
        self.runner = ScaleSimRunner(array=array, cache_dir=cache_dir, max_cycles=scalesim_max_cycles)
        self.cache_dir_configured = cache_dir is not None

    def layer_traffic(self, layer: Layer, *, bytes_per_value: float) -> LayerTraffic:
        return self.runner.layer_traffic(
            layer,
            bytes_per_value=bytes_per_value,
            access_bytes=self.interface.access_bytes,
            interleave_bytes=self.interface.interleave_bytes,
        )

    def set_cache_root(self, root: str | Path) -> None:
        """SCALE-Sim results go to ``<root>/scalesim`` (the run's ``paths.cache``) unless the YAML set a folder."""
        if not self.cache_dir_configured:
            self.runner.cache_dir = Path(root) / "scalesim"

    @classmethod
    def from_config(cls, params: Mapping[str, Any], **runtime: Any) -> SystolicAccelerator:
        """Validate the YAML node; ``cache_dir: null`` means ``<repository>/.eden_cache/scalesim``."""
        cls.check_fields(params, cls.FIELDS)
        if params["dataflow"] not in ("ws", "os", "is"):
            raise ConfigError("platform.dataflow", params["dataflow"], ["ws", "os", "is"])
        cache_dir = params["cache_dir"]
        if cache_dir is not None and (not isinstance(cache_dir, str) or not cache_dir):
            raise ConfigError("platform.cache_dir", cache_dir, "null (repository cache) or a folder path")
        array = ArrayConfig(
            rows=field_int(params, "rows"),
            cols=field_int(params, "cols"),
            ifmap_sram_kb=field_int(params, "ifmap_sram_kb"),
            filter_sram_kb=field_int(params, "filter_sram_kb"),
            ofmap_sram_kb=field_int(params, "ofmap_sram_kb"),
            dataflow=params["dataflow"],
        )
        return cls(
            name=str(params["name"]),
            dram=params["dram"],
            interface=DramInterface.from_params(params),
            array=array,
            clock_hz=field_number(params, "clock_mhz", low=1e-3) * 1e6,
            scalesim_max_cycles=field_number(params, "scalesim_max_cycles", low=0),
            cache_dir=cache_dir,
        )
