"""Bad files and operating points: device YAMLs, device test data, checkpoints, mapping files, capacities, targets.

Each fails with one line naming the field (or file) and what is allowed, before any long compute: loaders
validate on load, ``eden.config.preflight`` checks the mapping's room from the network's sizes alone, and
``eden.config.check_target_reachable`` rejects an accuracy target that error-free reads already miss.
Catalogue: docs/bad_input.md.
"""

from __future__ import annotations

import gc
import io
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from hardening_helpers import REPO, ComposeFn, assert_one_line
from members_helpers import run_members

from eden import conf
from eden.cache import StageCache
from eden.config import check_target_reachable, preflight, validate
from eden.context import RunContext
from eden.dram.device import DramDevice, load_device
from eden.errors import ConfigError, DataError
from eden.evaluation import estimate
from eden.injection.device_data import DeviceData
from eden.mapping.table import load_json
from eden.models.lenet import LeNet5
from eden.models.resnet20 import ResNet20
from eden.stages import baseline
from eden.tracking import Tracker

DRAM = REPO / "conf" / "dram"


@pytest.fixture(scope="module")
def vendor_a() -> DramDevice:
    return load_device(DRAM / "ddr4_vendor_a.yaml")


# ------------------------------------------------------------------------------------ operating points
def test_vdd_below_the_characterized_range(vendor_a: DramDevice) -> None:
    with pytest.raises(ConfigError) as err:
        vendor_a.point(0.9, 12.5)
    assert str(err.value) == (
        "dram.vdd=0.9 is invalid; allowed: a number in [1, 1.35] V, the range ddr4_vendor_a was characterized in"
    )


def test_negative_trcd_operating_point(vendor_a: DramDevice) -> None:
    with pytest.raises(ConfigError) as err:
        vendor_a.ber(1.35, -1.0)
    assert str(err.value) == (
        "dram.trcd=-1.0 is invalid; allowed: a number in [6.5, 12.5] ns, the range ddr4_vendor_a was characterized in"
    )


def test_lowered_vdd_on_a_nominal_only_part() -> None:
    part = load_device(DRAM / "ddr4_2400.yaml")
    with pytest.raises(ConfigError) as err:
        part.ber(1.1, part.nominal.trcd)
    assert_one_line(str(err.value), "dram.vdd", "1.2 V only", "pick a characterized part")


def test_device_yaml_with_a_unit_in_a_number(tmp_path: Path) -> None:
    params = conf.load("dram", "ddr4_vendor_a")
    params["nominal"]["vdd"] = "1.35 V"
    path = tmp_path / "my_part.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ConfigError) as err:
        load_device(path)
    assert_one_line(str(err.value), "dram.nominal.vdd", "'1.35 V'", "a number")


# ------------------------------------------------------------------------------------ device test data
def _npz(path: Path, **arrays: Any) -> Path:
    np.savez(path, **arrays)
    return path


def test_truncated_device_data_file(tmp_path: Path) -> None:
    whole = _npz(tmp_path / "whole.npz", counts=np.zeros((8, 64), np.int64), reads=np.int64(4))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with warnings.catch_warnings():
        # numpy leaves the file open when the archive is bad (DeviceData.load should open it itself: reported)
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(ConfigError) as err:
            DeviceData.load(cut)
        message = str(err.value)
        del err  # its traceback holds numpy's frame and the open file
        gc.collect()
    assert message == f"device_data='{cut}' is invalid; allowed: a numpy.savez archive (BadZipFile)"


def test_device_data_with_a_pickled_object_array(tmp_path: Path) -> None:
    path = _npz(tmp_path / "obj.npz", counts=np.array([{"a": 1}], dtype=object), reads=np.int64(4))
    with pytest.raises(ConfigError) as err:
        DeviceData.load(path)
    assert str(err.value) == f"device_data='{path}' is invalid; allowed: a numpy.savez archive (ValueError)"


