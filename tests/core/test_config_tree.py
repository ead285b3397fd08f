"""Every option of every config group composes, and every registry member it names builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from eden.config import REGISTRY_GROUPS, RunMembers, validate
from eden.errors import ConfigError, EdenError

CONF = Path(__file__).resolve().parents[2] / "conf"
GROUPS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name != "sweep")


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


CASES = [(g, o) for g in GROUPS for o in options(g)]


@pytest.mark.parametrize(("group", "option"), CASES, ids=[f"{g}={o}" for g, o in CASES])
def test_every_option_composes_and_builds(
    group: str, option: str, compose_cfg: Callable[[list[str]], DictConfig], tiny_overrides: list[str]
) -> None:
    overrides = [o for o in tiny_overrides if not o.startswith(f"{group}=")]
    cfg = compose_cfg([*overrides, f"{group}={option}"])  # experiment too: run.yaml lists `optional experiment`
    members = validate(cfg)
    assert RunMembers.groups() == REGISTRY_GROUPS and set(members.as_dict()) == set(REGISTRY_GROUPS)
    assert all(members[g] is getattr(members, g) for g in REGISTRY_GROUPS)
    if group == "model":
        data = instantiate(OmegaConf.to_container(cfg.data, resolve=True))
        model = instantiate(OmegaConf.to_container(cfg.model, resolve=True))
        if option != "torchvision":  # torchvision models expect ImageNet-sized inputs
            out = model(data.example_input())
            assert out.shape == (1, cfg.data.num_classes)


def test_default_config_validates(compose_cfg: Callable[[list[str]], DictConfig]) -> None:
    cfg = compose_cfg([])
    assert cfg.stage == "evaluate" and cfg.model._target_.endswith("LeNet5")
    validate(cfg)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("stage=bogus", "stage"),
        ("format=int7", "format"),
        ("correction=clip", "correction"),
        ("target.max_drop=-0.1", "target.max_drop"),
        ("characterize.sample_fraction=0", "characterize.sample_fraction"),
        ("retrain.spacing=cubic", "retrain.spacing"),
        ("characterize.seeds=0", "characterize.seeds"),
    ],
)
def test_bad_values_name_the_field(
    override: str, field: str, compose_cfg: Callable[[list[str]], DictConfig]
) -> None:
    cfg = compose_cfg([override])
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    message = str(err.value)
    assert message.startswith(f"{field}=") and "allowed:" in message and "\n" not in message


def test_error_model_ber_out_of_range_is_one_line(compose_cfg: Callable[[list[str]], DictConfig]) -> None:
    cfg = compose_cfg(["error_model.ber=2"])
    with pytest.raises(EdenError) as err:
        validate(cfg)
    assert "error_model.ber" in str(err.value) and "\n" not in str(err.value)
