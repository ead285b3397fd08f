"""The MLflow client: one parent run per pipeline run, a child run per stage, retried writes to a busy store.

Concurrency: every write goes through :meth:`Tracker._call`, which retries a store that is busy (SQLite's
"database is locked" after MLflow's own 20 s busy timeout, a server's 503) with exponential back-off and jitter,
so parallel sweep workers lose no run, tag or metric. A retry is safe: a failed SQLite transaction is rolled back
whole, and MLflow de-duplicates a metric batch written twice. Over HTTP, MLflow's client already retries 429/5xx
replies itself (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``); ours comes on top.

The experiment is created as an ML experiment (tag ``mlflow.experimentKind=custom_model_development``): MLflow 3's
UI picks the page it opens on from that tag, and without it may open on the GenAI traces view instead of the runs
table. Parallel sweep workers race to create the experiment, so creation tolerates "already exists".
"""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eden.tracking import orphans
from eden.tracking.orphans import KILLED, process_tags
from eden.tracking.tags import SYS, hydra_job_info, run_tags_and_name

log = logging.getLogger(__name__)

#: Substrings of a store error that say "busy, try again" (SQLite lock contention, PostgreSQL deadlock, HTTP 503).
TRANSIENT = ("database is locked", "database table is locked", "deadlock", "temporarily unavailable")
#: MLflow 3's experiment-kind tag and the value that makes the UI open on the runs table (not GenAI traces).
EXPERIMENT_KIND_TAG, ML_EXPERIMENT = "mlflow.experimentKind", "custom_model_development"
#: MLflow's batch limits: params and metrics per ``log_batch`` call.
PARAMS_PER_BATCH, METRICS_PER_BATCH = 100, 1000


def is_transient(exc: BaseException) -> bool:
    """Whether a tracking-store error means "busy, retry" rather than a real failure."""
    code = str(getattr(exc, "error_code", ""))
    text = str(exc).lower()
    return code == "TEMPORARILY_UNAVAILABLE" or any(t in text for t in TRANSIENT)


#: Substrings of the error a store raises when two workers insert the same dataset at once (SQLite, PostgreSQL,
#: MySQL): MLflow checks for the dataset and then inserts it, so the loser of the race hits the unique key.
DATASET_RACE = (
    "unique constraint failed: datasets",
    "duplicate key value violates unique constraint",
    "duplicate entry",
)


def is_dataset_race(exc: BaseException) -> bool:
    """Whether ``log_inputs`` lost a race to insert a dataset another worker inserted first (retry finds it)."""
    text = str(exc).lower()
    return any(t in text for t in DATASET_RACE) and "dataset" in text


def is_interruption(exc: BaseException) -> bool:
    """SIGTERM (raised as ``SystemExit`` by the pipeline), Ctrl-C, or an exit requested during a stage."""
    return isinstance(exc, (KeyboardInterrupt, SystemExit))


def _mark_ml_experiment(client: Any, exp: Any) -> None:
    """Tag an experiment as ML (runs table) unless someone chose its kind; MLflow's own guesses are replaced."""
    kind = (exp.tags or {}).get(EXPERIMENT_KIND_TAG, "")
    if not kind or kind.endswith("_inferred") or kind == "no_inferred_type":
        client.set_experiment_tag(exp.experiment_id, EXPERIMENT_KIND_TAG, ML_EXPERIMENT)


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
                _mark_ml_experiment(client, exp)
                return str(exp.experiment_id)
            return str(
                client.create_experiment(
                    name,
                    artifact_location=artifact_location(uri, name),
                    tags={EXPERIMENT_KIND_TAG: ML_EXPERIMENT},
                )
            )
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


