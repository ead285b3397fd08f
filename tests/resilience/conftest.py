"""Resilience fixtures: a migrated MLflow SQLite store copied per test (migrating one costs seconds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("resilience_store") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path.as_posix()}").search_experiments()  # runs the schema migrations
    return path


@pytest.fixture
def sqlite_store(migrated_store: Path, tmp_path: Path) -> str:
    """URI of a fresh, empty, migrated store at ``tmp_path/mlflow.db``."""
    path = tmp_path / "mlflow.db"
    shutil.copy(migrated_store, path)
    return f"sqlite:///{path.as_posix()}"
