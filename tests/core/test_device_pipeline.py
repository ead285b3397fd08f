"""The pipeline on the chosen device (``trainer=gpu``): every stage, tiny, on CUDA (marked gpu) and on the CPU (slow).

The ResNet-18 run trains and retrains a network with adaptive average pooling, whose CUDA backward has no
deterministic kernel: the baseline's deterministic mode must not refuse it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from omegaconf import DictConfig

from eden.context import RunContext
from eden.pipeline import run_stages
from tests.conftest import untracked_context

NEEDS_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
TRAINERS = [
    pytest.param("default", marks=pytest.mark.slow, id="cpu"),
    pytest.param("gpu", marks=[pytest.mark.gpu, NEEDS_CUDA], id="cuda"),
]
FAST_SEARCH = [
    "characterize.search_steps=3",
    "characterize.seeds=1",
    "characterize.fine_max_rounds=2",
    "validate.seeds=2",
    "target.max_drop=0.05",
    "characterize.sample_fraction=1.0",  # all 450 digits validation images: 0.05 is then resolvable
    "characterize.fine=sweep",
]


def _run(compose_cfg: Callable[[list[str]], DictConfig], overrides: list[str]) -> tuple[RunContext, dict[str, float]]:
    ctx = untracked_context(compose_cfg(overrides))
    return ctx, run_stages(ctx)


@pytest.mark.filterwarnings("ignore:.*does not have a deterministic implementation.*:UserWarning")
@pytest.mark.parametrize("trainer", TRAINERS)
def test_every_stage_runs_on_the_chosen_device(
    compose_cfg: Callable[[list[str]], DictConfig], tiny_overrides: list[str], trainer: str
) -> None:
    ctx, m = _run(compose_cfg, [*tiny_overrides, f"trainer={trainer}", "trainer.max_epochs=8", "retrain.epochs=2",
                           *FAST_SEARCH])
    assert ctx.device.type == ("cuda" if trainer == "gpu" else "cpu")
    assert m["baseline_acc"] > 0.8  # digits, LeNet-5, 2 epochs
    assert 0 < m["tolerable_ber_coarse"] < 0.5
    validated = ctx.results["validate"]
    assert validated["final_acc"] >= validated["required_acc"]  # validate's rule: the mean over its seeds
    assert 0 < m["dram_energy_reduction"] < 1


@pytest.mark.filterwarnings("ignore:.*does not have a deterministic implementation.*:UserWarning")
@pytest.mark.parametrize("trainer", TRAINERS)
def test_a_torchvision_resnet_trains_and_retrains_on_the_chosen_device(
    compose_cfg: Callable[[list[str]], DictConfig], tiny_overrides: list[str], trainer: str
) -> None:
    overrides = [*tiny_overrides, f"trainer={trainer}", "data=fake_cifar10", "data.train_size=256",
                 "data.eval_size=64", "data.noise=1.0", "data.batch_size=32", "model=torchvision",
                 "model.name=resnet18", "trainer.max_epochs=1", "retrain.epochs=1", "stage=boost",
                 "characterize.search_steps=2", "characterize.seeds=1", "characterize.sample_fraction=1.0",
                 "target.max_drop=0.4"]  # fmt: skip
    ctx, m = _run(compose_cfg, overrides)
    assert ctx.device.type == ("cuda" if trainer == "gpu" else "cpu")
    assert 0 <= m["boosted_acc"] <= 1 and m["tolerable_ber_coarse"] > 0
