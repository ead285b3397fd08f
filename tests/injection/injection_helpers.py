"""Helpers shared by the injection tests: building models from their YAML, reading regions many times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from eden import conf
from eden.dram.geometry import Geometry
from eden.injection.engine import WeakCellMap
from eden.injection.error_model import ERROR_MODELS, ErrorModel
from eden.layout import Layout

CONF = Path(__file__).resolve().parents[2] / "conf" / "error_model"
#: Small partition: 4 banks × 64 rows × 1024 bitlines (multiples of every word size).
GEO = Geometry(banks=4, rows_per_bank=64, row_bits=1024)
REGION_BITS = 16 * GEO.row_bits  # 16 rows


def yaml_params(name: str) -> dict[str, Any]:
    return conf.load("error_model", name)


def build(name: str, *, seed: int = 1, **overrides: Any) -> ErrorModel:
    """The member ``name`` with its shipped YAML values, overridden by ``overrides``."""
    params = {**yaml_params(name), **overrides}
    return ERROR_MODELS.get(name).from_config(params, seed=seed)


def weak_map(
    model: ErrorModel,
    *,
    n_bits: int = REGION_BITS,
    word_bits: int = 8,
    path: str = "auto",
    draw: str = "auto",
    **layout: Any,
) -> WeakCellMap:
    return WeakCellMap(model, Layout(geometry=GEO, **layout), n_bits, word_bits, path=path, draw=draw)


def read_many(wcm: WeakCellMap, reads: int, *, fill: int = 0, seed: int = 0) -> torch.Tensor:
    """Per-read flipped bits of ``reads`` reads of a region filled with byte ``fill``: bool (reads, n_bits)."""
    slot = -(-wcm.n_bits // 8)
    data = torch.full((reads * slot,), fill, dtype=torch.uint8)
    wcm.corrupt_reads_(data, reads, torch.Generator().manual_seed(seed))
    diff = (data ^ fill).view(reads, slot)
    bits = (diff.unsqueeze(-1) >> torch.arange(8, dtype=torch.uint8)) & 1
    return bits.reshape(reads, slot * 8)[:, : wcm.n_bits].bool()


def popcount(x: torch.Tensor) -> int:
    bits = (x.reshape(-1).unsqueeze(-1) >> torch.arange(8, dtype=torch.uint8)) & 1
    return int(bits.sum())
