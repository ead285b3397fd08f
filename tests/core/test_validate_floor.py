"""validate's back-off never leaves a finer mapping saving less than the coarse one: the coarse floor comes
before nominal (unit-level: the accuracy is a stand-in that passes when the large weights are at or below 3e-3)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from eden.stages import validate

P = {  # least aggressive first, as partitions_of orders them
    "nominal": {"name": "nominal", "vdd": 1.35, "trcd": 14.0, "ber": 0.0, "capacity_bytes": None, "used_bytes": 0},
    "p1": {"name": "p1", "vdd": 1.25, "trcd": 14.0, "ber": 2e-3, "capacity_bytes": None, "used_bytes": 0},
    "p2": {"name": "p2", "vdd": 1.20, "trcd": 14.0, "ber": 4e-3, "capacity_bytes": None, "used_bytes": 0},
    "c": {"name": "c", "vdd": 1.225, "trcd": 14.0, "ber": 3e-3, "capacity_bytes": None, "used_bytes": 0},
}


def _table(where: dict[str, str], parts: list[str]) -> dict[str, Any]:
    sizes = {"big.weights": 1000, "small.ifm": 10}
    partitions = [dict(P[n]) for n in parts]
    for p in partitions:
        p["used_bytes"] = sum(sizes[k] for k, n in where.items() if n == p["name"])
    entries = [{"data_type": k, "partition": n, "vdd": P[n]["vdd"], "trcd": P[n]["trcd"], "ber": P[n]["ber"],
                "bytes": sizes[k]} for k, n in where.items()]  # fmt: skip
    return {"strategy": "fine", "entries": entries, "partitions": partitions}


FINE = _table({"big.weights": "p2", "small.ifm": "p2"}, ["nominal", "p1", "p2"])
FLOOR = _table({"big.weights": "c", "small.ifm": "c"}, ["nominal", "c"])


def test_back_off_stops_at_the_coarse_point_and_says_so_with_an_empty_move() -> None:
    entries, parts = [dict(e) for e in FINE["entries"]], validate.partitions_of(_ctx(FINE), FINE)
    floor = {"big.weights": 3e-3, "small.ifm": 3e-3}
    assert validate.back_off(entries, parts, floor) == []  # p1 (2e-3) lies below both floors
    assert [e["partition"] for e in entries] == ["p2", "p2"]
    assert validate.back_off(entries, parts) == ["big.weights"]  # without a floor: one step towards nominal
    assert entries[0]["partition"] == "p1"


def _ctx(mapped: dict[str, Any], rounds: int = 3) -> Any:
    cfg = SimpleNamespace(validate=SimpleNamespace(seeds=1, max_backoff_rounds=rounds),
                          characterize=SimpleNamespace(confidence=0.95))  # fmt: skip
    dram = SimpleNamespace(nominal=SimpleNamespace(vdd=1.35, trcd=14.0))
    return SimpleNamespace(results={"map": mapped}, cfg=cfg, members=SimpleNamespace(dram=dram), device="cpu")


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from eden.stages import boost, common

    def accuracy_under(ctx: Any, model: Any, bers: dict[str, float], **_: Any) -> Any:
        acc = 0.95 if bers["big.weights"] <= 3e-3 else 0.80
        return SimpleNamespace(mean=acc, low=acc - 0.01, high=acc + 0.01)

    monkeypatch.setattr(common, "accuracy_under", accuracy_under)
    monkeypatch.setattr(boost, "load_boosted", lambda ctx: None)
    monkeypatch.setattr(validate, "required_accuracy", lambda ctx: (0.95, 0.94))
    monkeypatch.setattr(validate, "record_expected_bers", lambda *a: None)


@pytest.mark.usefixtures("stand_in")
def test_a_failing_fine_mapping_falls_back_to_the_coarse_floor_not_below_it(tmp_path: Path) -> None:
    result = validate.compute(_ctx({**FINE, "coarse_floor": FLOOR}), tmp_path, None)
    assert result["fallback_coarse_floor"] and not result["fallback_nominal"]
    assert {e["data_type"]: e["partition"] for e in result["entries"]} == {"big.weights": "c", "small.ifm": "c"}
    assert result["final_acc"] >= result["required_acc"]


@pytest.mark.usefixtures("stand_in")
def test_without_a_floor_the_back_off_goes_one_partition_at_a_time(tmp_path: Path) -> None:
    result = validate.compute(_ctx(FINE), tmp_path, None)  # the coarse strategy: no separate floor
    assert not result["fallback_coarse_floor"] and result["backoff_rounds"] == 1
    assert {e["data_type"]: e["partition"] for e in result["entries"]}["big.weights"] == "p1"
