"""validate's back-off never leaves a finer mapping saving less than the coarse one: the coarse floor comes
before nominal (unit-level: the accuracy is a stand-in that passes when the large weights are at or below 3e-3)."""

from __future__ import annotations

import math
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
    floor = {"big.weights": (1.225, 14.0), "small.ifm": (1.225, 14.0)}  # the coarse point c
    assert validate.back_off(entries, parts, floor) == []  # p1 (1.25 V) saves less than the floor for both
    assert [e["partition"] for e in entries] == ["p2", "p2"]
    assert validate.back_off(entries, parts) == ["big.weights"]  # without a floor: one step towards nominal
    assert entries[0]["partition"] == "p1"


class _Grid:
    """The mapping's grid as ``retreat_of`` sees it: VDD points of a 25 mV step and their BERs (nominal: 0)."""

    POINTS = ((1.35, 0.0), (1.30, 1e-3), (1.25, 2e-3), (1.225, 3e-3), (1.20, 4e-3))

    def point_for(self, tolerance: float) -> Any:
        vdd, ber = max((p for p in self.POINTS if p[1] <= tolerance), key=lambda p: p[1])
        return SimpleNamespace(vdd=vdd, trcd=14.0, ber=ber, is_nominal=ber == 0.0)


def _ctx(mapped: dict[str, Any], rounds: int = 3, fine_backoff: str = "offenders") -> Any:
    cfg = SimpleNamespace(validate=SimpleNamespace(seeds=1, max_backoff_rounds=rounds, fine_backoff=fine_backoff),
                          characterize=SimpleNamespace(confidence=0.95))  # fmt: skip
    dram = SimpleNamespace(nominal=SimpleNamespace(vdd=1.35, trcd=14.0))
    mapping = SimpleNamespace(space=lambda device: _Grid())
    return SimpleNamespace(results={"map": mapped}, cfg=cfg, members=SimpleNamespace(dram=dram, mapping=mapping),
                           device="cpu")  # fmt: skip


TOLERATED = {"big.weights": 3e-3}  # the stand-in's accuracy passes when the large weights are at or below this
DRAWS: list[int] = []  # the error-seed offset of every accuracy check, in order


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from eden.stages import boost, common

    def accuracy_under(ctx: Any, model: Any, bers: dict[str, float], **kw: Any) -> Any:
        DRAWS.append(kw["seed_offset"])
        acc = 0.95 if all(bers[k] <= t for k, t in TOLERATED.items()) else 0.80
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


COARSE = _table({"big.weights": "c", "small.ifm": "c"}, ["nominal", "c"])


@pytest.mark.usefixtures("stand_in")
def test_a_failing_coarse_mapping_steps_back_one_grid_point_not_to_nominal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(TOLERATED, "big.weights", 2e-3)  # the coarse point (3e-3) misses; one step back (2e-3) passes
    result = validate.compute(_ctx(COARSE), tmp_path, None)
    assert not result["fallback_nominal"] and result["backoff_rounds"] == 1
    placed = {e["data_type"]: (e["partition"], e["vdd"], e["ber"]) for e in result["entries"]}
    assert placed == {"big.weights": ("c", 1.25, 2e-3), "small.ifm": ("c", 1.25, 2e-3)}  # the partition moved
    assert [(p["name"], p["vdd"]) for p in result["partitions"]] == [("nominal", 1.35), ("c", 1.25)]
    assert result["final_acc"] >= result["required_acc"]


def test_a_partition_steps_back_once_per_round_with_every_datum_in_it() -> None:
    entries, parts = [dict(e) for e in COARSE["entries"]], validate.partitions_of(_ctx(COARSE), COARSE)
    moved = validate.back_off(entries, parts, None, validate.retreat_of(_ctx(COARSE)))
    assert len(moved) == 1 and moved[0].startswith("big.weights")  # small.ifm rode along, not a second step
    assert {e["ber"] for e in entries} == {2e-3}
    validate.back_off(entries, parts, None, validate.retreat_of(_ctx(COARSE)))
    assert {e["ber"] for e in entries} == {1e-3}
    validate.back_off(entries, parts, None, validate.retreat_of(_ctx(COARSE)))  # no grid point left: nominal
    assert [e["partition"] for e in entries] == ["nominal", "c"] and entries[0]["ber"] == 0.0


