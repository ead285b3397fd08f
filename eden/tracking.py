"""MLflow tracking: one parent run per pipeline run, a child run per stage, tags for every Hydra choice.

MLflow is imported here only (never by ``import eden``). The store defaults to SQLite at the repository root
(``conf/tracking/mlflow.yaml``); a tracking server URI works unchanged. Parallel sweep workers race to create the
experiment, so creation tolerates "already exists", and a Hydra callback creates it before a multirun launches.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eden.config import repo_root


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo_root(),
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def ensure_experiment(uri: str, name: str, *, attempts: int = 8) -> str:
    """Experiment id of ``name`` in the store at ``uri``, creating it if absent (safe under races).

    Two sweep workers may both see no experiment and both create it: the loser's create fails ("already
    exists", or "database is locked" on SQLite), so it backs off briefly and reads the winner's experiment.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            exp = client.get_experiment_by_name(name)
            if exp is not None:
                if exp.lifecycle_stage == "deleted":
                    client.restore_experiment(exp.experiment_id)
                return str(exp.experiment_id)
            return str(client.create_experiment(name, artifact_location=artifact_location(uri, name)))
        except MlflowException as exc:  # lost the race, or the store was busy: read it again
            last = exc
            time.sleep(min(2.0, 0.05 * 2**attempt))
    raise RuntimeError(f"tracking.experiment={name!r}: could not create or read it at {uri}: {last}")


def artifact_location(uri: str, experiment: str) -> str | None:
    """Artifacts of a SQLite store's experiment beside the database (``<db dir>/mlartifacts/<experiment>``).

    MLflow's default for a client-side SQLite store is ``./mlruns/<id>`` under the *current* directory: runs
    started from different folders would scatter their artifacts, and two stores' experiment 1 would share a
    folder. A server URI (``http://…``) keeps the server's own ``--default-artifact-root``.
    """
    if not uri.startswith("sqlite:///"):
        return None
    db = Path(uri.removeprefix("sqlite:///"))
    if not db.is_absolute():  # sqlite:///rel.db is relative, sqlite:////abs.db absolute (SQLAlchemy's rule)
        db = Path.cwd() / db
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in experiment)
    return (db.parent / "mlartifacts" / safe).as_uri()


def hydra_job_info() -> dict[str, Any]:
    """The running Hydra job's number, sweep parameters and task overrides (empty outside Hydra)."""
    try:
        from hydra.core.hydra_config import HydraConfig
    except ImportError:  # pragma: no cover - hydra is a hard dependency
        return {}
    if not HydraConfig.initialized():
        return {}
    from omegaconf import OmegaConf

    hc: Any = HydraConfig.get()
    params = OmegaConf.select(hc, "sweeper.params", default=None) or {}
    num = OmegaConf.select(hc, "job.num", default=None)
    multirun = str(OmegaConf.select(hc, "mode", default="")).endswith("MULTIRUN")
    return {
        "num": int(num) if multirun and num is not None else None,
        "overrides": [str(o) for o in hc.overrides.task],
        "swept": {str(k) for k in params},
    }


#: Overrides that say where things are stored, not what was run: never tags.
_NOT_TAGS = ("paths.", "tracking.", "hydra.")


def override_tags(overrides: list[str], known: Mapping[str, str]) -> dict[str, str]:
    """Value overrides (``model.name=vgg16``, ``trainer.max_epochs=1``) as tags, beside the group choices.

    Group choices are tagged already; storage locations are skipped (they differ per machine, not per result).
    """
    tags: dict[str, str] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        key = key.lstrip("+~")
        if not sep or key in known or key.startswith(_NOT_TAGS) or "/" in key:
            continue
        tags[key] = value[:5000]
    return tags


def run_tags_and_name(
    tags: Mapping[str, str], run_name: str | None, info: Mapping[str, Any]
) -> tuple[dict[str, str], str | None]:
    """Tags and a readable run name for a run started inside a Hydra job (``platforms#3 error_model=…``)."""
    out = {**override_tags(list(info.get("overrides", [])), tags), **tags}
    num = info.get("num")
    if num is not None:
        out.setdefault("hydra.job_num", str(num))
    if info.get("overrides"):
        out.setdefault("hydra.overrides", " ".join(info["overrides"])[:5000])
    if run_name is None and num is not None:
        swept = info.get("swept", set())
        picked = [o for o in info.get("overrides", []) if o.partition("=")[0].lstrip("+~") in swept]
        run_name = " ".join([f"{tags.get('sweep', 'job')}#{num}", *picked])[:250]
    return out, run_name


