"""Helpers shared by the injection tests: building models from their YAML, reading regions many times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from eden.testing.error_model import GEO, REGION_BITS, build, read_many, weak_map
from eden.testing.members import member_params

__all__ = ["GEO", "REGION_BITS", "build", "popcount", "read_many", "weak_map", "yaml_params"]

CONF = Path(__file__).resolve().parents[2] / "conf" / "error_model"


def yaml_params(name: str) -> dict[str, Any]:
    """The member's config option as a run composes it."""
    return member_params("error_model", name)


def popcount(x: torch.Tensor) -> int:
    bits = (x.reshape(-1).unsqueeze(-1) >> torch.arange(8, dtype=torch.uint8)) & 1
    return int(bits.sum())
