"""``eden.fields``: one validation mechanism and one message shape for every config field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from eden.dram.spec import EnergySettings, Organization, Timings
from eden.errors import ConfigError, check_choice, check_range
from eden.fields import MISSING, choice, integer, number, param, parse, rules_of
from eden.formats import FORMAT_NAMES, get_format
from eden.mapping.base import CommonParams
from eden.platforms.base import FORMAT_BYTES, field_int, field_number


@dataclass(frozen=True, kw_only=True)
class Params:
    rate: float = param(number(0.0, 1.0))
    step: float | None = param(number(above=0.0, unit="ns", nullable=True, null_means="the device's"))
    count: int = param(integer())
    mode: str = param(choice("fast", "exact"))


GOOD: dict[str, Any] = {"rate": 0.5, "step": None, "count": 3, "mode": "fast"}


@pytest.mark.parametrize(
    ("key", "bad", "message"),
    [
        ("rate", 1.5, "p.rate=1.5 is invalid; allowed: a number in [0, 1]"),
        ("rate", True, "p.rate=True is invalid; allowed: a number in [0, 1]"),
        ("rate", "0.5", "p.rate='0.5' is invalid; allowed: a number in [0, 1]"),
        ("rate", float("nan"), "p.rate=nan is invalid; allowed: a number in [0, 1]"),
        ("step", 0, "p.step=0 is invalid; allowed: null (the device's) or a number > 0 (ns)"),
        ("count", 2.0, "p.count=2.0 is invalid; allowed: a positive integer"),
        ("count", 0, "p.count=0 is invalid; allowed: a positive integer"),
        ("mode", "slow", "p.mode='slow' is invalid; allowed: fast, exact"),
        ("mode", MISSING, "p.mode=<missing> is invalid; allowed: fast, exact"),
    ],
)
def test_a_bad_field_is_one_line_naming_field_value_and_allowed(key: str, bad: Any, message: str) -> None:
    node = {**GOOD, key: bad}
    if bad is MISSING:
        del node[key]
    with pytest.raises(ConfigError) as err:
        parse(Params, node, "p")
    assert str(err.value) == message and err.value.field == f"p.{key}"


def test_parse_converts_and_rejects_unknown_keys() -> None:
    assert parse(Params, {**GOOD, "rate": 1, "step": 2}, "p") == {**GOOD, "rate": 1.0, "step": 2.0}
    assert isinstance(parse(Params, {**GOOD, "rate": 1}, "p")["rate"], float)
    with pytest.raises(ConfigError, match=r"^p\.rte=0\.5 is invalid; allowed: a known field: rate, step, count, mode$"):
        parse(Params, {**GOOD, "rte": 0.5}, "p")
    assert parse(Params, {**GOOD, "name": "x"}, "p", extra=("name",)) == GOOD


def test_the_loose_checks_use_the_same_rules() -> None:
    """errors.check_range / check_choice and the platform field helpers word their errors as the rules do."""
    with pytest.raises(ConfigError) as a:
        check_range("x", 2, 0.0, 1.0)
    with pytest.raises(ConfigError) as b:
        field_number({"x": 2}, "x", low=0, high=1)
    assert str(a.value) == "x=2 is invalid; allowed: a number in [0, 1]" == str(b.value).removeprefix("platform.")
    with pytest.raises(ConfigError, match=r"^platform\.x=1\.5 is invalid; allowed: a positive integer$"):
        field_int({"x": 1.5}, "x")
    with pytest.raises(ConfigError, match=r"^platform\.x=0 is invalid; allowed: a number >= 1$"):
        field_number({"x": 0}, "x", low=1)
    with pytest.raises(ConfigError, match=r"^f='c' is invalid; allowed: a, b$"):
        check_choice("f", "c", ("a", "b"))
    assert check_range("x", 1, 0.0, 1.0) == 1.0


def test_members_declare_their_fields_in_their_parameter_dataclasses() -> None:
    assert list(rules_of(Timings)) == ["tck", "cl", "trp", "tras", "trc", "trfc", "trefi"]
    assert rules_of(Timings)["cl"].allowed() == "a number > 0 (ns)"
    assert rules_of(Organization)["ranks"].allowed() == "a positive integer"
    assert rules_of(EnergySettings)["scaling"].allowed() == "idd, paper"
    assert rules_of(CommonParams)["vdd_step"].allowed() == "null (the device's grid) or a number > 0 (V)"


def test_format_bytes_derive_from_the_formats() -> None:
    assert set(FORMAT_BYTES) == set(FORMAT_NAMES)
    assert all(FORMAT_BYTES[n] == get_format(n).bits / 8 for n in FORMAT_NAMES)
    assert FORMAT_BYTES["int4"] == 0.5 and FORMAT_BYTES["fp32"] == 4
