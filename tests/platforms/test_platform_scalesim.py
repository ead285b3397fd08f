"""SCALE-Sim runner: counts converted from 1-byte words, cached on disk, analytical stand-in agrees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from torch import nn

from eden.platforms.scalesim_runner import ArrayConfig, ScaleSimRunner, analytical_systolic, default_cache_dir
from eden.platforms.topology import extract_topology

pytest.importorskip("scalesim")

ARRAY = ArrayConfig(rows=8, cols=8, ifmap_sram_kb=64, filter_sram_kb=64, ofmap_sram_kb=64, dataflow="ws")


def small_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, groups=8), nn.Flatten(),
                         nn.Linear(8 * 6 * 6, 10))  # fmt: skip


def test_second_run_comes_from_the_cache_with_identical_counts(tmp_path: Path) -> None:
    topo = extract_topology(small_model(), (3, 8, 8))
    first = ScaleSimRunner(array=ARRAY, cache_dir=tmp_path, max_cycles=1e6)
    kwargs = {"bytes_per_value": 1, "access_bytes": 64, "interleave_bytes": 2048}
    a = [first.layer_traffic(layer, **kwargs) for layer in topo]
    assert first.simulated == len(topo) and len(list(tmp_path.glob("*.json"))) == len(topo)
    second = ScaleSimRunner(array=ARRAY, cache_dir=tmp_path, max_cycles=1e6)
    b = [second.layer_traffic(layer, **kwargs) for layer in topo]
    assert second.simulated == 0 and a == b
    assert all(t.source == "scalesim" for t in a)


def test_word_counts_scale_with_bytes_per_value_and_reads_cover_the_weights(tmp_path: Path) -> None:
    topo = extract_topology(small_model(), (3, 8, 8))
    runner = ScaleSimRunner(array=ARRAY, cache_dir=tmp_path, max_cycles=1e6)
    for layer in topo:
        one = runner.layer_traffic(layer, bytes_per_value=1, access_bytes=64, interleave_bytes=2048)
        assert one.weight_bytes >= layer.weight_numel  # never below the unique weights
        four = runner.layer_traffic(layer, bytes_per_value=4, access_bytes=64, interleave_bytes=2048)
        assert four.weight_bytes >= 4 * layer.weight_numel
        # The SRAM holds a quarter of the values at 4 bytes each: never less traffic per value.
        assert four.total_bytes >= 4 * one.total_bytes - 1e-9


def test_analytical_stand_in_mirrors_scalesim_on_layers_that_fit(tmp_path: Path) -> None:
    topo = extract_topology(small_model(), (3, 8, 8))
    runner = ScaleSimRunner(array=ARRAY, cache_dir=tmp_path, max_cycles=1e6)
    for layer in topo:
        sim = runner.layer_traffic(layer, bytes_per_value=1, access_bytes=64, interleave_bytes=2048)
        est = analytical_systolic(layer, ARRAY, bytes_per_value=1, access_bytes=64, interleave_bytes=2048)
        assert est.weight_bytes == sim.weight_bytes
        assert est.ofm_bytes == sim.ofm_bytes  # partial sums written once per fold of K over the rows
        assert est.ifm_bytes == pytest.approx(sim.ifm_bytes, rel=0.6)  # SCALE-Sim also reads the zero padding
        assert est.compute_cycles == pytest.approx(sim.compute_cycles, rel=0.5)


def test_layers_over_the_cycle_budget_are_not_simulated(tmp_path: Path) -> None:
    topo = extract_topology(small_model(), (3, 8, 8))
    runner = ScaleSimRunner(array=ARRAY, cache_dir=tmp_path, max_cycles=0)
    rows = [runner.layer_traffic(layer, bytes_per_value=1, access_bytes=64, interleave_bytes=2048) for layer in topo]
    assert runner.simulated == 0 and {r.source for r in rows} == {"analytical"}
    assert not list(tmp_path.glob("*"))


def test_cache_key_covers_array_config_and_word_size(tmp_path: Path) -> None:
    layer = extract_topology(small_model(), (3, 8, 8)).layers[0]
    runner = ScaleSimRunner(array=ARRAY, cache_dir=tmp_path, max_cycles=1e6)
    other = ScaleSimRunner(array=ArrayConfig(**{**ARRAY.__dict__, "rows": 16}), cache_dir=tmp_path, max_cycles=1e6)
    keys = {runner.cache_key(layer, 1), runner.cache_key(layer, 4), other.cache_key(layer, 1)}
    assert len(keys) == 3
    runner.layer_traffic(layer, bytes_per_value=1, access_bytes=64, interleave_bytes=2048)
    stored = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert set(stored) == {"ifmap_reads", "filter_reads", "ofmap_writes", "cycles"}


def test_default_cache_lives_in_the_repository() -> None:
    assert default_cache_dir().parts[-2:] == (".eden_cache", "scalesim")
    assert (default_cache_dir().parent.parent / "eden" / "platforms").is_dir()
