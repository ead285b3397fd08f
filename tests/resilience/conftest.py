"""Resilience fixtures: a migrated MLflow SQLite store copied per test (see tests/mlflow_helpers.py)."""

from __future__ import annotations

from mlflow_helpers import migrated_store, sqlite_store

__all__ = ["migrated_store", "sqlite_store"]  # fixtures: pytest registers them from this namespace
