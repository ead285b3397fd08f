"""MLflow tracking: one parent run per pipeline run, a child run per stage, params and tags that compare.

MLflow is imported here only (never by ``import eden``). The store defaults to SQLite at the repository root
(``conf/tracking/mlflow.yaml``); a tracking server URI works unchanged.

* :mod:`eden.tracking.client`: the retrying client (:class:`Tracker`), experiment creation, the sweep callback.
* :mod:`eden.tracking.tags`: tags, params (the flattened config) and readable run names.
* :mod:`eden.tracking.orphans`: runs left RUNNING by a dead process are closed as KILLED.

Resume: a new parent run whose configuration (tag ``eden.sys.config_key``) was last run by a KILLED or FAILED
parent is tagged ``eden.sys.resumes=<that run id>``: the re-run is a new run that reuses the cached stages, and
the interrupted one stays in the store as KILLED (never RUNNING), linked from it. SIGTERM and Ctrl-C are handled
by the pipeline, which closes its parent and current child run as KILLED itself (:mod:`eden.pipeline`).
"""

from __future__ import annotations

from eden.tracking.client import (
    EXPERIMENT_KIND_TAG,
    ML_EXPERIMENT,
    TRANSIENT,
    EnsureExperimentCallback,
    Tracker,
    artifact_location,
    ensure_experiment,
    is_dataset_race,
    is_interruption,
    is_transient,
)
from eden.tracking.orphans import KILLED, pid_namespace, process_alive, process_start, process_tags
from eden.tracking.tags import (
    SYS,
    choice_tags,
    config_params,
    git_commit,
    hydra_job_info,
    override_tags,
    readable_name,
    run_tags_and_name,
)

__all__ = [
    "EXPERIMENT_KIND_TAG",
    "KILLED",
    "ML_EXPERIMENT",
    "SYS",
    "TRANSIENT",
    "EnsureExperimentCallback",
    "Tracker",
    "artifact_location",
    "choice_tags",
    "config_params",
    "ensure_experiment",
    "git_commit",
    "hydra_job_info",
    "is_dataset_race",
    "is_interruption",
    "is_transient",
    "override_tags",
    "pid_namespace",
    "process_alive",
    "process_start",
    "process_tags",
    "readable_name",
    "run_tags_and_name",
]
