"""A migrated MLflow SQLite store, created once per session and copied per test (creating one costs seconds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow_template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path.as_posix()}").search_experiments()  # runs the schema migrations
    return path


@pytest.fixture
def store(template_store: Path, tmp_path: Path) -> str:
    """URI of a fresh, empty store of this test."""
    path = tmp_path / "mlflow.db"
    shutil.copy(template_store, path)
    return f"sqlite:///{path.as_posix()}"
