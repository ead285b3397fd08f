"""Helpers of the mapping tests: every strategy from its config option, random instances, independent scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eden.mapping.base import Mapping
from eden.testing.mapping import build, random_data
from eden.testing.members import member_params

__all__ = ["CONF_MAPPING", "REPO", "build", "mapping_yaml", "random_data", "table_value"]

REPO = Path(__file__).resolve().parents[2]
CONF_MAPPING = REPO / "conf" / "mapping"


def mapping_yaml(name: str) -> dict[str, Any]:
    """The strategy's config option as a run composes it (a fresh dict)."""
    return member_params("mapping", name)


def table_value(table: dict[str, Any], strategy: Mapping, device: Any) -> tuple[int, int]:
    """Σ bytes × (energy, tRCD) weight of the points a table assigns: the objective, recomputed from the file."""
    space = strategy.space(device)
    energy = latency = 0
    for e in table["entries"]:
        w = space.weight(device.point(e["vdd"], e["trcd"]))
        energy += w[0] * e["bytes"]
        latency += w[1] * e["bytes"]
    return energy, latency
