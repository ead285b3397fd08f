"""EDEN entry point: ``python run.py [group=option ...] [key=value ...]`` (Hydra), ``-m`` for sweeps."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from eden.cli import main_guard, one_line_errors
from eden.config import register_configs

register_configs()


@hydra.main(version_base="1.3", config_path="conf", config_name="run")
@one_line_errors
def main(cfg: DictConfig) -> float:
    from eden.pipeline import run

    return run(cfg)


if __name__ == "__main__":
    main_guard(main, conf_dir=Path(__file__).parent / "conf")
