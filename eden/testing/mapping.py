"""Contract every ``mapping`` member meets (correctness, not quality), as a suite for any plugin package.

Usage::

    @pytest.mark.parametrize("name", ["my_strategy"])
    class TestMyStrategy(MappingContract):
        pass

The strategy maps random instances onto EDEN's characterized vendor A module (Table 3). Every BER stays within its
datum's tolerance at a real point of the device, no partition overflows, the table round-trips exactly, and the
saving estimate follows the paper's rule for whatever points the strategy chose. How *much* a strategy saves is
a quality question for the tests of that strategy; only a strategy declaring ``optimizing`` is held to moving
tolerant data off the nominal point.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import torch

from eden.dram.device import DRAMS, DramDevice
from eden.mapping.base import MAPPINGS, Mapping
from eden.mapping.space import Datum, within
from eden.mapping.table import check_table, load_json, save_csv, save_json, save_markdown
from eden.testing.members import member_params, require

#: The device the instances are mapped onto (EDEN's vendor A module, BER curves from Table 3).
REFERENCE_DRAM = "ddr4_vendor_a"
CAPACITIES = ["ample", "tight"]  # the whole bank partition; twice the data's bytes over 4 partitions


def build(name: str, **overrides: Any) -> Mapping:
    """The strategy ``name`` from its config option, with field overrides (as a Hydra override would set them)."""
    strategy = MAPPINGS.build({**member_params("mapping", name), **overrides}, seed=0)
    assert isinstance(strategy, Mapping)
    return strategy


def reference_device(**energy: Any) -> DramDevice:
    """The reference part, with its ``energy`` fields overridden (e.g. ``scaling="paper"``)."""
    params = member_params("dram", REFERENCE_DRAM)
    params["energy"] = {**params["energy"], **energy}
    device = DRAMS.build(params)
    assert isinstance(device, DramDevice)
    return device


@cache
def _reference() -> DramDevice:
    return reference_device()  # immutable data: one instance serves every test


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


def capacity_for(kind: str, data: list[Datum]) -> int | None:
    if kind == "ample":
        return None
    return max(max(d.bytes for d in data), -(-2 * sum(d.bytes for d in data) // 4))


def instance(seed: int) -> list[Datum]:
    return random_data(torch.Generator().manual_seed(seed), 8)


class MappingContract:
    """The mapping contract; subclass it with ``name`` parametrized over the strategies to test."""

    GROUP = "mapping"

    @pytest.fixture
    def device(self) -> DramDevice:
        return _reference()

    @pytest.mark.parametrize("kind", CAPACITIES)
    def test_every_ber_within_tolerance_and_no_partition_over_capacity(
        self, name: str, kind: str, device: DramDevice
    ) -> None:
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

    def test_zero_tolerance_data_go_to_a_nominal_partition(self, name: str, device: DramDevice) -> None:
        data = [Datum("a.weights", 4000, 0.03), Datum("a.ifm", 900, 0.0), Datum("b.weights", 700, 0.0)]
        table = build(name).map(data, device, coarse_ber=0.01)
        by_key = {e["data_type"]: e for e in table["entries"]}
        for key in ("a.ifm", "b.weights"):
            assert by_key[key]["ber"] == 0.0
            assert (by_key[key]["vdd"], by_key[key]["trcd"]) == (device.nominal.vdd, device.nominal.trcd)

    def test_an_optimizing_strategy_moves_tolerant_data_off_nominal(self, name: str, device: DramDevice) -> None:
        require(self.GROUP, name, "optimizing")
        data = [Datum("a.weights", 4000, 0.03), Datum("a.ifm", 900, 0.0), Datum("b.weights", 700, 0.0)]
        table = build(name).map(data, device, coarse_ber=0.01)
        by_key = {e["data_type"]: e for e in table["entries"]}
        assert by_key["a.weights"]["ber"] > 0  # the tolerant datum is not left at nominal
        assert table["estimated_energy_saving"] > 0

    def test_mapping_is_deterministic(self, name: str, device: DramDevice) -> None:
        data = instance(7)
        capacity = capacity_for("tight", data)
        first = build(name, capacity_bytes=capacity).map(data, device, coarse_ber=2e-3)
        again = build(name, capacity_bytes=capacity).map(list(data), device, coarse_ber=2e-3)
        assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)

    def test_json_round_trip_is_exact_and_validates(self, name: str, device: DramDevice, tmp_path: Path) -> None:
        data = instance(3)
        table = build(name).map(data, device, coarse_ber=2e-3)
        path = save_json(table, tmp_path / "mapping.json")
        loaded = load_json(path, tolerances={d.key: d.tolerance for d in data})
        assert loaded == table
        assert check_table(json.loads(path.read_text())) == table  # the entries' own tolerances suffice
        assert save_csv(table, tmp_path / "m.csv").read_text().count("\n") == len(data) + 1
        md = save_markdown(table, tmp_path / "m.md").read_text()
        assert f"`{name}`" in md and all(d.key in md for d in data)

    def test_saving_estimate_follows_the_paper_rule_under_paper_scaling(self, name: str) -> None:
        """With energy ∝ VDD (EDEN Fig. 13), the estimate is the byte-weighted ΔVDD over the reference VDD."""
        paper = reference_device(scaling="paper")
        data = [Datum("a.weights", 1000, 0.04), Datum("b.weights", 3000, 0.04), Datum("c.ifm", 500, 0.0)]
        table: dict[str, Any] = build(name).map(data, paper, coarse_ber=0.04)
        reference = paper.energy.paper_reference_vdd
        expected = sum(e["bytes"] * (paper.nominal.vdd - e["vdd"]) / reference for e in table["entries"])
        assert table["estimated_energy_saving"] == pytest.approx(expected / sum(d.bytes for d in data), abs=1e-9)