class Tracker:
    """Logs to one parent run and optional child runs; a disabled tracker accepts every call and does nothing.

    ``retries`` bounds how often one busy-store write is retried (back-off ``backoff_s`` · 2^attempt, at most 5 s,
    with jitter so parallel workers do not retry in lock step).
    """

    def __init__(self, *, enabled: bool, uri: str, experiment: str, retries: int = 8, backoff_s: float = 0.1) -> None:
        self.enabled = enabled
        self.uri = uri
        self.experiment = experiment
        self.parent_id: str | None = None
        self.run_name: str | None = None
        self._client: Any = None
        self.experiment_id: str | None = None
        self.retries = retries
        self.backoff_s = backoff_s
        self.retried = 0  # busy-store retries so far (the concurrency tests report it)
        self.closed_orphans: list[str] = []
        self._jitter = random.Random(os.getpid())  # desynchronizes workers; not a source of results

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.uri)
        return self._client

    def _call(
        self, method: str, *args: Any, retry_if: Callable[[BaseException], bool] = is_transient, **kwargs: Any
    ) -> Any:
        """``self.client.<method>(...)``, retried while ``retry_if`` says the error is passing (by default: the
        store is busy); other errors propagate at once."""
        fn: Callable[..., Any] = getattr(self.client, method)
        for attempt in range(self.retries + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt >= self.retries or not retry_if(exc):
                    raise
                self.retried += 1
                delay = min(5.0, self.backoff_s * 2**attempt) * (0.5 + self._jitter.random())
                log.warning("tracking store busy (%s): retry %d in %.2f s", method, attempt + 1, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def start(self, *, run_name: str | None, tags: Mapping[str, str]) -> str | None:
        """Open the parent run: close orphaned runs first, link an interrupted run of the same config key."""
        if not self.enabled:
            return None
        self.experiment_id = ensure_experiment(self.uri, self.experiment)
        self.closed_orphans = self.close_orphans()
        all_tags, run_name = run_tags_and_name(tags, run_name, hydra_job_info())
        resumed = orphans.interrupted_run(self._call, self.experiment_id, all_tags.get(f"{SYS}config_key"))
        if resumed is not None:
            all_tags[f"{SYS}resumes"] = resumed
        all_tags.update(process_tags())
        run = self._call("create_run", self.experiment_id, run_name=run_name, tags=all_tags)
        self.parent_id = run.info.run_id
        self.run_name = run.info.run_name
        return self.parent_id

    def close_orphans(self) -> list[str]:
        """Mark KILLED every RUNNING run of this experiment whose process (here) is gone (see ``orphans``)."""
        if not self.enabled or self.experiment_id is None:
            return []
        return orphans.close_orphans(self._call, self.experiment_id)

    def interrupted_run(self, config_key: str | None) -> str | None:
        """The latest parent run of the same configuration, if it ended KILLED or FAILED (this run resumes it)."""
        if self.experiment_id is None:
            return None
        return orphans.interrupted_run(self._call, self.experiment_id, config_key)

    def finish(self, status: str = "FINISHED", reason: str | None = None) -> None:
        if not self.enabled or self.parent_id is None:
            return
        if reason:
            self._call("set_tag", self.parent_id, "failure_reason", reason[:5000])
        self._call("set_terminated", self.parent_id, status=status)

    @contextmanager
    def child(self, stage: str, tags: Mapping[str, str] | None = None) -> Iterator[str | None]:
        """A child run of the parent for one stage: FAILED if the stage raises, KILLED if it is interrupted."""
        if not self.enabled or self.parent_id is None:
            yield None
            return
        all_tags = {"mlflow.parentRunId": self.parent_id, "stage": stage, **(tags or {}), **process_tags()}
        run = self._call("create_run", self.experiment_id, run_name=stage, tags=all_tags)
        run_id = run.info.run_id
        try:
            yield run_id
        except BaseException as exc:
            self._call("set_tag", run_id, "failure_reason", f"{type(exc).__name__}: {exc}".splitlines()[0][:5000])
            self._call("set_terminated", run_id, status=KILLED if is_interruption(exc) else "FAILED")
            raise
        self._call("set_terminated", run_id, status="FINISHED")

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(key, float(value), now, step or 0) for key, value in metrics.items()]
        for i in range(0, len(batch), METRICS_PER_BATCH):  # one write per batch, not one per metric
            self._call("log_batch", run_id or self.parent_id, metrics=batch[i : i + METRICS_PER_BATCH])

    def log_params(self, params: Mapping[str, Any], *, run_id: str | None = None) -> None:
        """Params in batches of 100 (MLflow's limit); values cut to MLflow's 6000 characters."""
        if not self.enabled:
            return
        from mlflow.entities import Param

        batch = [Param(str(key), str(value)[:6000]) for key, value in params.items()]
        for i in range(0, len(batch), PARAMS_PER_BATCH):
            self._call("log_batch", run_id or self.parent_id, params=batch[i : i + PARAMS_PER_BATCH])

    def log_dataset(
        self,
        name: str,
        *,
        digest: str,
        source: Mapping[str, Any],
        profile: Mapping[str, Any],
        context: str = "training",
        run_id: str | None = None,
    ) -> None:
        """The run's data set as an MLflow dataset input (the runs table's Dataset column)."""
        if not self.enabled:
            return
        from mlflow.entities import Dataset, DatasetInput, InputTag

        dataset = Dataset(
            name=name,
            digest=digest[:36],
            source_type="eden",
            source=json.dumps(dict(source), sort_keys=True, default=str),
            profile=json.dumps(dict(profile), sort_keys=True, default=str),
        )
        inputs = [DatasetInput(dataset, tags=[InputTag("mlflow.data.context", context)])]
        # Parallel sweep workers log the same dataset at once; the loser's retry finds the winner's row.
        self._call(
            "log_inputs",
            run_id or self.parent_id,
            datasets=inputs,
            retry_if=lambda exc: is_transient(exc) or is_dataset_race(exc),
        )

    def set_tags(self, tags: Mapping[str, str], *, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        for key, value in tags.items():
            self._call("set_tag", run_id or self.parent_id, key, value)

    def log_artifact(self, path: str | Path, *, artifact_path: str | None = None, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        self._call("log_artifact", run_id or self.parent_id, str(path), artifact_path=artifact_path)

    def log_text(self, text: str, name: str, *, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text(text)
            self.log_artifact(path, run_id=run_id)

    def log_json(self, obj: Any, name: str, *, run_id: str | None = None) -> None:
        self.log_text(json.dumps(obj, indent=2, sort_keys=True, default=str), name, run_id=run_id)


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
