"""MLflow tracking: one experiment however many workers start at once; tags say what each run was."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf

from eden.tracking import (
    EnsureExperimentCallback,
    Tracker,
    artifact_location,
    ensure_experiment,
    override_tags,
    run_tags_and_name,
)


def fresh(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"


def test_concurrent_workers_get_one_experiment(store: str) -> None:
    uri = store  # the schema exists, as after EnsureExperimentCallback
    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(lambda _: ensure_experiment(uri, "race"), range(6)))
    assert len(set(ids)) == 1
    names = [e.name for e in MlflowClient(tracking_uri=uri).search_experiments()]
    assert names.count("race") == 1


def test_deleted_experiment_is_restored_not_duplicated(store: str) -> None:
    uri = store
    first = ensure_experiment(uri, "eden")
    MlflowClient(tracking_uri=uri).delete_experiment(first)
    assert ensure_experiment(uri, "eden") == first
    assert MlflowClient(tracking_uri=uri).get_experiment(first).lifecycle_stage == "active"


def test_callback_creates_the_experiment_before_jobs_and_not_when_tracking_is_off(store: str, tmp_path: Path) -> None:
    on = OmegaConf.create({"tracking": {"enabled": True, "uri": store, "experiment": "sweep_exp"}})
    EnsureExperimentCallback().on_multirun_start(on)
    assert MlflowClient(tracking_uri=store).get_experiment_by_name("sweep_exp") is not None
    off_dir = tmp_path / "off"
    off_dir.mkdir()
    off = OmegaConf.create({"tracking": {"enabled": False, "uri": fresh(off_dir), "experiment": "x"}})
    EnsureExperimentCallback().on_multirun_start(off)
    assert not (off_dir / "mlflow.db").exists()


def test_overrides_become_tags_except_storage_locations() -> None:
    tags = override_tags(
        ["model.name=vgg16", "+trainer.max_epochs=1", "paths.cache=/x", "tracking.uri=sqlite:///y", "platform=gpu"],
        known={"platform": "gpu"},
    )
    assert tags == {"model.name": "vgg16", "trainer.max_epochs": "1"}


def test_sweep_job_gets_a_readable_name_and_its_job_number() -> None:
    info = {
        "num": 3,
        "overrides": ["error_model=bitline", "platform=gpu", "+sweep=platforms", "data=digits"],
        "swept": {"error_model", "platform"},
    }
    tags, name = run_tags_and_name({"sweep": "platforms", "platform": "gpu"}, None, info)
    assert name == "platforms#3 error_model=bitline platform=gpu"
    assert tags["hydra.job_num"] == "3" and tags["platform"] == "gpu" and tags["sweep"] == "platforms"
    assert "data=digits" in tags["hydra.overrides"]
    # An explicit run name wins; a single run (no job number) keeps MLflow's own name.
    assert run_tags_and_name({}, "mine", info)[1] == "mine"
    assert run_tags_and_name({}, None, {"num": None, "overrides": []})[1] is None


def test_tracker_logs_metrics_by_step_and_children_under_the_parent(store: str) -> None:
    tracker = Tracker(enabled=True, uri=store, experiment="eden")
    parent = tracker.start(run_name="p", tags={"error_model": "uniform"})
    for step, (ber, acc) in enumerate([(1e-4, 0.98), (1e-3, 0.9), (1e-2, 0.3)]):
        tracker.log_metrics({"curve.x.ber": ber, "curve.x.acc": acc}, step=step)
    with tracker.child("boost") as child:
        tracker.log_metrics({"boosted_acc": 0.97}, run_id=child)
    tracker.finish()
    client = MlflowClient(tracking_uri=store)
    history = client.get_metric_history(parent, "curve.x.acc")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [(0, 0.98), (1, 0.9), (2, 0.3)]
    run = client.get_run(parent)
    assert run.info.status == "FINISHED" and run.data.tags["error_model"] == "uniform"
    assert client.get_run(child).data.tags["mlflow.parentRunId"] == parent


def test_disabled_tracker_touches_no_store(tmp_path: Path) -> None:
    tracker = Tracker(enabled=False, uri=fresh(tmp_path), experiment="eden")
    assert tracker.start(run_name=None, tags={}) is None
    tracker.log_metrics({"a": 1.0})
    tracker.finish()
    assert not (tmp_path / "mlflow.db").exists()


def test_artifacts_land_beside_the_sqlite_store_not_in_the_current_directory(store: str, tmp_path: Path) -> None:
    tracker = Tracker(enabled=True, uri=store, experiment="eden")
    tracker.start(run_name=None, tags={})
    tracker.log_text("hello", "note.txt")
    tracker.finish()
    assert (tmp_path / "mlartifacts" / "eden").is_dir()
    assert [p.read_text() for p in (tmp_path / "mlartifacts" / "eden").rglob("note.txt")] == ["hello"]
    assert artifact_location("http://127.0.0.1:5000", "eden") is None  # a server keeps its own artifact root