class Tracker:
    """Logs to one parent run and optional child runs; a disabled tracker accepts every call and does nothing."""

    def __init__(self, *, enabled: bool, uri: str, experiment: str) -> None:
        self.enabled = enabled
        self.uri = uri
        self.experiment = experiment
        self.parent_id: str | None = None
        self._client: Any = None
        self.experiment_id: str | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.uri)
        return self._client

    def start(self, *, run_name: str | None, tags: Mapping[str, str]) -> str | None:
        if not self.enabled:
            return None
        self.experiment_id = ensure_experiment(self.uri, self.experiment)
        all_tags, run_name = run_tags_and_name(tags, run_name, hydra_job_info())
        run = self.client.create_run(self.experiment_id, run_name=run_name, tags=all_tags)
        self.parent_id = run.info.run_id
        return self.parent_id

    def finish(self, status: str = "FINISHED", reason: str | None = None) -> None:
        if not self.enabled or self.parent_id is None:
            return
        if reason:
            self.client.set_tag(self.parent_id, "failure_reason", reason[:5000])
        self.client.set_terminated(self.parent_id, status=status)

    @contextmanager
    def child(self, stage: str, tags: Mapping[str, str] | None = None) -> Iterator[str | None]:
        """A child run of the parent for one stage; marked FAILED if the stage raises."""
        if not self.enabled or self.parent_id is None:
            yield None
            return
        all_tags = {"mlflow.parentRunId": self.parent_id, "stage": stage, **(tags or {})}
        run = self.client.create_run(self.experiment_id, run_name=stage, tags=all_tags)
        try:
            yield run.info.run_id
        except BaseException:
            self.client.set_terminated(run.info.run_id, status="FAILED")
            raise
        self.client.set_terminated(run.info.run_id, status="FINISHED")

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(key, float(value), now, step or 0) for key, value in metrics.items()]
        for i in range(0, len(batch), 1000):  # one write per 1000 metrics (MLflow's batch limit), not one each
            self.client.log_batch(run_id or self.parent_id, metrics=batch[i : i + 1000])

    def log_params(self, params: Mapping[str, Any], *, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        for key, value in params.items():
            self.client.log_param(run_id or self.parent_id, key, str(value)[:6000])

    def set_tags(self, tags: Mapping[str, str], *, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        for key, value in tags.items():
            self.client.set_tag(run_id or self.parent_id, key, value)

    def log_artifact(self, path: str | Path, *, artifact_path: str | None = None, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        self.client.log_artifact(run_id or self.parent_id, str(path), artifact_path=artifact_path)

    def log_text(self, text: str, name: str, *, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text(text)
            self.log_artifact(path, run_id=run_id)

    def log_json(self, obj: Any, name: str, *, run_id: str | None = None) -> None:
        self.log_text(json.dumps(obj, indent=2, sort_keys=True, default=str), name, run_id=run_id)


def choice_tags(choices: Mapping[str, Any]) -> dict[str, str]:
    """Every Hydra group choice as a tag (``error_model=bitline`` → tag ``error_model: bitline``)."""
    return {k: str(v) for k, v in choices.items() if not k.startswith("hydra/") and v is not None}


try:  # Hydra callback: create the experiment once before a multirun's workers start (they would race)
    from hydra.experimental.callback import Callback as _HydraCallback
except ImportError:  # pragma: no cover - hydra is a hard dependency; keep the module importable regardless
    _HydraCallback = object  # type: ignore[assignment,misc]


class EnsureExperimentCallback(_HydraCallback):
    """Create the MLflow experiment (and the store's schema) in the launching process, once, before any job.

    Without it, N workers starting on a fresh store race to create the SQLite tables and the experiment.
    Listed under ``hydra.callbacks`` in every sweep file.
    """

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        if config.tracking.enabled:
            ensure_experiment(str(config.tracking.uri), str(config.tracking.experiment))
