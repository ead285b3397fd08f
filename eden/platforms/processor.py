"""Cache-based processors (CPU, GPU): analytical tiling traffic over the last-level cache, DRAM time per layer."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from eden.errors import ConfigError
from eden.platforms.base import field_int, field_number
from eden.platforms.interface import BusPlatform, DramInterface
from eden.platforms.memory_time import PAGE_POLICIES, IssueModel
from eden.platforms.topology import Layer
from eden.platforms.traffic import LayerTraffic, analytical_traffic

if TYPE_CHECKING:
    from eden.dram.device import DramDevice
    from eden.platforms.operating import DramCosts
    from eden.platforms.simulated_memory import SimulatedCosts

#: How a cache-based processor times DRAM: the closed-form model, or the event-driven controller
#: (:mod:`eden.platforms.simulated_memory`), slower and free of the row-hit formula and queueing approximation.
MEMORY_MODELS: tuple[str, ...] = ("analytic", "simulated")


class CachedProcessor(BusPlatform):
    """A processor whose DRAM traffic follows the tiling model of :mod:`eden.platforms.traffic`.

    Subclasses (the ``cpu`` and ``gpu`` plugins) list their own ``FIELDS`` and turn them into an on-chip
    capacity, a peak MAC rate and a number of issuing contexts (:meth:`capacity_peak_contexts`). How long each
    layer waits for DRAM is :mod:`eden.platforms.memory_time`'s business (contexts, streams, row hits, MLP).
    """

    COMMON_FIELDS: ClassVar[tuple[str, ...]] = (
        *BusPlatform.COMMON_FIELDS,
        "compute_efficiency",
        "mlp_per_context",
        "on_chip_latency_ns",
        "work_tile",
        "page_policy",
        "memory_model",
        "scheduler_queue",
    )
    #: The plugin's own fields (its compute side and caches).
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        name: str,
        dram: str,
        interface: DramInterface,
        on_chip_bytes: float,
        peak_macs_per_s: float,
        compute_efficiency: float,
        issue: IssueModel,
        memory_model: str = "analytic",
        scheduler_queue: int = 0,
    ) -> None:
        timing = interface.timing(
            peak_macs_per_s=peak_macs_per_s,
            compute_efficiency=compute_efficiency,
            clock_hz=1.0,  # unused: no simulator cycles on these platforms
            issue=issue,
        )
        super().__init__(name=name, dram=dram, interface=interface, timing=timing)
        self.on_chip_bytes = on_chip_bytes
        self.issue = issue
        self.memory_model = memory_model
        self.scheduler_queue = scheduler_queue

    def memory_costs(self, memory: Any = None) -> DramCosts:
        """The DRAM costs of ``memory`` (default: this platform's), timed by :attr:`memory_model`."""
        from eden.platforms.dram_costs import DeviceCosts, device_of

        if self.memory_model == "analytic" or isinstance(memory, DeviceCosts):
            return super().memory_costs(memory)
        return self.simulated_costs(device_of(memory if memory is not None else self.dram))

    def simulated_costs(self, device: DramDevice, limits: dict[str, float] | None = None) -> SimulatedCosts:
        """Costs of ``device`` whose memory time comes from the event-driven controller, with this processor's
        line size and row stretch (``limits``: tRRD/tFAW/tCCD in ns, :mod:`eden.platforms.simulated_memory`)."""
        from eden.platforms.simulated_memory import SimulatedCosts

        return SimulatedCosts(
            device,
            row_bytes=self.interface.interleave_bytes,
            line_bytes=self.interface.access_bytes,
            limits=limits,
            queue_depth=self.scheduler_queue,
        )

    @classmethod
    @abstractmethod
    def capacity_peak_contexts(cls, params: Mapping[str, Any]) -> tuple[float, float, int]:
        """``(on_chip_bytes, peak_macs_per_s, contexts)`` from the plugin's own :attr:`FIELDS` (validated here)."""

    @classmethod
    def from_config(cls, params: Mapping[str, Any], **runtime: Any) -> CachedProcessor:
        cls.check_fields(params, cls.FIELDS)
        on_chip_bytes, peak_macs_per_s, contexts = cls.capacity_peak_contexts(params)
        interface = DramInterface.from_params(params)
        if params["page_policy"] not in PAGE_POLICIES:
            raise ConfigError("platform.page_policy", params["page_policy"], PAGE_POLICIES)
        if params["memory_model"] not in MEMORY_MODELS:
            raise ConfigError("platform.memory_model", params["memory_model"], MEMORY_MODELS)
        issue = IssueModel(
            contexts=contexts,
            mlp_per_context=field_number(params, "mlp_per_context", low=1),
            on_chip_latency_ns=field_number(params, "on_chip_latency_ns", low=0),
            work_tile=field_int(params, "work_tile"),
            page_policy=params["page_policy"],
            access_bytes=interface.access_bytes,
            interleave_bytes=interface.interleave_bytes,
        )
        return cls(
            name=str(params["name"]),
            dram=params["dram"],
            interface=interface,
            on_chip_bytes=on_chip_bytes,
            peak_macs_per_s=peak_macs_per_s,
            compute_efficiency=field_number(params, "compute_efficiency", low=1e-3, high=1),
            issue=issue,
            memory_model=params["memory_model"],
            scheduler_queue=field_int(params, "scheduler_queue"),
        )

    def layer_traffic(self, layer: Layer, *, bytes_per_value: float) -> LayerTraffic:
        return analytical_traffic(
            layer,
            capacity_bytes=self.on_chip_bytes,
            bytes_per_value=bytes_per_value,
            access_bytes=self.interface.access_bytes,
            interleave_bytes=self.interface.interleave_bytes,
        )
