"""Fixtures of the hardening tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis caches what it learns from the source (and, unless database=None, its examples) in ./.hypothesis:
# keep every write of these property tests out of the repository.
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "eden-hypothesis"))


@pytest.fixture(scope="session")
def _empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite store with its schema created once (the migrations take seconds on a busy machine)."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("store") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def store(tmp_path: Path, _empty_store: Path) -> str:
    """A fresh MLflow store at tmp_path/mlflow.db (where ``tiny_overrides`` points ``tracking.uri``)."""
    shutil.copyfile(_empty_store, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"
