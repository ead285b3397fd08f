"""Fixtures of the hardening tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A fresh SQLite MLflow store under tmp_path."""
    return f"sqlite:///{tmp_path / 'mlflow.db'}"