def test_a_step_back_that_would_cross_the_coarse_floor_is_not_taken() -> None:
    entries, parts = [dict(e) for e in COARSE["entries"]], validate.partitions_of(_ctx(COARSE), COARSE)
    floor = {"big.weights": (1.225, 14.0)}  # small.ifm has none
    assert validate.back_off(entries, parts, floor, validate.retreat_of(_ctx(COARSE))) == []
    assert {e["ber"] for e in entries} == {3e-3}


@pytest.mark.usefixtures("stand_in")
def test_a_fine_mapping_whose_floor_fails_ends_where_the_coarse_mapping_ends_never_at_nominal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measured before: fine used its rounds on small types, its floor then failed and it went all nominal (0 %
    saved) while the coarse mapping, stepping back, kept 27 %. The floor phase replays the coarse check exactly."""
    monkeypatch.setitem(TOLERATED, "big.weights", 2e-3)  # fine (4e-3) and its floor (3e-3) both miss
    DRAWS.clear()
    coarse = validate.compute(_ctx(COARSE), tmp_path, None)
    coarse_draws = list(DRAWS)
    DRAWS.clear()
    fine = validate.compute(_ctx({**FINE, "coarse_floor": COARSE}), tmp_path, None)
    assert fine["fallback_coarse_floor"] and not fine["fallback_nominal"]
    assert fine["entries"] == coarse["entries"] and fine["final_acc"] == coarse["final_acc"]
    assert DRAWS[-len(coarse_draws):] == coarse_draws  # the same error draws as the coarse mapping's own check


def test_the_floor_is_a_point_not_a_ber_a_higher_ber_at_a_higher_vdd_is_below_it() -> None:
    """With both knobs a point can carry more errors and still save less energy (vendor A: 1.30 V at 11.5 ns has
    BER 5e-3, 1.275 V at 12.5 ns 1.06e-4). Measured before: an unboosted fine mapping backed off by BER to such
    points and ended at 8.24 % saved against the coarse mapping's 8.45 %."""
    parts = {"nominal": (1.35, 12.5, 0.0), "slow": (1.30, 11.5, 5e-3), "hot": (1.25, 10.5, 1.5e-2)}
    table = {
        "entries": [{"data_type": "big.weights", "partition": "hot", "vdd": 1.25, "trcd": 10.5, "ber": 1.5e-2,
                     "bytes": 1000}],
        "partitions": [{"name": n, "vdd": v, "trcd": t, "ber": b, "capacity_bytes": None,
                        "used_bytes": 1000 if n == "hot" else 0} for n, (v, t, b) in parts.items()],
    }  # fmt: skip
    entries, partitions = [dict(e) for e in table["entries"]], validate.partitions_of(_ctx(table), table)
    floor = {"big.weights": (1.275, 12.5)}  # the coarse point: BER 1.06e-4, below the slow partition's 5e-3
    assert validate.back_off(entries, partitions, floor) == []
    assert entries[0]["partition"] == "hot"


@pytest.mark.usefixtures("stand_in")
def test_scale_back_off_bisects_one_common_factor_and_keeps_the_largest_that_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-type tolerances (big.weights 4e-3, coarse 1e-3) times one factor, re-mapped: the stand-in passes while
    big.weights <= 3e-3, i.e. factor <= 0.75; six log-scale bisection steps from [0.25, 1] end just below it."""
    factors: list[float] = []

    def rescaled(ctx: Any, factor: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        factors.append(factor)
        ber = max(4e-3 * factor, 1e-3)
        entries = [{"data_type": "big.weights", "partition": "p", "vdd": 1.2, "trcd": 14.0, "ber": ber, "bytes": 1000},
                   {"data_type": "small.ifm", "partition": "p", "vdd": 1.2, "trcd": 14.0, "ber": ber, "bytes": 10}]
        return entries, [{"name": "p", "vdd": 1.2, "trcd": 14.0, "ber": ber, "capacity_bytes": math.inf,
                          "used_bytes": 1010}]  # fmt: skip

    monkeypatch.setattr(validate, "rescaled", rescaled)
    monkeypatch.setattr(validate, "scale_bounds", lambda ctx: 0.25)
    result = validate.compute(_ctx({**FINE, "coarse_floor": FLOOR}, rounds=6, fine_backoff="scale"), tmp_path, None)
    assert len(factors) == 6 and factors[0] == pytest.approx(0.5)
    kept = {e["data_type"]: e["ber"] for e in result["entries"]}["big.weights"]
    assert 2.9e-3 < kept <= 3e-3  # the largest passing factor found, not the floor
    assert not result["fallback_coarse_floor"] and result["final_acc"] >= result["required_acc"]
