"""The event-driven DRAM controller (:mod:`eden.dram.controller_sim`) as a platform's memory-time model.

Why: the platforms time DRAM with a closed-form model (:class:`eden.platforms.dram_costs.DeviceCosts`). This
drop-in replacement plays each layer's access pattern through the simulated controller instead, so a network's
speedup can be recomputed with no row-hit formula and no queueing approximation
(``python -m eden.paper.cpu_terms --memory simulated``). Per layer: one core per issuing context, each with
its share of the concurrent streams (sequential, interleaved access by access) and of the accesses in flight;
a window of at most ``accesses_per_core`` accesses per core is simulated, over ``seeds`` random stream
placements, and its steady-state time per access is scaled to the layer's accesses (a layer that fits the
window is simulated whole). Results are cached by the window's parameters, so a network's repeated shapes cost
one simulation each.
"""

from __future__ import annotations

import math
from functools import lru_cache

from eden.dram.controller_sim import ControllerGeometry, ControllerTimings, simulate, stream_traces
from eden.dram.device import DramDevice
from eden.dram.latency import bank_occupancy_ns
from eden.errors import ConfigError
from eden.platforms.dram_costs import SATURATED, DeviceCosts
from eden.platforms.memory_time import LayerIssue

#: Ramulator's DDR4-2133 limits for a 1 KB page (x8 dies), in ns: ``src/DDR4.cpp`` (Kim et al., IEEE CAL 2015),
#: speed entry DDR4_2133P and ``init_speed``'s tables: nRRD_S = 4, nFAW = 23, nCCD_L = 6 cycles of 0.9375 ns.
RAMULATOR_DDR4_2133_LIMITS: dict[str, float] = {"trrd": 4 * 0.9375, "tfaw": 23 * 0.9375, "tccd": 6 * 0.9375}


@lru_cache(maxsize=4096)
def _window(
    timings: ControllerTimings,
    geometry: ControllerGeometry,
    *,
    cores: int,
    streams_per_core: int,
    mlp: int,
    accesses_per_core: int,
    whole: bool,
    on_chip_ns: float,
    closed_page: bool,
    seeds: int,
    queue_depth: int,
) -> tuple[float, float]:
    """(mean time per access in ns, row-hit rate) of one simulated window: the time at steady state, or over the
    whole run when ``whole``."""
    total = hits = 0.0
    for seed in range(seeds):
        traces = stream_traces(cores=cores, streams_per_core=streams_per_core,
                               accesses_per_core=accesses_per_core, geometry=geometry, seed=seed)  # fmt: skip
        result = simulate(traces, mlp=mlp, on_chip_ns=on_chip_ns, timings=timings, geometry=geometry,
                          closed_page=closed_page, queue_depth=queue_depth)  # fmt: skip
        total += result.time_ns / result.accesses if whole else result.ns_per_access
        hits += result.row_hit_rate
    return total / seeds, hits / seeds


class SimulatedCosts(DeviceCosts):
    """:class:`DeviceCosts` whose memory time comes from the simulated controller (module docstring)."""

    def __init__(
        self,
        device: DramDevice,
        *,
        row_bytes: int,
        line_bytes: int,
        limits: dict[str, float] | None = None,
        accesses_per_core: int = 2000,
        seeds: int = 4,
        queue_depth: int = 0,
    ) -> None:
        super().__init__(device)
        if not (isinstance(accesses_per_core, int) and accesses_per_core >= 100):
            raise ConfigError("accesses_per_core", accesses_per_core, "an integer >= 100")
        if not (isinstance(seeds, int) and seeds >= 1):
            raise ConfigError("seeds", seeds, "an integer >= 1")
        self.limits = dict(limits or {})
        unknown = set(self.limits) - {"trrd", "tfaw", "tccd"}
        if unknown:
            raise ConfigError("limits", sorted(unknown), ["trrd", "tfaw", "tccd"])
        self.geometry = ControllerGeometry(
            channels=device.organization.channels,
            banks=self.banks_per_channel,
            row_bytes=row_bytes,
            line_bytes=line_bytes,
        )
        self.accesses_per_core, self.seeds, self.queue_depth = accesses_per_core, seeds, queue_depth

    def memory_time_s(
        self, *, trcd: float, issue: LayerIssue, extra_latency_ns: float, closed_page: bool
    ) -> tuple[float, bool]:
        if issue.accesses <= 0:
            return 0.0, False
        cores = max(1, issue.contexts)
        per_core = math.ceil(issue.accesses / cores)
        window = min(per_core, self.accesses_per_core)
        timings = ControllerTimings.of(self.device, trcd=round(trcd, 3), **self.limits)
        ns, hit_rate = _window(
            timings,
            self.geometry,
            cores=cores,
            streams_per_core=max(1, round(issue.streams / cores)),
            mlp=max(1, round(issue.mlp / cores)),
            accesses_per_core=window,
            whole=window == per_core,
            on_chip_ns=extra_latency_ns,
            closed_page=closed_page,
            seeds=self.seeds,
            queue_depth=self.queue_depth,
        )
        # The busier of the buses and the banks, each access holding its bank as the analytic model has it.
        g = self.geometry
        bank_ns = bank_occupancy_ns(self.device, hit_rate, timings.trcd, closed_page=closed_page)
        utilization = max(timings.tburst / g.channels, bank_ns / (g.channels * g.banks)) / ns if ns > 0 else 0.0
        return issue.accesses * ns * 1e-9, utilization >= SATURATED
