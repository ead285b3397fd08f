"""Helpers of the mapping tests: every strategy from its YAML, random instances, independent scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from eden import conf
from eden.mapping.base import MAPPINGS, Mapping
from eden.mapping.space import Datum

REPO = Path(__file__).resolve().parents[2]
CONF_MAPPING = REPO / "conf" / "mapping"


def mapping_yaml(name: str) -> dict[str, Any]:
    return conf.load("mapping", name)


def build(name: str, **overrides: Any) -> Mapping:
    """The strategy ``name`` from its YAML, with field overrides (as a Hydra override would set them)."""
    params = {**mapping_yaml(name), **overrides}
    strategy = MAPPINGS.build(params, seed=0)
    assert isinstance(strategy, Mapping)
    return strategy


def random_data(gen: torch.Generator, n: int, *, zero_share: float = 0.15, ties: bool = True) -> list[Datum]:
    """``n`` data types: sizes 64..4096 bytes; tolerances log-uniform in [1e-3, 5e-2] (vendor A's characterized
    range, EDEN Table 3) with some zeros and, optionally, repeated values (ties)."""
    out: list[Datum] = []
    for i in range(n):
        size = int(torch.randint(64, 4097, (1,), generator=gen))
        u = float(torch.rand(1, generator=gen))
        if u < zero_share:
            tol = 0.0
        elif ties and out and u < zero_share + 0.15:
            tol = out[int(torch.randint(0, len(out), (1,), generator=gen))].tolerance
        else:
            tol = float(10 ** (-3 + 1.7 * float(torch.rand(1, generator=gen))))
        out.append(Datum(f"layer{i}.{'weights' if i % 2 == 0 else 'ifm'}", size, tol))
    return out


def table_value(table: dict[str, Any], strategy: Mapping, device: Any) -> tuple[int, int]:
    """Σ bytes × (energy, tRCD) weight of the points a table assigns: the objective, recomputed from the file."""
    space = strategy.space(device)
    energy = latency = 0
    for e in table["entries"]:
        w = space.weight(device.point(e["vdd"], e["trcd"]))
        energy += w[0] * e["bytes"]
        latency += w[1] * e["bytes"]
    return energy, latency
