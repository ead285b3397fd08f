"""The ``map`` stage: characterize's tolerances → mapping table in the stage folder, cached, logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mapping_helpers import build, mapping_yaml
from members_helpers import run_members
from omegaconf import OmegaConf

from eden import conf
from eden.cache import StageCache, config_key
from eden.context import RunContext
from eden.datatypes import DataType
from eden.dram.device import DramDevice
from eden.mapping.table import load_json
from eden.stages import map as map_stage

TYPES = [
    DataType("conv1", "weights", (6, 1, 5, 5), 150),
    DataType("conv1", "ifm", (1, 28, 28), 784),
    DataType("fc", "weights", (10, 84), 840),
    DataType("fc", "ifm", (84,), 84),
]
TOLERANCES = {"conv1.weights": 0.006, "conv1.ifm": 0.005, "fc.weights": 0.04, "fc.ifm": 0.0}


class RecordingTracker:
    enabled = True

    def __init__(self) -> None:
        self.artifacts: list[str] = []

    def log_artifact(self, path: str | Path, **_: Any) -> None:
        self.artifacts.append(Path(path).name)


def context(tmp_path: Path, device: DramDevice, mapping: str = "fine") -> RunContext:
    dram = conf.load("dram", "ddr4_vendor_a")
    cfg = OmegaConf.create({"format": "int8", "mapping": mapping_yaml(mapping), "dram": dram})
    ctx = RunContext(
        cfg=cfg,
        members=run_members(mapping=build(mapping), dram=device),
        tracker=RecordingTracker(),  # type: ignore[arg-type]
        cache=StageCache(tmp_path / "cache"),
    )
    ctx.__dict__["data_types"] = TYPES  # the model's data types (a cached property of the real context)
    ctx.results["characterize"] = {"coarse_ber": 0.005, "tolerances": TOLERANCES}
    return ctx


def test_stage_writes_the_table_and_reports_metrics(tmp_path: Path, device: DramDevice) -> None:
    ctx = context(tmp_path, device)
    determining = map_stage.determining(ctx)
    folder = ctx.cache.folder("map", determining)
    folder.mkdir(parents=True)
    result = map_stage.compute(ctx, folder, None)
    ctx.cache.mark_done(folder, result, determining)
    cached = ctx.cache.read_result(folder)
    assert cached == result  # JSON-serializable as is
    assert {"entries", "partitions", "strategy"} <= set(cached)
    assert load_json(folder / "mapping.json", tolerances=TOLERANCES) == result
    assert (folder / "mapping.csv").is_file() and (folder / "mapping.md").is_file()
    sizes = {e["data_type"]: e["bytes"] for e in result["entries"]}
    assert sizes == {"conv1.weights": 150, "conv1.ifm": 784, "fc.weights": 840, "fc.ifm": 84}  # int8: 1 B/value
    ctx.folders["map"] = folder
    metrics = map_stage.finalize(ctx, cached)
    # four tolerance levels, four partitions: nominal (fc.ifm) and one per distinct point (Table 3 curves:
    # 0.5% → 1.25 V, 0.6% → 1.225 V by log-BER interpolation, 4% → 1.05 V)
    assert metrics["mapping.partitions_used"] == 4
    vdd = {e["data_type"]: e["vdd"] for e in result["entries"]}
    assert vdd["fc.ifm"] == 1.35 and vdd["conv1.ifm"] == 1.25 and vdd["conv1.weights"] == 1.225
    assert vdd["fc.weights"] == 1.05
    assert 0 < metrics["mapping.estimated_energy_saving"] < 1
    assert ctx.tracker.artifacts == ["mapping.json", "mapping.csv", "mapping.md"]  # type: ignore[attr-defined]


def test_cache_key_follows_strategy_device_and_format(tmp_path: Path, device: DramDevice) -> None:
    base = config_key(map_stage.determining(context(tmp_path, device)))
    assert config_key(map_stage.determining(context(tmp_path, device, "optimal"))) != base
    ctx = context(tmp_path, device)
    ctx.cfg.format = "int4"
    assert config_key(map_stage.determining(ctx)) != base
    ctx = context(tmp_path, device)
    ctx.cfg.dram.partitions.count = 8
    assert config_key(map_stage.determining(ctx)) != base
