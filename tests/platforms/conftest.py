"""Platform fixtures: every registered member built from its YAML, with SCALE-Sim cached under tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from torch import nn

from eden import conf
from eden.platforms.base import PLATFORMS, Platform
from eden.platforms.topology import Topology, extract_topology

CONF = Path(__file__).resolve().parents[2] / "conf" / "platform"


def platform_params(name: str) -> dict[str, Any]:
    return conf.load("platform", name)


@pytest.fixture(scope="session")
def scalesim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SCALE-Sim cache for the session (keys cover shape + array + word size, so sharing is exact)."""
    return tmp_path_factory.mktemp("scalesim")


@pytest.fixture
def build_platform(scalesim_cache: Path) -> Callable[..., Platform]:
    """``build_platform(name, **overrides)``: the member from its YAML; simulator cache shared per session."""

    def build(name: str, **overrides: Any) -> Platform:
        params = {**platform_params(name), **overrides}
        if "cache_dir" in params:
            params["cache_dir"] = str(scalesim_cache)
        return PLATFORMS.build(params)

    return build


def tiny_topology() -> Topology:
    """conv → depthwise → pool → linear on an 8×8 input: every layer kind, seconds in SCALE-Sim."""
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 10),
    )  # fmt: skip
    return extract_topology(model, (3, 8, 8))
