"""Bad input fails before compute with one line naming the field: configs, capacities, mapping files, registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mapping_helpers import build, mapping_yaml

from eden.datatypes import DataType
from eden.dram.device import DramDevice
from eden.errors import ConfigError, RegistryError
from eden.mapping.base import MAPPINGS, Mapping
from eden.mapping.space import Datum, data_items
from eden.mapping.table import load_json, save_json

DATA = [Datum("conv1.weights", 600, 0.01), Datum("conv1.ifm", 800, 0.0), Datum("fc.weights", 3000, 0.03)]
TOL = {d.key: d.tolerance for d in DATA}


def one_line(err: pytest.ExceptionInfo[ConfigError], field: str) -> str:
    message = str(err.value)
    assert message.startswith(f"{field}="), message
    assert "allowed:" in message and "\n" not in message
    return message


@pytest.mark.parametrize("name", MAPPINGS.names())
def test_a_datum_larger_than_any_partition_names_capacity_bytes(name: str, device: DramDevice) -> None:
    with pytest.raises(ConfigError) as err:
        build(name, capacity_bytes=2000).map(DATA, device, coarse_ber=0.01)
    assert "fc.weights" in one_line(err, "mapping.capacity_bytes")


@pytest.mark.parametrize("name", MAPPINGS.names())
def test_more_data_than_room_names_capacity_bytes(name: str, device: DramDevice) -> None:
    data = [Datum(f"l{i}.weights", 900, 0.02) for i in range(5)]  # 4500 bytes, 4 × 1000 of room
    with pytest.raises(ConfigError) as err:
        build(name, capacity_bytes=1000).map(data, device, coarse_ber=0.01)
    one_line(err, "mapping.capacity_bytes")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("partitions", 3),  # 16 banks do not split in 3
        ("capacity_bytes", 2**40),  # more than one bank partition holds
    ],
)
def test_device_dependent_settings_name_the_field(field: str, value: Any, device: DramDevice) -> None:
    with pytest.raises(ConfigError) as err:
        build("fine", **{field: value}).map(DATA, device, coarse_ber=0.01)
    one_line(err, f"mapping.{field}")


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("fine", "knob", "voltage"),
        ("fine", "granularity", "row"),
        ("fine", "partitions", 0),
        ("fine", "capacity_bytes", -5),
        ("fine", "vdd_step", -0.1),
        ("coarse", "ber", "median"),
        ("optimal", "max_nodes", 0),
        ("fine", "bogus", 1),
    ],
)
def test_bad_config_values_name_the_field(name: str, field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as err:
        build(name, **{field: value})
    one_line(err, f"mapping.{field}")


def test_a_missing_config_field_is_named() -> None:
    params = mapping_yaml("fine")
    del params["knob"]
    with pytest.raises(ConfigError) as err:
        MAPPINGS.build(params, seed=0)
    one_line(err, "mapping.knob")


def test_sizes_follow_the_storage_format_and_stale_tolerances_fail() -> None:
    types = [DataType("fc", "weights", (3, 7), 21), DataType("fc", "ifm", (7,), 7)]
    sizes = {f: [d.bytes for d in data_items(types, f, {"fc.weights": 0.01})] for f in ("int4", "int8", "fp32")}
    assert sizes == {"int4": [11, 4], "int8": [21, 7], "fp32": [84, 28]}  # int4: two per byte, rounded up
    assert data_items(types, "int8", {})[1].tolerance == 0.0  # no measured tolerance: nominal
    with pytest.raises(ConfigError) as err:
        data_items(types, "int8", {"conv9.weights": 0.01})
    one_line(err, "characterize.tolerances")


# ----------------------------------------------------------------------------------------- mapping files
@pytest.fixture
def saved(device: DramDevice, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    table = build("fine").map(DATA, device, coarse_ber=0.01)
    return table, save_json(table, tmp_path / "mapping.json")


def corrupt(path: Path, edit: Any) -> Path:
    table = json.loads(path.read_text())
    edit(table)
    path.write_text(json.dumps(table))
    return path


def _entry(table: dict[str, Any], key: str) -> dict[str, Any]:
    return next(e for e in table["entries"] if e["data_type"] == key)


def _over_capacity(t: dict[str, Any]) -> None:
    part = _entry(t, "fc.weights")["partition"]
    next(p for p in t["partitions"] if p["name"] == part)["capacity_bytes"] = 100


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: _entry(t, "fc.weights").update(data_type="fc2.weights"), "mapping_file.entries[2].data_type"),
        (lambda t: _entry(t, "conv1.ifm").pop("ber"), "mapping_file.entries[1].ber"),
        (lambda t: t.pop("partitions"), "mapping_file.partitions"),
        (_over_capacity, "mapping_file.partitions"),
        (lambda t: _entry(t, "conv1.weights").update(partition="p9"), "mapping_file.entries[0].partition"),
        (lambda t: _entry(t, "conv1.weights").update(vdd=0.9), "mapping_file.entries[0].vdd"),
        (lambda t: t["entries"].pop(), "mapping_file.entries"),
    ],
    ids=[
        "unknown-data-type",
        "missing-field",
        "missing-partitions",
        "over-capacity",
        "unknown-partition",
        "point-mismatch",
        "missing-entry",
    ],
)
def test_bad_mapping_files_fail_naming_the_field(saved: tuple[dict[str, Any], Path], edit: Any, field: str) -> None:
    _, path = saved
    with pytest.raises(ConfigError) as err:
        load_json(corrupt(path, edit), tolerances=TOL)
    assert str(err.value).startswith(field) and "\n" not in str(err.value)


def test_a_ber_above_the_tolerance_is_rejected(saved: tuple[dict[str, Any], Path]) -> None:
    _, path = saved
    tighter = {**TOL, "fc.weights": 1e-4}  # the file's BER for fc.weights is far above this
    with pytest.raises(ConfigError) as err:
        load_json(path, tolerances=tighter)
    assert "mapping_file.entries[2].ber" in str(err.value) and "0.0001" in str(err.value)
    # without external tolerances the file's own tolerance fields are checked
    path = corrupt(path, lambda t: _entry(t, "fc.weights").update(tolerance=1e-4))
    with pytest.raises(ConfigError, match=r"entries\[2\]\.ber"):
        load_json(path)


def test_an_unreadable_mapping_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match=r"^mapping_file="):
        load_json(bad)


# ------------------------------------------------------------------------------------------------ registry
def test_registry_rejects_duplicates_and_lists_choices_for_unknown_names() -> None:
    MAPPINGS.names()  # load the built-ins
    with pytest.raises(RegistryError, match="already registered"):

        @MAPPINGS.register("fine")
        class Impostor(Mapping):
            def plan(self, data, space, *, coarse_ber):  # type: ignore[no-untyped-def]
                raise NotImplementedError

    with pytest.raises(RegistryError) as err:
        MAPPINGS.get("greedy")
    assert "coarse, fine, optimal" in str(err.value)


@pytest.mark.parametrize("name", MAPPINGS.names())
@pytest.mark.parametrize("coarse_ber", ["x", -0.1, 1.5, float("nan")])
def test_a_bad_coarse_ber_is_one_line_for_every_strategy(name: str, coarse_ber: Any, device: DramDevice) -> None:
    with pytest.raises(ConfigError) as err:
        build(name).map(DATA, device, coarse_ber=coarse_ber)
    one_line(err, "characterize.coarse_ber")
