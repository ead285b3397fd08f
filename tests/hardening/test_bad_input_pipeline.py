"""Through ``eden.pipeline.run``: bad input fails before compute, marks its MLflow run FAILED with the reason, and
leaves earlier results (stage cache folders) and earlier MLflow runs as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hardening_helpers import ComposeFn, earlier_run, mlflow_runs, snapshot
from hardening_helpers import baseline_folder as _baseline_folder
from members_helpers import run_members

from eden.cache import StageCache, config_key
from eden.config import validate
from eden.context import RunContext
from eden.errors import ConfigError, DataError
from eden.pipeline import run, stage_key
from eden.stages import baseline
from eden.tracking import Tracker


@pytest.fixture
def earlier(tmp_path: Path, store: str) -> tuple[str, Path, dict[str, bytes]]:
    """An earlier finished MLflow run and an earlier finished stage folder in the same stores."""
    run_id = earlier_run(store)
    folder = tmp_path / "cache" / "baseline" / "0123456789abcdef"
    folder.mkdir(parents=True)
    (folder / "done.json").write_text(json.dumps({"acc_fp32": 0.9}))
    (folder / "model.pt").write_bytes(b"an earlier result")
    return run_id, tmp_path / "cache", snapshot(tmp_path / "cache")


def _intact(store: str, earlier: tuple[str, Path, dict[str, bytes]], new_folders: set[str] = frozenset()) -> None:
    run_id, cache, files = earlier
    runs = {r.info.run_id: r for r in mlflow_runs(store)}
    assert runs[run_id].info.status == "FINISHED" and runs[run_id].data.metrics == {"final_acc": 0.97}
    now = snapshot(cache)
    assert {k: v for k, v in now.items() if k.split("/")[1] not in new_folders} == files


def test_bad_value_fails_before_any_run_or_cache_write(
    compose_cfg: ComposeFn, tiny_overrides: list[str], store: str, earlier: tuple[str, Path, dict[str, bytes]]
) -> None:
    cfg = compose_cfg([*tiny_overrides, "error_model.ber=1.5"])
    with pytest.raises(ConfigError, match=r"^error_model\.ber=1\.5 is invalid; allowed: "):
        run(cfg, choices={})
    assert [r.info.run_id for r in mlflow_runs(store)] == [earlier[0]]  # no new run at all
    _intact(store, earlier)


def test_corrupt_cached_checkpoint_fails_the_run_with_its_reason(
    compose_cfg: ComposeFn, tiny_overrides: list[str], store: str, earlier: tuple[str, Path, dict[str, bytes]]
) -> None:
    cfg = compose_cfg([*tiny_overrides, "stage=baseline"])
    folder = _baseline_folder(cfg)
    folder.mkdir(parents=True)
    result = {"acc_fp32": 0.9, "ranges": {}, "data_types": []}
    (folder / "done.json").write_text(json.dumps(result))
    (folder / "model.pt").write_bytes(b"PK\x03\x04 truncated")
    before = snapshot(folder)
    with pytest.raises(DataError) as err:
        run(cfg, choices={})
    message = str(err.value)
    assert message.startswith("checkpoint model.pt does not fit model=eden.models.lenet.LeNet5: unreadable (")
    failed = [r for r in mlflow_runs(store) if r.info.run_id != earlier[0]]
    assert [r.info.status for r in failed] == ["FAILED"]
    assert failed[0].data.tags["failure_reason"] == f"DataError: {message}"
    assert snapshot(folder) == before  # the bad checkpoint is left for the user to inspect
    _intact(store, earlier, new_folders={folder.name})


def test_empty_data_set_fails_before_training(
    compose_cfg: ComposeFn, tiny_overrides: list[str], store: str, earlier: tuple[str, Path, dict[str, bytes]]
) -> None:
    cfg = compose_cfg([*tiny_overrides, "stage=baseline", "data._target_=hardening_helpers.EmptyData",
                       "~data.eval_fraction", "~data.split_seed"])  # fmt: skip
    validate(cfg)  # the constructor is fine: the files are empty
    with pytest.raises(DataError) as err:
        run(cfg, choices={})
    assert str(err.value) == (
        "data: the training split of EmptyData has no samples; allowed: a data set with at least one sample in "
        "each split (check data.root and the data set's files)"
    )
    # The pre-flight (the network's data types need one example input) finds it before any MLflow run or stage.
    assert [r for r in mlflow_runs(store) if r.info.run_id != earlier[0]] == []
    assert not _baseline_folder(cfg).exists()  # no stage started, nothing trained or cached
    _intact(store, earlier, new_folders=set())


def test_config_key_of_the_baseline_folder_matches_the_pipeline(
    compose_cfg: ComposeFn, tiny_overrides: list[str]
) -> None:
    """The two tests above plant files where the pipeline looks: guard that assumption."""
    cfg = compose_cfg([*tiny_overrides, "stage=baseline"])
    ctx = RunContext(cfg=cfg, members=run_members(), tracker=Tracker(enabled=False, uri="", experiment="x"),
                     cache=StageCache(cfg.paths.cache))  # fmt: skip
    determining = stage_key(ctx, baseline, upstream="")  # what run_stages hashes (config, code, environment)
    assert determining["stage"] == baseline.determining(ctx) and set(determining["code"]) == {"eden", "members"}
    assert _baseline_folder(cfg).name == config_key(determining)
