"""The science presets (conf/experiment/fig8_error_models, fig10_retraining, fig11_tolerances) name the paper
figure they reproduce, compose as multiruns, and every one of their jobs is a valid run (the tiny form: each job's
config composed and validated, no compute)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.types import RunMode
from omegaconf import DictConfig

from eden.config import register_configs, validate

CONF = Path(__file__).resolve().parents[2] / "conf"
PRESETS = {
    "fig8_error_models": ("Fig. 8", 72),
    "fig10_retraining": ("Fig. 10", 24),
    "fig11_tolerances": ("Fig. 11", 12),
}


def compose_preset(name: str, *extra: str, hydra: bool = True) -> DictConfig:
    register_configs()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("run", overrides=[f"experiment={name}", *extra], return_hydra_config=hydra)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_names_its_figure_and_every_job_is_a_valid_run(name: str) -> None:
    figure, n_jobs = PRESETS[name]
    text = (CONF / "experiment" / f"{name}.yaml").read_text()
    assert text.startswith("# @package _global_") and f"Paper {figure} analogue" in text
    cfg = compose_preset(name)
    assert cfg.hydra.mode == RunMode.MULTIRUN and cfg.tracking.tags.experiment == name
    params = {str(k): str(v).split(",") for k, v in cfg.hydra.sweeper.params.items()}
    combos = list(itertools.product(*params.values()))
    assert len(combos) == n_jobs
    assert [int(s) for s in params["seed"]] == [0, 1, 2]  # >= 3 seeds: the tables report spreads
    for combo in combos[:: max(1, len(combos) // 3)]:  # a spread of jobs: first and every third of the grid
        job = compose_preset(name, *(f"{k}={v}" for k, v in zip(params, combo, strict=True)), hydra=False)
        validate(job)  # raises on any bad value, as the CLI would before compute
