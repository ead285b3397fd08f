"""Helpers of the hardening tests: one-line message checks, a temporary MLflow store, an empty data set."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from hypothesis import settings
from members_helpers import run_members
from omegaconf import DictConfig
from torch.utils.data import Dataset

from eden.data.base import ClassificationData, tensor_dataset

REPO = Path(__file__).resolve().parents[2]
#: Hypothesis settings of every property test here: no example database in the repository, a modest budget.
PROPERTIES = settings(database=None, max_examples=60, deadline=None, derandomize=True)


def assert_one_line(message: str, field: str, *fragments: str) -> None:
    """The message is one line, starts with ``<field>=``, says what is allowed, and holds every fragment."""
    assert "\n" not in message, message
    assert message.startswith(f"{field}="), message
    assert "allowed:" in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


class EmptyData(ClassificationData):
    """A data set whose files hold no samples (what an empty ImageFolder or a wrong ``data.root`` gives)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def load(self) -> tuple[Dataset, Dataset]:
        none = tensor_dataset(torch.zeros(0, 1, 16, 16), torch.zeros(0, dtype=torch.long))
        return none, none


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python run.py ARGS`` from the repository root."""
    return subprocess.run(
        [sys.executable, "run.py", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def stderr_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def mlflow_runs(uri: str) -> list[Any]:
    """Every run of every experiment in the store at ``uri`` (deleted ones too)."""
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    return list(client.search_runs(ids, run_view_type=ViewType.ALL)) if ids else []


def earlier_run(uri: str) -> str:
    """A finished run with a metric: what a failed run must leave as it was."""
    from mlflow.tracking import MlflowClient

    from eden.tracking import ensure_experiment

    client = MlflowClient(tracking_uri=uri)
    run = client.create_run(ensure_experiment(uri, "eden"), run_name="earlier", tags={"earlier": "yes"})
    client.log_metric(run.info.run_id, "final_acc", 0.97)
    client.set_terminated(run.info.run_id, status="FINISHED")
    return str(run.info.run_id)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to show a failed run changed none)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".lock")  # locks are not results
    return {str(p.relative_to(folder)): p.read_bytes() for p in files}


ComposeFn = Callable[[list[str]], DictConfig]


def baseline_folder(cfg: DictConfig) -> Path:
    """Where the pipeline looks for the baseline of ``cfg`` (same key as ``run_stages``)."""
    from eden.cache import StageCache
    from eden.context import RunContext
    from eden.pipeline import stage_key
    from eden.stages import baseline
    from eden.tracking import Tracker

    ctx = RunContext(cfg=cfg, members=run_members(), tracker=Tracker(enabled=False, uri="", experiment="x"),
                     cache=StageCache(cfg.paths.cache))  # fmt: skip
    return ctx.cache.folder("baseline", stage_key(ctx, baseline, upstream=""))
