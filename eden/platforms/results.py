"""What a platform evaluation returns: per-layer rows and per-inference totals (times, DRAM energies)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Scaling = Literal["idd", "paper"]
SCALINGS: tuple[Scaling, ...] = ("idd", "paper")
Bound = Literal["compute", "bandwidth", "latency"]


@dataclass(frozen=True, kw_only=True)
class Timed:
    """Times of one inference (or layer): at nominal DRAM, under the mapping, and with DRAM latency free."""

    time_nominal_s: float
    time_s: float
    time_ideal_s: float

    @property
    def speedup(self) -> float:
        return self.time_nominal_s / self.time_s

    @property
    def ideal_speedup(self) -> float:
        return self.time_nominal_s / self.time_ideal_s


@dataclass(frozen=True, kw_only=True)
class LayerResult(Timed):
    """One layer's traffic, memory behaviour, time and DRAM energy at nominal and under the mapping.

    ``memory_boundness``: DRAM time over the layer's time at nominal (1: DRAM alone sets it); ``streams``,
    ``mlp`` and ``contexts`` are what the layer presents to the memory (0 where a platform prefetches).
    """

    layer: str
    kind: str
    weight_bytes: float
    ifm_bytes: float
    ofm_bytes: float
    row_hit_rate: float
    source: str
    bound_nominal: Bound
    memory_boundness: float
    streams: float
    mlp: float
    contexts: int
    energy_nominal_j: float
    energy_j: dict[str, float]  # per scaling mode


@dataclass(frozen=True, kw_only=True)
class PlatformResult(Timed):
    """Totals per inference. ``dram_energy_reduction`` is a fraction, ``speedup`` a ratio ≥ 1."""

    platform: str
    scaling: Scaling
    layers: list[LayerResult]
    energy_nominal_j: float
    energy_j: dict[str, float]
    breakdown_nominal_j: dict[str, float]
    breakdown_j: dict[str, float] = field(default_factory=dict)  # idd mode, under the mapping

    @property
    def dram_energy_reduction(self) -> float:
        return self.reduction(self.scaling)

    def reduction(self, scaling: Scaling) -> float:
        return 1.0 - self.energy_j[scaling] / self.energy_nominal_j

    @property
    def total_bytes(self) -> float:
        return sum(r.weight_bytes + r.ifm_bytes + r.ofm_bytes for r in self.layers)

    def metrics(self) -> dict[str, float]:
        """Flat numbers for MLflow (names used by the pipeline's checks)."""
        return {
            "dram_energy_reduction": self.dram_energy_reduction,
            "dram_energy_reduction_idd": self.reduction("idd"),
            "dram_energy_reduction_paper": self.reduction("paper"),
            "speedup": self.speedup,
            "ideal_speedup": self.ideal_speedup,
            "dram_bytes_per_inference": self.total_bytes,
            "dram_energy_nominal_j": self.energy_nominal_j,
        }

    def rows(self) -> list[dict[str, Any]]:
        """Per-layer table rows (CSV/Markdown artifacts)."""
        return [
            {
                "layer": r.layer,
                "kind": r.kind,
                "weight_bytes": r.weight_bytes,
                "ifm_bytes": r.ifm_bytes,
                "ofm_bytes": r.ofm_bytes,
                "row_hit_rate": r.row_hit_rate,
                "streams": r.streams,
                "mlp": r.mlp,
                "contexts": r.contexts,
                "source": r.source,
                "bound": r.bound_nominal,
                "memory_boundness": r.memory_boundness,
                "time_nominal_s": r.time_nominal_s,
                "speedup": r.speedup,
                "ideal_speedup": r.ideal_speedup,
                "energy_nominal_j": r.energy_nominal_j,
                "energy_reduction_idd": 1 - r.energy_j["idd"] / r.energy_nominal_j,
                "energy_reduction_paper": 1 - r.energy_j["paper"] / r.energy_nominal_j,
            }
            for r in self.layers
        ]
