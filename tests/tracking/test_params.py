"""What makes runs comparable in the MLflow UI: params from the config, an ML experiment, names, datasets, log10."""

from __future__ import annotations

import math
from collections.abc import Callable

from mlflow.tracking import MlflowClient
from omegaconf import DictConfig

from eden.pipeline import with_log10
from eden.tracking import (
    EXPERIMENT_KIND_TAG,
    ML_EXPERIMENT,
    SYS,
    Tracker,
    config_params,
    ensure_experiment,
    is_dataset_race,
    is_transient,
    readable_name,
    run_tags_and_name,
)

CHOICES = {"error_model": "bitline", "platform": "gpu", "data": "digits", "hydra/launcher": "basic", "experiment": None}


def test_params_hold_every_choice_and_scalar_setting_but_no_bookkeeping(
    compose_cfg: Callable[[list[str] | None], DictConfig],
) -> None:
    cfg = compose_cfg(["error_model=bitline", "platform=gpu", "retrain.epochs=7", "format=fp32"])
    params = config_params(cfg, CHOICES)
    assert params["error_model"] == "bitline" and params["platform"] == "gpu"  # the choices
    assert params["retrain.epochs"] == "7" and params["format"] == "fp32"  # scalar settings, flattened
    assert params["target.max_drop"] == "0.01" and params["seed"] == "0"
    assert params["retrain.target_ber"] == "null"  # an unset setting is shown, not dropped
    assert any(k.startswith("error_model.") for k in params), params  # the error model's own fields
    # bookkeeping (storage locations, display, class paths, Hydra's own groups) is never a param
    assert not [k for k in params if k.startswith(("paths", "tracking", "hydra"))]
    assert "trainer.progress_bar" not in params and not [k for k in params if k.endswith("_target_")]
    assert "experiment" not in params  # a choice that was not made
    assert all(len(k) <= 250 and len(v) <= 6000 for k, v in params.items())


def test_a_single_run_is_named_after_its_choices_and_a_sweep_job_after_its_varied_values() -> None:
    tags = {"error_model": "uniform", "platform": "cpu", "format": "int8", "seed": "0"}
    assert readable_name(tags) == "uniform-cpu-int8-s0"
    assert readable_name({**tags, "experiment": "quick"}) == "quick-uniform-cpu-int8-s0"
    assert run_tags_and_name(tags, None, {})[1] == "uniform-cpu-int8-s0"
    job = {"num": 2, "overrides": ["error_model=wordline", "format=fp32"], "swept": {"error_model"}}
    assert run_tags_and_name({**tags, "sweep": "error_models"}, None, job)[1] == "error_models#2 error_model=wordline"
    preset = {**tags, "experiment": "fig8_error_models"}  # a preset that is a sweep names its jobs
    assert run_tags_and_name(preset, None, job)[1] == "fig8_error_models#2 error_model=wordline"
    assert readable_name({}) is None  # nothing to name it after: MLflow's own name


def test_tolerable_bers_get_log10_metrics_that_separate_what_rounding_merges() -> None:
    out = with_log10({"tolerable_ber_coarse": 1e-3, "tolerance.conv1.weight": 3e-3, "final_acc": 0.97, "x": 0.0})
    assert math.isclose(out["log10_tolerable_ber_coarse"], -3.0)
    assert math.isclose(out["log10_tolerance.conv1.weight"], math.log10(3e-3))
    assert "log10_final_acc" not in out and out["final_acc"] == 0.97  # only BERs, originals kept
    assert with_log10({"tolerable_ber_coarse": 0.0}) == {"tolerable_ber_coarse": 0.0}  # no log of zero


def test_the_experiment_is_an_ml_experiment_also_when_it_existed_before(store: str) -> None:
    client = MlflowClient(tracking_uri=store)
    exp = client.get_experiment(ensure_experiment(store, "eden"))
    assert exp.tags[EXPERIMENT_KIND_TAG] == ML_EXPERIMENT == "custom_model_development"
    old = client.create_experiment("old")  # created by an earlier version: no kind
    client.set_experiment_tag(old, EXPERIMENT_KIND_TAG, "genai_development_inferred")  # the UI's guess
    ensure_experiment(store, "old")
    assert client.get_experiment(old).tags[EXPERIMENT_KIND_TAG] == ML_EXPERIMENT
    chosen = client.create_experiment("chosen", tags={EXPERIMENT_KIND_TAG: "genai_development"})
    ensure_experiment(store, "chosen")  # a kind someone chose is theirs
    assert client.get_experiment(chosen).tags[EXPERIMENT_KIND_TAG] == "genai_development"


def test_params_dataset_and_bookkeeping_tags_reach_the_parent_run(store: str) -> None:
    tracker = Tracker(enabled=True, uri=store, experiment="eden")
    tags = {"error_model": "uniform", "platform": "cpu", "format": "int8", "seed": "1", f"{SYS}config_key": "k"}
    run_id = tracker.start(run_name=None, tags=tags)
    params = {f"p{i:03d}": i for i in range(150)}  # more than one batch of 100
    tracker.log_params(params)
    tracker.log_dataset("digits", digest="abc123", source={"split_seed": 0}, profile={"train_rows": 1348})
    tracker.finish()
    run = MlflowClient(tracking_uri=store).get_run(str(run_id))
    assert run.info.run_name == "uniform-cpu-int8-s1"
    assert run.data.params == {k: str(v) for k, v in params.items()}
    (entry,) = run.inputs.dataset_inputs
    assert entry.dataset.name == "digits" and entry.dataset.digest == "abc123"
    assert '"train_rows": 1348' in entry.dataset.profile
    assert [t.value for t in entry.tags if t.key == "mlflow.data.context"] == ["training"]
    bookkeeping = [k for k in run.data.tags if k.startswith("eden.")]
    assert bookkeeping and all(k.startswith(SYS) for k in bookkeeping), bookkeeping  # one prefix, out of the way


RACE = (
    "(sqlite3.IntegrityError) UNIQUE constraint failed: datasets.experiment_id, datasets.name, datasets.digest\n"
    "[SQL: INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, ...)]"
)


def test_a_dataset_insert_lost_to_a_parallel_worker_is_retried_and_logged_once(store: str) -> None:
    """Two sweep jobs log one dataset at once: MLflow checks, then inserts, so the loser hits the unique key."""
    from mlflow.exceptions import MlflowException

    tracker = Tracker(enabled=True, uri=store, experiment="eden", backoff_s=0.01)
    run_id = tracker.start(run_name=None, tags={})
    real = tracker.client.log_inputs
    calls = []

    def lose_the_race_once(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise MlflowException(RACE)
        real(*args, **kwargs)

    tracker.client.log_inputs = lose_the_race_once
    tracker.log_dataset("digits", digest="abc123", source={}, profile={})
    tracker.finish()
    assert len(calls) == 2 and tracker.retried == 1
    (entry,) = MlflowClient(tracking_uri=store).get_run(str(run_id)).inputs.dataset_inputs
    assert entry.dataset.name == "digits"


def test_other_integrity_errors_are_not_retried() -> None:
    assert is_dataset_race(Exception(RACE))
    assert not is_dataset_race(Exception("UNIQUE constraint failed: experiments.name"))
    assert not is_transient(Exception(RACE)), "only log_inputs treats the dataset race as passing"
