"""MLflow tracking: one parent run per pipeline run, a child run per stage, tags for every Hydra choice.

MLflow is imported here only (never by ``import eden``). The store defaults to SQLite at the repository root
(``conf/tracking/mlflow.yaml``); a tracking server URI works unchanged. Parallel sweep workers race to create the
experiment, so creation tolerates "already exists", and a Hydra callback creates it before a multirun launches.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
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


def ensure_experiment(uri: str, name: str) -> str:
    """Experiment id of ``name`` in the store at ``uri``, creating it if absent (safe under races)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    for _ in range(5):
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            if exp.lifecycle_stage == "deleted":
                client.restore_experiment(exp.experiment_id)
            return str(exp.experiment_id)
        try:
            return str(client.create_experiment(name))
        except MlflowException:
            continue  # another worker created it between our get and create: read it again
    raise RuntimeError(f"tracking.experiment={name!r}: could not create or read it at {uri}")


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
        run = self.client.create_run(self.experiment_id, run_name=run_name, tags=dict(tags))
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

    def log_metrics(
        self, metrics: Mapping[str, float], *, step: int | None = None, run_id: str | None = None
    ) -> None:
        if not self.enabled:
            return
        target = run_id or self.parent_id
        for key, value in metrics.items():
            self.client.log_metric(target, key, float(value), step=step or 0)

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

    def log_artifact(
        self, path: str | Path, *, artifact_path: str | None = None, run_id: str | None = None
    ) -> None:
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
    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        if config.tracking.enabled:
            ensure_experiment(config.tracking.uri, config.tracking.experiment)
