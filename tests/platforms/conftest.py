"""Platform fixtures: every registered member built from its config option, with SCALE-Sim cached under tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eden.platforms.base import PLATFORMS, Platform
from eden.testing.members import member_params
from eden.testing.platform import tiny_topology

__all__ = ["platform_params", "tiny_topology"]


def platform_params(name: str) -> dict[str, Any]:
    return member_params("platform", name)


@pytest.fixture(scope="session")
def scalesim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SCALE-Sim cache for the session (keys cover shape + array + word size, so sharing is exact)."""
    return tmp_path_factory.mktemp("scalesim")


@pytest.fixture
def build_platform(scalesim_cache: Path) -> Callable[..., Platform]:
    """``build_platform(name, **overrides)``: the member from its config option; simulator cache shared per session."""

    def build(name: str, **overrides: Any) -> Platform:
        params = {**platform_params(name), **overrides}
        if "cache_dir" in params:
            params["cache_dir"] = str(scalesim_cache)
        return PLATFORMS.build(params)

    return build