def test_device_data_with_no_cells(tmp_path: Path) -> None:
    path = _npz(tmp_path / "empty.npz", counts=np.zeros((0, 64), np.int64), reads=np.int64(4))
    with pytest.raises(ConfigError) as err:
        DeviceData.load(path)
    assert str(err.value) == (
        "device_data.counts='shape (0, 64)' is invalid; allowed: a non-empty 2-D array (rows x bitlines)"
    )


def test_device_data_operating_point_not_a_scalar(tmp_path: Path) -> None:
    path = _npz(tmp_path / "vdd.npz", counts=np.zeros((8, 64), np.int64), reads=np.int64(4), vdd=np.array([1.1, 1.2]))
    with pytest.raises(ConfigError) as err:
        DeviceData.load(path)
    assert str(err.value) == "device_data.vdd=[1.1, 1.2] is invalid; allowed: one number"


def test_device_data_with_several_read_counts(tmp_path: Path) -> None:
    path = _npz(tmp_path / "reads.npz", counts=np.zeros((8, 64), np.int64), reads=np.array([4, 4]))
    with pytest.raises(ConfigError) as err:
        DeviceData.load(path)
    assert str(err.value) == "device_data.reads=[4, 4] is invalid; allowed: one integer >= 1"


# ------------------------------------------------------------------------------------------ checkpoints
@pytest.fixture
def ctx(compose_cfg: ComposeFn, tiny_overrides: list[str]) -> RunContext:
    cfg = compose_cfg([*tiny_overrides, "stage=baseline"])
    tracker = Tracker(enabled=False, uri="", experiment="x")
    return RunContext(cfg=cfg, members=run_members(), tracker=tracker, cache=StageCache(cfg.paths.cache))


def _save(obj: Any, path: Path) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def _lenet_state(num_classes: int = 10) -> dict[str, torch.Tensor]:
    model = LeNet5(num_classes=num_classes, in_channels=1)
    with torch.no_grad():
        model(torch.zeros(1, 1, 16, 16))  # materialize the lazy layers
    return model.state_dict()


LENET = "eden.models.lenet.LeNet5"
FIX = "that model as the stage saved it (delete {folder} to recompute it)"


