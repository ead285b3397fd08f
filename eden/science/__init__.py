"""Measurements behind docs/science.md: each module runs one study on the pipeline's cached stages and writes a
JSON/CSV result, so the tables in the docs are reproducible with one command each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def context(overrides: Sequence[str], *, upto: str) -> Any:
    """A RunContext for the composed config, with the stages up to ``upto`` run (or reused from the cache)."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from eden.cache import StageCache
    from eden.config import register_configs, repo_root, validate
    from eden.context import RunContext
    from eden.pipeline import run_stages
    from eden.tracking import Tracker

    register_configs()
    with initialize_config_dir(config_dir=str(repo_root() / "conf"), version_base="1.3"):
        cfg = compose(config_name="run", overrides=[*overrides, "tracking=off", f"stage={upto}"])
    OmegaConf.resolve(cfg)
    members = validate(cfg)
    ctx = RunContext(cfg=cfg, members=members, tracker=Tracker(enabled=False, uri="", experiment=""),
                     cache=StageCache(cfg.paths.cache))  # fmt: skip
    ctx.memo["metrics"] = run_stages(ctx)  # every stage's finalize metrics, as a pipeline run logs them
    return ctx


def save_rows(path: str | Path, overrides: Sequence[str], rows: list[dict[str, Any]], **extra: Any) -> None:
    """The study's result so far (rewritten after every row, atomically: an interrupted study keeps what it had)."""
    from eden.cache import atomic_write_json

    atomic_write_json(Path(path), {"overrides": list(overrides), "rows": rows, **extra})
