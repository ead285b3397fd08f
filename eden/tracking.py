"""MLflow tracking: one parent run per pipeline run, a child run per stage, tags for every Hydra choice.

MLflow is imported here only (never by ``import eden``). The store defaults to SQLite at the repository root
(``conf/tracking/mlflow.yaml``); a tracking server URI works unchanged. Parallel sweep workers race to create the
experiment, so creation tolerates "already exists", and a Hydra callback creates it before a multirun launches.

Concurrency: every write goes through :meth:`Tracker._call`, which retries a store that is busy (SQLite's
"database is locked" after MLflow's own 20 s busy timeout, a server's 503) with exponential back-off and jitter,
so parallel sweep workers lose no run, tag or metric. A retry is safe: a failed SQLite transaction is rolled back
whole, and MLflow de-duplicates a metric batch written twice. Over HTTP, MLflow's client already retries 429/5xx
replies itself (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``); ours comes on top.

Interruption (SIGKILL, OOM killer, power loss): a process that dies without closing its runs leaves them RUNNING.
Every run this module creates is tagged with its process (``eden.host``, ``eden.pidns``, ``eden.pid``,
``eden.pid_start``: host name, PID namespace, PID and the kernel's start time of that PID, so a reused PID is not
mistaken for the dead process). :meth:`Tracker.start` first closes every RUNNING run of the experiment whose
process, on this host and in this PID namespace, no longer exists: status KILLED, tags
``eden.orphan_closed=true`` and ``failure_reason``. Runs of live processes (parallel sweep workers) and of other
machines are never touched (a run of another machine is closed by the next run started there). A new parent run
whose configuration (tag ``eden.config_key``) was last run by a KILLED or FAILED parent is tagged
``eden.resumes=<that run id>``: the re-run is a new run that reuses the cached stages, and the interrupted one
stays in the store as KILLED (never RUNNING), linked from it. SIGTERM and Ctrl-C are handled by the pipeline,
which closes its parent and current child run as KILLED itself (:mod:`eden.pipeline`).
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eden.config import repo_root

log = logging.getLogger(__name__)

#: Substrings of a store error that say "busy, try again" (SQLite lock contention, PostgreSQL deadlock, HTTP 503).
TRANSIENT = ("database is locked", "database table is locked", "deadlock", "temporarily unavailable")
#: Statuses a parent or child run ends in when its process was interrupted (SIGTERM, Ctrl-C, killed).
KILLED = "KILLED"


def is_transient(exc: BaseException) -> bool:
    """Whether a tracking-store error means "busy, retry" rather than a real failure."""
    code = str(getattr(exc, "error_code", ""))
    text = str(exc).lower()
    return code == "TEMPORARILY_UNAVAILABLE" or any(t in text for t in TRANSIENT)


def is_interruption(exc: BaseException) -> bool:
    """SIGTERM (raised as ``SystemExit`` by the pipeline), Ctrl-C, or an exit requested during a stage."""
    return isinstance(exc, (KeyboardInterrupt, SystemExit))


def process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot, /proc/<pid>/stat field 22); None off Linux."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces: split after it
    return fields[19]


def process_alive(pid: int, start: str | None) -> bool:
    """Whether process ``pid`` still runs and is the one that started at ``start`` (not a later reuse of the PID).

    A zombie (killed, not yet reaped by its parent) counts as dead. Where ``/proc`` is missing, ``kill(pid, 0)``
    decides, and a process we may not signal counts as alive (never close what might be running).
    """
    if pid <= 0:
        return False
    if Path("/proc/self/stat").exists():
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return False
        except OSError:
            return True
        fields = text[text.rindex(")") + 2 :].split()
        if fields[0] in ("Z", "X"):
            return False
        return start is None or fields[19] == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_namespace() -> str:
    """This process's PID namespace (``pid:[4026531836]``): PIDs of another namespace cannot be checked here."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "unknown"