def test_truncated_checkpoint(ctx: RunContext, tmp_path: Path) -> None:
    blob = _save(_lenet_state(), tmp_path / "ck" / "model.pt")
    (tmp_path / "ck" / "model.pt").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError) as err:
        baseline.load_model(ctx, tmp_path / "ck")
    message = str(err.value)
    assert message.startswith(f"checkpoint model.pt does not fit model={LENET}: unreadable (") and "\n" not in message
    assert message.endswith(f"; allowed: a state dict of {FIX.format(folder=tmp_path / 'ck')}")
    assert (tmp_path / "ck" / "model.pt").read_bytes() == blob[: len(blob) // 2]  # left for the user to inspect


def test_checkpoint_of_another_model(ctx: RunContext, tmp_path: Path) -> None:
    _save(ResNet20(num_classes=10, in_channels=1).state_dict(), tmp_path / "ck" / "model.pt")
    with pytest.raises(DataError) as err:
        baseline.load_model(ctx, tmp_path / "ck")
    expected_missing = next(iter(_lenet_state()))
    assert str(err.value) == (
        f"checkpoint model.pt does not fit model={LENET}: 10 missing key(s) (first {expected_missing}), "
        f"{len(ResNet20(num_classes=10, in_channels=1).state_dict())} unexpected key(s) (first conv1.weight); "
        f"allowed: a state dict of {FIX.format(folder=tmp_path / 'ck')}"
    )


def test_checkpoint_for_another_class_count(ctx: RunContext, tmp_path: Path) -> None:
    _save(_lenet_state(num_classes=5), tmp_path / "ck" / "model.pt")
    with pytest.raises(DataError) as err:
        baseline.load_model(ctx, tmp_path / "ck")
    last = [k for k in _lenet_state() if k.endswith("weight")][-1]
    assert str(err.value) == (
        f"checkpoint model.pt does not fit model={LENET}: {last} has shape (5, 84), the model (10, 84); "
        f"allowed: a state dict of {FIX.format(folder=tmp_path / 'ck')}"
    )


def test_checkpoint_that_is_not_a_state_dict(ctx: RunContext, tmp_path: Path) -> None:
    _save([torch.zeros(3)], tmp_path / "ck" / "model.pt")
    with pytest.raises(DataError, match=r"^checkpoint model.pt does not fit .*: it holds a list, not a state dict"):
        baseline.load_model(ctx, tmp_path / "ck")


def test_missing_checkpoint(ctx: RunContext, tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        baseline.load_model(ctx, tmp_path)
    assert str(err.value) == (
        f"checkpoint {tmp_path / 'model.pt'} is missing; allowed: the stage's saved state dict "
        f"(delete {tmp_path} to recompute it)"
    )


# ---------------------------------------------------------------------------------------- mapping files
def _table() -> dict[str, Any]:
    part = {"vdd": 1.35, "trcd": 12.5, "ber": 0.0, "capacity_bytes": 1000, "used_bytes": 100}
    return {
        "strategy": "fine",
        "entries": [
            {"data_type": "fc.weights", "partition": "p0", "vdd": 1.35, "trcd": 12.5, "ber": 0.0, "bytes": 100}
        ],
        "partitions": [{"name": "p0", **part}],
    }


def _write(tmp_path: Path, table: Any) -> Path:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(table))
    return path


def _dup_partition(t: dict[str, Any]) -> None:
    t["partitions"].append(dict(t["partitions"][0], used_bytes=0))


MAPPING_CASES = [
    (
        "entries_not_a_list",
        lambda t: t.update(entries={"fc.weights": 0}),
        "mapping_file.entries={'fc.weights': 0} is invalid; allowed: a list of entries",
    ),
    (
        "duplicate_partition",
        _dup_partition,
        "mapping_file.partitions[1].name='p0' is invalid; allowed: a unique partition name",
    ),
    (
        "partition_ber_above_one",
        lambda t: t["partitions"][0].update(ber=1.5),
        "mapping_file.partitions[0].ber=1.5 is invalid; allowed: a number in [0, 1]",
    ),
    (
        "entry_of_zero_bytes",
        lambda t: t["entries"][0].update(bytes=0),
        "mapping_file.entries[0].bytes=0 is invalid; allowed: a positive integer",
    ),
    (
        "used_bytes_disagree",
        lambda t: t["partitions"][0].update(used_bytes=7),
        "mapping_file.partitions[0].used_bytes=7 is invalid; allowed: 100, the sum of its entries",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in MAPPING_CASES], ids=[c[0] for c in MAPPING_CASES])
def test_bad_mapping_file(tmp_path: Path, edit: Any, expected: str) -> None:
    load_json(_write(tmp_path, _table()))  # the unedited table is valid
    table = _table()
    edit(table)
    with pytest.raises(ConfigError) as err:
        load_json(_write(tmp_path, table))
    assert str(err.value) == expected


def test_mapping_file_that_is_a_list_or_absent(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_json(_write(tmp_path, [_table()]))
    assert_one_line(str(err.value), "mapping_file", "an object with fields strategy, entries, partitions")
    with pytest.raises(ConfigError) as err:
        load_json(tmp_path / "absent.json")
    assert_one_line(str(err.value), "mapping_file", "a readable mapping JSON file", "No such file")


def test_binary_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a", "b")
    with pytest.raises(ConfigError) as err:
        load_json(path)
    assert_one_line(str(err.value), "mapping_file", "a readable mapping JSON file")


# ------------------------------------------------------------------------- capacities (preflight)
def _preflight(compose_cfg: ComposeFn, tiny_overrides: list[str], *overrides: str) -> tuple[Any, Any]:
    cfg = compose_cfg([*tiny_overrides, *overrides])
    members = validate(cfg)
    ctx = RunContext(cfg=cfg, members=members, tracker=Tracker(enabled=False, uri="", experiment="x"),
                     cache=StageCache(cfg.paths.cache))  # fmt: skip
    return ctx, lambda: preflight(cfg, members, ctx.data_types)


def test_partition_capacity_too_small_for_a_data_type(compose_cfg: ComposeFn, tiny_overrides: list[str]) -> None:
    ctx, check = _preflight(compose_cfg, tiny_overrides, "mapping.capacity_bytes=100")
    biggest = max(ctx.data_types, key=lambda d: d.numel)
    with pytest.raises(ConfigError) as err:
        check()
    assert str(err.value).startswith("mapping.capacity_bytes=100 is invalid; allowed: a setting with room for ")
    assert f"({biggest.numel} bytes" in str(err.value) or "bytes of data" in str(err.value)
    assert "\n" not in str(err.value)


def test_partitions_together_too_small(compose_cfg: ComposeFn, tiny_overrides: list[str]) -> None:
    ctx, _ = _preflight(compose_cfg, tiny_overrides)
    sizes = [d.numel for d in ctx.data_types]  # int8: one byte per value
    capacity = max(sizes)  # every data type fits one partition, but not all of them fit the 2 partitions
    assert sum(sizes) > 2 * capacity
    _, check = _preflight(compose_cfg, tiny_overrides, "mapping.partitions=2", f"mapping.capacity_bytes={capacity}")
    with pytest.raises(ConfigError) as err:
        check()
    assert str(err.value) == (
        f"mapping.capacity_bytes={capacity} is invalid; allowed: a setting with room for the {sum(sizes)} bytes of "
        f"data in format int8 (now {2 * capacity} bytes in 2 partitions)"
    )


def test_partition_count_not_dividing_the_device(compose_cfg: ComposeFn, tiny_overrides: list[str]) -> None:
    _, check = _preflight(compose_cfg, tiny_overrides, "mapping.partitions=3")
    with pytest.raises(ConfigError) as err:
        check()
    assert str(err.value) == "mapping.partitions=3 is invalid; allowed: a divisor of the 16 banks: [1, 2, 4, 8, 16]"


def test_shipped_mapping_fits(compose_cfg: ComposeFn, tiny_overrides: list[str]) -> None:
    _, check = _preflight(compose_cfg, tiny_overrides)
    check()


# ------------------------------------------------------------------------------- impossible targets
def test_target_below_the_sample_resolution_is_impossible() -> None:
    """Tiny digits runs: 90 sampled images × 3 seeds at 73% clean accuracy cannot resolve a 1% drop."""
    with pytest.raises(ConfigError) as err:
        check_target_reachable(0.01, 0.73, 90, 3, 0.95)
    assert str(err.value) == (
        "target.max_drop=0.01 is invalid; allowed: a number >= 0.05296, the 0.95 confidence half-width of the "
        "reference accuracy 0.7300 on 90 images x 3 seeds (below it even error-free reads fail); or raise "
        "characterize.sample_fraction or characterize.seeds (experiment=quick does both for digits)"
    )


@pytest.mark.parametrize(("acc", "n", "seeds"), [(0.98, 2000, 3), (0.73, 90, 3), (0.5, 10, 1), (0.999, 10000, 5)])
def test_reachability_boundary_is_the_pass_rule_at_zero_errors(acc: float, n: int, seeds: int) -> None:
    """Just above the half-width the error-free estimate passes the rule; just below it fails and is rejected."""
    est = estimate([acc] * seeds, n, 0.95)
    half = acc - est.low
    check_target_reachable(half * 1.001, acc, n, seeds, 0.95)
    assert est.low >= acc - half * 1.001  # the pass rule of eden.stages.characterize agrees
    with pytest.raises(ConfigError, match=r"^target\.max_drop="):
        check_target_reachable(half * 0.999, acc, n, seeds, 0.95)
    assert est.low < acc - half * 0.999
