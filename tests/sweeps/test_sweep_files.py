"""Every sweep file composes, sweeps only valid options, tags its runs, and creates the experiment up front."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.types import RunMode
from omegaconf import OmegaConf
from sweep_helpers import CONF, LAUNCHERS, STUDIES, SWEEPS, group_options, swept_params

from eden.config import register_configs

#: Grid sizes the issue and the paper fix (platforms: the user's 4 × 4 example; error_models: Fig. 8).
EXPECTED_JOBS = {"platforms": 16, "error_models": 16, "curriculum": 6, "mapping": 3, "paper_table": 48}


def compose_sweep(name: str, *extra: str) -> OmegaConf:
    register_configs()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("run", overrides=[f"+sweep={name}", *extra], return_hydra_config=True)


def test_every_study_the_issue_asks_for_exists() -> None:
    assert set(EXPECTED_JOBS) <= set(STUDIES), STUDIES
    assert (CONF / "sweep").resolve() == SWEEPS.resolve()  # `+sweep=NAME` finds these files


@pytest.mark.parametrize("name", STUDIES)
def test_sweep_composes_and_sweeps_valid_options(name: str) -> None:
    cfg = compose_sweep(name)
    assert (SWEEPS / f"{name}.yaml").read_text().startswith("# @package _global_")
    assert cfg.hydra.mode == RunMode.MULTIRUN
    assert cfg.tracking.tags.sweep == name
    assert cfg.hydra.callbacks.ensure_experiment._target_ == "eden.tracking.EnsureExperimentCallback"
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher") and cfg.hydra.launcher.n_jobs == 2
    jobs = 1
    for key, values in swept_params(name).items():
        assert len(values) == len(set(values)) >= 2, (key, values)
        options = group_options(key)
        if options is not None:  # a config group: every value must be one of its YAML files
            assert set(values) <= set(options), (key, sorted(set(values) - set(options)))
        else:  # a value: the key must exist in the composed config
            assert OmegaConf.select(cfg, key, default="<missing>") != "<missing>", key
        for value in values:  # each job's config composes too (types checked by the schema)
            compose_sweep(name, f"{key}={value}")
        jobs *= len(values)
    assert jobs == EXPECTED_JOBS.get(name, jobs)


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_every_launcher_choice_composes_with_a_sweep(launcher: str) -> None:
    cfg = compose_sweep("platforms", f"sweep/launcher={launcher}")
    target = cfg.hydra.launcher._target_
    expected = {"local": "JoblibLauncher", "serial": "BasicLauncher", "slurm": "SlurmLauncher"}
    assert target.endswith(expected.get(launcher, "Launcher")), target
    if launcher == "slurm":
        assert cfg.hydra.launcher.array_parallelism >= 1 and "n_jobs" not in cfg.hydra.launcher


def test_unknown_group_value_in_a_sweep_is_a_composition_error() -> None:
    with pytest.raises(Exception, match="bogus"):
        compose_sweep("platforms", "platform=bogus")
