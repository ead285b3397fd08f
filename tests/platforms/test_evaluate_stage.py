"""The evaluate stage on a fake run context: map entries in, metrics + per-layer CSV out, nominal without a map."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from members_helpers import run_members
from omegaconf import OmegaConf

from eden.errors import ConfigError
from eden.models.lenet import LeNet5
from eden.platforms.base import Platform
from eden.platforms.dram_costs import device_of
from eden.platforms.topology import extract_topology
from eden.stages import evaluate

VENDOR_A = device_of("ddr4_vendor_a")


class FakeTracker:
    def __init__(self) -> None:
        self.artifacts: list[Path] = []

    def log_artifact(self, path: Path) -> None:
        self.artifacts.append(Path(path))


def fake_ctx(platform: Platform, tmp_path: Path, results: dict[str, Any]) -> SimpleNamespace:
    example = torch.zeros(1, 1, 28, 28)
    cfg = OmegaConf.create({"format": "int8", "paths": {"cache": str(tmp_path / "cache")}, "platform": {"name": "x"}})
    return SimpleNamespace(
        cfg=cfg,
        members=run_members(platform=platform, dram=VENDOR_A),
        results=results,
        folders={"evaluate": tmp_path / "evaluate"},
        tracker=FakeTracker(),
        build_model=lambda: LeNet5(num_classes=10, in_channels=1),
        data=SimpleNamespace(example_input=lambda: example),
        node=lambda key: OmegaConf.to_container(cfg[key]),
    )


def map_entries(vdd: float, trcd: float) -> list[dict[str, Any]]:
    topo = extract_topology(LeNet5(num_classes=10, in_channels=1), (1, 28, 28))
    keys = [f"{lay.name}.{kind}" for lay in topo if lay.has_weights for kind in ("weights", "ifm")]
    return [{"data_type": k, "partition": 0, "vdd": vdd, "trcd": trcd, "ber": 0.01, "bytes": 1} for k in keys]


def test_mapping_gives_metrics_a_csv_and_a_json_result(tmp_path: Path, build_platform: Callable[..., Platform]) -> None:
    ctx = fake_ctx(build_platform("cpu"), tmp_path, {"map": {"entries": map_entries(1.05, 7.0)}})
    result = evaluate.compute(ctx, ctx.folders["evaluate"], None)
    json.dumps(result)  # the pipeline caches it as JSON
    metrics = evaluate.finalize(ctx, result)
    headline = {k for k in metrics if not k.startswith(("energy_j.", "energy_nominal_j."))}
    assert headline == set(evaluate.METRICS)
    # the energy breakdown per component, nominal and mapped: the mapped total is the smaller one
    mapped = sum(v for k, v in metrics.items() if k.startswith("energy_j."))
    nominal = sum(v for k, v in metrics.items() if k.startswith("energy_nominal_j."))
    assert 0 < mapped < nominal
    assert 0 < metrics["dram_energy_reduction_paper_scaling"] < 0.25  # the output stays nominal: just under 0.30/1.2
    assert metrics["dram_energy_reduction"] > metrics["dram_energy_reduction_paper_scaling"]
    assert 1.0 <= metrics["speedup"] <= metrics["ideal_speedup"]
    with open(ctx.folders["evaluate"] / evaluate.ROWS_FILE) as handle:
        rows = list(csv.DictReader(handle))
    topo = extract_topology(LeNet5(num_classes=10, in_channels=1), (1, 28, 28))
    assert [r["layer"] for r in rows] == [layer.name for layer in topo]
    assert all(float(r["energy_reduction_paper"]) > 0 for r in rows[:-1])  # all but the last layer's OFM mapped
    assert ctx.tracker.artifacts == [ctx.folders["evaluate"] / evaluate.ROWS_FILE]


def test_without_a_map_result_everything_is_nominal(tmp_path: Path, build_platform: Callable[..., Platform]) -> None:
    ctx = fake_ctx(build_platform("gpu"), tmp_path, {})
    metrics = evaluate.finalize(ctx, evaluate.compute(ctx, ctx.folders["evaluate"], None))
    assert metrics["dram_energy_reduction"] == 0.0 and metrics["speedup"] == 1.0
    assert evaluate.determining(ctx) == {"platform": {"name": "x"}, "format": "int8"}


def test_malformed_or_duplicate_entries_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"map\.entries\[0\]"):
        evaluate.mapping_from_entries([{"vdd": 1.2}])
    entry = {"data_type": "a.weights", "vdd": 1.2, "trcd": 10.0}
    with pytest.raises(ConfigError, match=r"map\.entries\[1\]\.data_type"):
        evaluate.mapping_from_entries([entry, entry])
