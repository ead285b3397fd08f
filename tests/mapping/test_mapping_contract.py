"""Contract of every ``mapping`` member (a new strategy is tested here the day it is registered)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from mapping_helpers import CONF_MAPPING, build, random_data

from eden import conf
from eden.dram.device import DramDevice
from eden.mapping.base import MAPPINGS
from eden.mapping.space import Datum, within
from eden.mapping.table import check_table, load_json, save_csv, save_json, save_markdown

NAMES = MAPPINGS.names()
CAPACITIES = ["ample", "tight"]  # the whole bank partition; twice the data's bytes over 4 partitions


def capacity_for(kind: str, data: list[Datum]) -> int | None:
    if kind == "ample":
        return None
    return max(max(d.bytes for d in data), -(-2 * sum(d.bytes for d in data) // 4))


def instance(seed: int) -> list[Datum]:
    return random_data(torch.Generator().manual_seed(seed), 8)


def test_every_member_has_a_yaml_and_every_yaml_a_member() -> None:
    assert set(NAMES) >= {"coarse", "fine", "optimal"}
    assert {p.stem for p in CONF_MAPPING.glob("*.yaml")} == set(NAMES)


@pytest.mark.parametrize("kind", CAPACITIES)
@pytest.mark.parametrize("name", NAMES)
def test_every_ber_within_tolerance_and_no_partition_over_capacity(name: str, kind: str, device: DramDevice) -> None:
    for seed in range(5):
        data = instance(seed)
        capacity = capacity_for(kind, data)
        table = build(name, capacity_bytes=capacity).map(data, device, coarse_ber=2e-3)
        tol = {d.key: d.tolerance for d in data}
        assert [e["data_type"] for e in table["entries"]] == [d.key for d in data]  # one entry each, model order
        for e in table["entries"]:
            assert within(e["ber"], tol[e["data_type"]])
            assert device.ber(e["vdd"], e["trcd"]) == pytest.approx(e["ber"], rel=1e-9, abs=1e-15)  # real point
        used: dict[str, int] = {}
        for e in table["entries"]:
            used[e["partition"]] = used.get(e["partition"], 0) + e["bytes"]
        for p in table["partitions"]:
            assert used.get(p["name"], 0) == p["used_bytes"] <= p["capacity_bytes"]
            if capacity is not None:
                assert p["capacity_bytes"] == capacity
        assert table["partitions"][0]["ber"] == 0.0 and table["partitions"][0]["vdd"] == device.nominal.vdd


@pytest.mark.parametrize("name", NAMES)
def test_zero_tolerance_data_go_to_a_nominal_partition(name: str, device: DramDevice) -> None:
    data = [Datum("a.weights", 4000, 0.03), Datum("a.ifm", 900, 0.0), Datum("b.weights", 700, 0.0)]
    table = build(name).map(data, device, coarse_ber=0.01)
    by_key = {e["data_type"]: e for e in table["entries"]}
    for key in ("a.ifm", "b.weights"):
        assert by_key[key]["ber"] == 0.0
        assert (by_key[key]["vdd"], by_key[key]["trcd"]) == (device.nominal.vdd, device.nominal.trcd)
    assert by_key["a.weights"]["ber"] > 0  # the tolerant datum is not left at nominal


@pytest.mark.parametrize("name", NAMES)
def test_mapping_is_deterministic(name: str, device: DramDevice) -> None:
    data = instance(7)
    capacity = capacity_for("tight", data)
    first = build(name, capacity_bytes=capacity).map(data, device, coarse_ber=2e-3)
    again = build(name, capacity_bytes=capacity).map(list(data), device, coarse_ber=2e-3)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


@pytest.mark.parametrize("name", NAMES)
def test_json_round_trip_is_exact_and_validates(name: str, device: DramDevice, tmp_path: Path) -> None:
    data = instance(3)
    table = build(name).map(data, device, coarse_ber=2e-3)
    path = save_json(table, tmp_path / "mapping.json")
    loaded = load_json(path, tolerances={d.key: d.tolerance for d in data})
    assert loaded == table
    assert check_table(json.loads(path.read_text())) == table  # the entries' own tolerances suffice
    assert save_csv(table, tmp_path / "m.csv").read_text().count("\n") == len(data) + 1
    md = save_markdown(table, tmp_path / "m.md").read_text()
    assert f"`{name}`" in md and all(d.key in md for d in data)


@pytest.mark.parametrize("name", NAMES)
def test_saving_estimate_matches_the_paper_rule_under_paper_scaling(name: str) -> None:
    """With every tolerant byte at VDD v and energy ∝ VDD (EDEN Fig. 13), the estimate is ΔVDD / 1.2 V."""

    from eden.dram.device import DRAMS

    raw = conf.load("dram", "ddr4_vendor_a")
    raw["energy"]["scaling"] = "paper"
    paper = DRAMS.build(raw)
    data = [Datum("a.weights", 1000, 0.04), Datum("b.weights", 3000, 0.04)]
    table: dict[str, Any] = build(name).map(data, paper, coarse_ber=0.04)
    vdd = table["entries"][0]["vdd"]
    assert vdd == pytest.approx(1.05)  # Table 3: 4.0% BER ← −0.30 V
    assert table["estimated_energy_saving"] == pytest.approx((1.35 - vdd) / 1.2, abs=1e-9)