def process_tags() -> dict[str, str]:
    """Tags that identify the process owning a run, for :meth:`Tracker.close_orphans`."""
    pid = os.getpid()
    return {
        "eden.host": socket.gethostname(),
        "eden.pidns": pid_namespace(),
        "eden.pid": str(pid),
        "eden.pid_start": process_start(pid) or "",
    }


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
    """Logs to one parent run and optional child runs; a disabled tracker accepts every call and does nothing.

    ``retries`` bounds how often one busy-store write is retried (back-off ``backoff_s`` · 2^attempt, at most 5 s,
    with jitter so parallel workers do not retry in lock step).
    """

    def __init__(self, *, enabled: bool, uri: str, experiment: str, retries: int = 8, backoff_s: float = 0.1) -> None:
        self.enabled = enabled
        self.uri = uri
        self.experiment = experiment
        self.parent_id: str | None = None
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

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``self.client.<method>(...)``, retried while the store is busy; other errors propagate at once."""
        fn: Callable[..., Any] = getattr(self.client, method)
        for attempt in range(self.retries + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt >= self.retries or not is_transient(exc):
                    raise
                self.retried += 1
                delay = min(5.0, self.backoff_s * 2**attempt) * (0.5 + self._jitter.random())
                log.warning("tracking store busy (%s): retry %d in %.2f s", method, attempt + 1, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def start(self, *, run_name: str | None, tags: Mapping[str, str]) -> str | None:
        if not self.enabled:
            return None
        self.experiment_id = ensure_experiment(self.uri, self.experiment)
        self.closed_orphans = self.close_orphans()
        all_tags, run_name = run_tags_and_name(tags, run_name, hydra_job_info())
        resumed = self.interrupted_run(all_tags.get("eden.config_key"))
        if resumed is not None:
            all_tags["eden.resumes"] = resumed
        all_tags.update(process_tags())
        run = self._call("create_run", self.experiment_id, run_name=run_name, tags=all_tags)
        self.parent_id = run.info.run_id
        return self.parent_id

    def close_orphans(self) -> list[str]:
        """Mark KILLED every RUNNING run of this experiment whose process (here) is gone; return their ids.

        Only runs tagged by this module, on this host and in this PID namespace, are judged; a live process's
        runs (a parallel worker) are left alone.
        """
        if not self.enabled or self.experiment_id is None:
            return []
        host, ns = socket.gethostname(), pid_namespace()
        found = self._call(
            "search_runs",
            [self.experiment_id],
            filter_string=f"attributes.status = 'RUNNING' and tags.`eden.host` = '{host.replace(chr(39), '')}'",
            max_results=1000,
        )
        closed = []
        for run in found:
            tags = run.data.tags
            if tags.get("eden.pidns") != ns or not tags.get("eden.pid", "").isdigit():
                continue
            pid = int(tags["eden.pid"])
            if process_alive(pid, tags.get("eden.pid_start") or None):
                continue
            run_id = run.info.run_id
            reason = f"process {pid} on {host} ended without closing this run (SIGKILL, out of memory, power loss)"
            self._call("set_tag", run_id, "eden.orphan_closed", "true")
            self._call("set_tag", run_id, "failure_reason", reason)
            self._call("set_terminated", run_id, status=KILLED)
            log.warning("closed orphaned MLflow run %s (%s): %s", run_id, run.info.run_name, reason)
            closed.append(run_id)
        return closed

    def interrupted_run(self, config_key: str | None) -> str | None:
        """The latest parent run of the same configuration, if it ended KILLED or FAILED (this run resumes it)."""
        if not config_key or self.experiment_id is None:
            return None
        found = self._call(
            "search_runs",
            [self.experiment_id],
            filter_string=f"tags.`eden.config_key` = '{config_key}'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        if found and found[0].info.status in (KILLED, "FAILED"):
            return str(found[0].info.run_id)
        return None

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
        for i in range(0, len(batch), 1000):  # one write per 1000 metrics (MLflow's batch limit), not one each
            self._call("log_batch", run_id or self.parent_id, metrics=batch[i : i + 1000])

    def log_params(self, params: Mapping[str, Any], *, run_id: str | None = None) -> None:
        if not self.enabled:
            return
        for key, value in params.items():
            self._call("log_param", run_id or self.parent_id, key, str(value)[:6000])

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
