"""Shared fixtures: compose the real config tree with test overrides (digits data, temporary stores)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from omegaconf import DictConfig

REPO = Path(__file__).resolve().parent.parent
CONF_DIR = REPO / "conf"


def compose(overrides: list[str] | None = None) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from eden.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name="run", overrides=overrides or [], return_hydra_config=False)


@pytest.fixture
def tiny_overrides(tmp_path: Path) -> list[str]:
    """Overrides that make a run fast and hermetic: digits, 2 epochs, stores under tmp_path."""
    return [
        "data=digits",
        "trainer.max_epochs=2",
        "trainer.progress_bar=false",
        f"paths.cache={tmp_path / 'cache'}",
        f"paths.data={tmp_path / 'data'}",
        f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}",
    ]


@pytest.fixture
def compose_cfg() -> Callable[[list[str] | None], DictConfig]:
    return compose


def untracked_context(cfg: DictConfig) -> Any:
    """A validated RunContext of ``cfg`` with MLflow off and the stage cache at ``paths.cache``."""
    from eden.cache import StageCache
    from eden.config import validate
    from eden.context import RunContext
    from eden.tracking import Tracker

    tracker = Tracker(enabled=False, uri="", experiment="")
    return RunContext(cfg=cfg, members=validate(cfg), tracker=tracker, cache=StageCache(cfg.paths.cache))


@pytest.fixture
def offline_context() -> Callable[[DictConfig], Any]:
    return untracked_context
