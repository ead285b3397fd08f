"""A migrated MLflow SQLite store, created once per session and copied per test (see tests/mlflow_helpers.py)."""

from __future__ import annotations

import pytest
from mlflow_helpers import migrated_store, sqlite_store

__all__ = ["migrated_store", "sqlite_store", "store"]  # fixtures: pytest registers them from this namespace


@pytest.fixture
def store(sqlite_store: str) -> str:
    """URI of a fresh, empty store of this test (the tracking tests' name for ``sqlite_store``)."""
    return sqlite_store
